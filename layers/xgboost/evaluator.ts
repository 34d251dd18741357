/**
 * Prediction with XGBoost's exact float32 semantics, from a parsed JSON model.
 *
 * The trees are compiled once into flat typed arrays (all trees' nodes end to end), which keeps
 * the walk to a few array reads per node. What must stay true to equal `Booster.predict`:
 *
 * - inputs are rounded to float32 before they meet a threshold (a DMatrix stores float32; without
 *   this, hist models whose thresholds are data values take different paths);
 * - a numeric split goes left when `x < threshold`; a missing value (NaN) follows `default_left`;
 * - a categorical split sends a category in the node's set right, anything else (negative or
 *   ≥ 2^24 included) left, as `common::Decision`;
 * - margins start at `ProbToMargin(base_score)` and leaf values are added in float32, in tree order;
 * - outputs go through the objective's float32 transform.
 */
import { ModelInputError } from './errors.ts';
import type { XgbModel } from './model-json.ts';
import { baseMargin, outputWidth, transformRow } from './objectives.ts';

export interface EvaluatorOptions {
  /**
   * Reproduce SageMaker's XGBoost container, which predicts with `ntree_limit=best_ntree_limit`
   * (the model's attribute): only the first `best_ntree_limit / num_parallel_tree` rounds count.
   * @default false (all trees, as `Booster.predict`)
   */
  readonly containerMode?: boolean;
  /** Use only the first `iterations` boosting rounds. @default all */
  readonly iterations?: number;
}

/** Rows as a row-major float matrix; NaN means missing. */
export interface FeatureMatrix {
  readonly rows: number;
  readonly columns: number;
  /** `rows × columns` values, row-major. */
  readonly values: Float32Array;
}

/** A compiled model, ready to predict. */
export interface Evaluator {
  readonly model: XgbModel;
  readonly numFeature: number;
  /** Values per row of `predict` (1, or the class count for multi:softprob). */
  readonly outputWidth: number;
  /** Output groups (1, or the class count for multi-class objectives). */
  readonly groups: number;
  /** Trees used (after `iterations` / container mode). */
  readonly treeCount: number;
  /** Margins, `rows × groups`, as `Booster.predict(output_margin=True)`. */
  margins(matrix: FeatureMatrix): Float32Array;
  /** Outputs, `rows × outputWidth`, as `Booster.predict`. */
  predict(matrix: FeatureMatrix): Float32Array;
}

