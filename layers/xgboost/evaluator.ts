/**
 * Prediction with XGBoost's exact float32 semantics, from a parsed JSON model.
 *
 * The trees are compiled once into flat typed arrays (all trees' nodes end to end, renumbered so
 * that a node's right child directly follows its left child), and rows are scored in blocks of 64
 * per tree so that a tree's nodes stay in cache while a block walks it. What must stay true to
 * equal `Booster.predict`:
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
import type { XgbModel, XgbTree } from './model-json.ts';
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

/** Node fields in `nodes`, 4 per node. */
const LEFT = 0; // index of the left child (the right child is LEFT + 1); -1 at leaves
const FEATURE = 1;
const MISSING_RIGHT = 2; // 1 when missing values go right
const CATEGORIES = 3; // offset of the node's category bitset in `cats`, or -1
const BLOCK = 64;

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
  const nodes = new Int32Array(totalNodes * 4);
  // Thresholds at splits, leaf values at leaves (float32).
  const value = new Float32Array(totalNodes);
  const catWords: number[] = [];
  const roots = new Int32Array(treeCount);
  const groupOf = new Int32Array(treeCount);
  const weights = new Float64Array(treeCount).fill(1);
  const hasWeights = model.weightDrop !== undefined;
  let base = 0;
  for (let t = 0; t < treeCount; t++) {
    const tree = model.trees[t] as XgbTree;
    roots[t] = base;
    groupOf[t] = model.treeInfo[t] ?? 0;
    if (model.weightDrop) weights[t] = Math.fround(model.weightDrop[t] ?? 1);
    base = compileTree(tree, base, nodes, value, catWords);
  }
  const cats = Int32Array.from(catWords);
  const start = baseMargin(model.objective, model.baseScore);
  const numFeature = model.numFeature;
  const width = outputWidth(model.objective, model.numClass);

  const hasCategorical = cats.length > 0;

  /** The walk for models without categorical splits; NaN fails both comparisons. */
  function numericLeafValue(root: number, x: Float32Array, offset: number): number {
    let n = root;
    for (;;) {
      const b = n << 2;
      const l = nodes[b + LEFT] as number;
      if (l < 0) return value[n] as number;
      const v = x[offset + (nodes[b + FEATURE] as number)] as number;
      const t = value[n] as number;
      n = v < t ? l : v >= t ? l + 1 : l + (nodes[b + MISSING_RIGHT] as number);
    }
  }

  function leafValue(root: number, x: Float32Array, offset: number): number {
    if (!hasCategorical) return numericLeafValue(root, x, offset);
    let n = root;
    for (;;) {
      const b = n << 2;
      const l = nodes[b + LEFT] as number;
      if (l < 0) return value[n] as number;
      const v = x[offset + (nodes[b + FEATURE] as number)] as number;
      const c = nodes[b + CATEGORIES] as number;
      if (Number.isNaN(v)) n = l + (nodes[b + MISSING_RIGHT] as number);
      else if (c < 0) n = v < (value[n] as number) ? l : l + 1;
      else {
        const k = Math.trunc(v);
        const inSet =
          k >= 0 &&
          k < 16777216 &&
          k >>> 5 < (cats[c] as number) &&
          ((cats[c + 1 + (k >>> 5)] as number) >>> (k & 31)) & 1;
        n = inSet ? l + 1 : l;
      }
    }
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
    for (let first = 0; first < rows; first += BLOCK) {
      const last = Math.min(rows, first + BLOCK);
      for (let t = 0; t < treeCount; t++) {
        const root = roots[t] as number;
        const g = groupOf[t] as number;
        const w = weights[t] as number;
        for (let r = first; r < last; r++) {
          const leaf = leafValue(root, x, r * stride);
          const o = r * groups + g;
          out[o] = (out[o] as number) + (hasWeights ? Math.fround(leaf * w) : leaf);
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

/**
 * Writes a tree's nodes from `base` on, breadth first, so that each split's children are adjacent;
 * returns the next free node index.
 */
function compileTree(
  tree: XgbTree,
  base: number,
  nodes: Int32Array,
  value: Float32Array,
  catWords: number[],
): number {
  const categoriesOf = new Map<number, number>();
  tree.categoriesNodes.forEach((node, k) => {
    const from = tree.categoriesSegments[k] as number;
    const size = tree.categoriesSizes[k] as number;
    let max = 0;
    for (let j = from; j < from + size; j++) max = Math.max(max, tree.categories[j] as number);
    const words = (max >>> 5) + 1;
    const offset = catWords.length;
    catWords.push(words);
    for (let w = 0; w < words; w++) catWords.push(0);
    for (let j = from; j < from + size; j++) {
      const c = tree.categories[j] as number;
      catWords[offset + 1 + (c >>> 5)] = (catWords[offset + 1 + (c >>> 5)] as number) | (1 << (c & 31));
    }
    categoriesOf.set(node, offset);
  });
  // Breadth-first: the queue holds original node ids; a node's position in it is its new index.
  const order = [0];
  let next = base;
  for (let i = 0; i < order.length; i++) {
    const original = order[i] as number;
    const g = base + i;
    const b = g << 2;
    value[g] = tree.splitConditions[original] as number;
    const l = tree.leftChildren[original] as number;
    if (l === -1) {
      nodes[b + LEFT] = -1;
      continue;
    }
    order.push(l, tree.rightChildren[original] as number);
    nodes[b + LEFT] = base + order.length - 2;
    nodes[b + FEATURE] = tree.splitIndices[original] as number;
    nodes[b + MISSING_RIGHT] = tree.defaultLeft[original] ? 0 : 1;
    nodes[b + CATEGORIES] = categoriesOf.get(original) ?? -1;
  }
  next = base + order.length;
  return next;
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