/** Compiles a model into an evaluator. */
export function createEvaluator(model: XgbModel, options: EvaluatorOptions = {}): Evaluator {
  const groups = Math.max(1, model.numClass);
  const treesPerRound = groups * Math.max(1, model.numParallelTree);
  let treeCount = model.trees.length;
  let iterations = options.iterations;
  if (options.containerMode && iterations === undefined) {
    const limit = Number(model.attributes.best_ntree_limit);
    if (Number.isInteger(limit) && limit > 0)
      iterations = Math.floor(limit / Math.max(1, model.numParallelTree));
  }
  if (iterations !== undefined && iterations > 0) treeCount = Math.min(treeCount, iterations * treesPerRound);

  let totalNodes = 0;
  for (let t = 0; t < treeCount; t++) totalNodes += model.trees[t]?.leftChildren.length ?? 0;
  const left = new Int32Array(totalNodes);
  const right = new Int32Array(totalNodes);
  const missing = new Int32Array(totalNodes);
  const feature = new Int32Array(totalNodes);
  // Thresholds at splits, leaf values at leaves (float32 values, held as doubles for fast compares).
  const value = new Float64Array(totalNodes);
  const catOffset = new Int32Array(totalNodes).fill(-1);
  const catWords: number[] = [];
  const roots = new Int32Array(treeCount);
  const groupOf = new Int32Array(treeCount);
  const weights = new Float64Array(treeCount).fill(1);
  const hasWeights = model.weightDrop !== undefined;
  let base = 0;
  for (let t = 0; t < treeCount; t++) {
    const tree = model.trees[t];
    if (!tree) break;
    roots[t] = base;
    groupOf[t] = model.treeInfo[t] ?? 0;
    if (model.weightDrop) weights[t] = Math.fround(model.weightDrop[t] ?? 1);
    const n = tree.leftChildren.length;
    for (let i = 0; i < n; i++) {
      const l = tree.leftChildren[i] as number;
      const g = base + i;
      value[g] = Math.fround(tree.splitConditions[i] as number);
      if (l === -1) {
        left[g] = -1;
        continue;
      }
      left[g] = base + l;
      right[g] = base + (tree.rightChildren[i] as number);
      missing[g] = tree.defaultLeft[i] ? left[g] : right[g];
      feature[g] = tree.splitIndices[i] as number;
    }
    tree.categoriesNodes.forEach((node, k) => {
      const start = tree.categoriesSegments[k] as number;
      const size = tree.categoriesSizes[k] as number;
      let max = 0;
      for (let j = start; j < start + size; j++) max = Math.max(max, tree.categories[j] as number);
      const words = (max >>> 5) + 1;
      const offset = catWords.length;
      catWords.push(words);
      for (let w = 0; w < words; w++) catWords.push(0);
      for (let j = start; j < start + size; j++) {
        const c = tree.categories[j] as number;
        catWords[offset + 1 + (c >>> 5)] = (catWords[offset + 1 + (c >>> 5)] as number) | (1 << (c & 31));
      }
      catOffset[base + node] = offset;
    });
    base += n;
  }
  const cats = Int32Array.from(catWords);
  const hasCategorical = catWords.length > 0;
  const start = baseMargin(model.objective, model.baseScore);
  const numFeature = model.numFeature;
  const width = outputWidth(model.objective, model.numClass);

  function leafOf(root: number, x: Float32Array, offset: number): number {
    let n = root;
    while (left[n] !== -1) {
      const v = x[offset + (feature[n] as number)] as number;
      if (Number.isNaN(v)) n = missing[n] as number;
      else if (hasCategorical && (catOffset[n] as number) >= 0) {
        const c = Math.trunc(v);
        const o = catOffset[n] as number;
        const inSet =
          c >= 0 &&
          c < 16777216 &&
          c >>> 5 < (cats[o] as number) &&
          ((cats[o + 1 + (c >>> 5)] as number) >>> (c & 31)) & 1;
        n = inSet ? (right[n] as number) : (left[n] as number);
      } else n = v < (value[n] as number) ? (left[n] as number) : (right[n] as number);
    }
    return n;
  }

  function margins(matrix: FeatureMatrix): Float32Array {
    const { rows, columns } = matrix;
    if (columns > numFeature) {
      throw new ModelInputError(`input has ${columns} columns but the model has ${numFeature} features`);
    }
    let x = matrix.values;
    let stride = columns;
    if (columns < numFeature) {
      // Trailing features count as missing, as in xgboost.
      x = new Float32Array(rows * numFeature).fill(Number.NaN);
      for (let r = 0; r < rows; r++)
        x.set(matrix.values.subarray(r * columns, (r + 1) * columns), r * numFeature);
      stride = numFeature;
    }
    const out = new Float32Array(rows * groups).fill(start);
    for (let r = 0; r < rows; r++) {
      const offset = r * stride;
      const o = r * groups;
      if (groups === 1 && !hasWeights) {
        let sum = start;
        for (let t = 0; t < treeCount; t++)
          sum = Math.fround(sum + (value[leafOf(roots[t] as number, x, offset)] as number));
        out[o] = sum;
      } else {
        for (let t = 0; t < treeCount; t++) {
          const leaf = value[leafOf(roots[t] as number, x, offset)] as number;
          const g = o + (groupOf[t] as number);
          out[g] = Math.fround(
            (out[g] as number) + (hasWeights ? Math.fround(leaf * (weights[t] as number)) : leaf),
          );
        }
      }
    }
    return out;
  }

  function predict(matrix: FeatureMatrix): Float32Array {
    const m = margins(matrix);
    const out = new Float32Array(matrix.rows * width);
    for (let r = 0; r < matrix.rows; r++)
      transformRow(model.objective, m, r * groups, groups, out, r * width);
    return out;
  }

  return { model, numFeature, outputWidth: width, groups, treeCount, margins, predict };
}

/** Builds a FeatureMatrix from rows of numbers (null, undefined and NaN are missing). */
export function toMatrix(
  rows: readonly (readonly (number | null | undefined)[])[],
  columns?: number,
): FeatureMatrix {
  const width = columns ?? rows.reduce((max, row) => Math.max(max, row.length), 0);
  const values = new Float32Array(rows.length * width).fill(Number.NaN);
  rows.forEach((row, r) => {
    if (row.length > width)
      throw new ModelInputError(`row ${r + 1} has ${row.length} values, expected ${width}`);
    row.forEach((v, c) => {
      if (v !== null && v !== undefined) values[r * width + c] = v;
    });
  });
  return { rows: rows.length, columns: width, values };
}
