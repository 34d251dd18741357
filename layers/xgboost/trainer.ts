/**
 * The kit's gradient-boosting trainer (hist method), emitting an XGBoost JSON model.
 *
 * Each round computes the objective's gradients at the current margins, grows one tree per output
 * group (`tree-builder.ts`) on a row subsample and a column subsample, and adds the trees' leaf
 * values to the margins in float32, in the same order the evaluator and xgboost do — so the
 * margins the trainer boosts from are exactly what the emitted model predicts. With a validation
 * set and `early_stopping_rounds`, training stops once the metric has not improved for that many
 * rounds, and the model keeps the rounds up to the best one.
 */
import { TrainingParameterError } from './errors.ts';
import type { FeatureMatrix } from './evaluator.ts';
import { computeGradients } from './gradients.ts';
import { evaluateMetric, maximizes } from './metrics.ts';
import { ROOT_PARENT, type XgbModel, type XgbTree } from './model-json.ts';
import { baseMargin, isMulticlass, objectiveParamDefaults, outputWidth, transformRow } from './objectives.ts';
import { binMatrix } from './quantile-bins.ts';
import { parseTrainingParams, type TrainingParams } from './training-params.ts';
import { type GrownTree, growTree, leafOfBinnedRow } from './tree-builder.ts';

export interface LabelledData {
  readonly matrix: FeatureMatrix;
  /** One label per row; class indices for multi-class objectives. */
  readonly labels: Float32Array;
}

export interface TrainOptions {
  /** XGBoost-named parameters (`objective`, `max_depth`, `eta`, `num_round`, ...). */
  readonly params: Readonly<Record<string, string | number | undefined>>;
  readonly train: LabelledData;
  readonly validation?: LabelledData;
  /** Column names, written to the model's `feature_names`. @default none */
  readonly featureNames?: readonly string[];
}

export interface RoundMetrics {
  readonly round: number;
  readonly train: number;
  readonly validation?: number;
}

export interface TrainResult {
  readonly model: XgbModel;
  readonly params: TrainingParams;
  /** The last round kept (0-based). */
  readonly bestIteration: number;
  /** The metric after every round trained (including rounds dropped by early stopping). */
  readonly history: readonly RoundMetrics[];
}

/** Trains a model; throws TrainingParameterError for bad parameters, labels or shapes. */
export function train(options: TrainOptions): TrainResult {
  const params = parseTrainingParams(options.params);
  const { matrix, labels } = options.train;
  checkData(options.train, params, 'training');
  if (options.validation) {
    checkData(options.validation, params, 'validation');
    if (options.validation.matrix.columns !== matrix.columns) {
      throw new TrainingParameterError(
        `validation data has ${options.validation.matrix.columns} features, training data ${matrix.columns}`,
      );
    }
  }
  if (params.earlyStoppingRounds > 0 && !options.validation) {
    throw new TrainingParameterError('early_stopping_rounds needs a validation set');
  }
  if (options.featureNames && options.featureNames.length !== matrix.columns) {
    throw new TrainingParameterError(
      `${options.featureNames.length} feature names given for ${matrix.columns} columns`,
    );
  }
  const groups = isMulticlass(params.objective) ? params.numClass : 1;
  const rows = matrix.rows;
  const binned = binMatrix(matrix, params.maxBin);
  const start = baseMargin(params.objective, params.baseScore);
  const margins = new Float32Array(rows * groups).fill(start);
  const grad = new Float64Array(rows * groups);
  const hess = new Float64Array(rows * groups);
  const random = mulberry32(params.seed);
  const rowIndex = new Uint32Array(rows);
  const valid = options.validation;
  const validMargins = valid ? new Float32Array(valid.matrix.rows * groups).fill(start) : undefined;
  const width = outputWidth(params.objective, params.numClass);
  const trees: GrownTree[] = [];
  const history: RoundMetrics[] = [];
  let best = { round: 0, value: Number.NaN };
  const treeParams = {
    eta: params.eta,
    maxDepth: params.maxDepth,
    minChildWeight: params.minChildWeight,
    lambda: params.lambda,
    alpha: params.alpha,
    gamma: params.gamma,
    maxDeltaStep: params.maxDeltaStep,
  };

  for (let round = 0; round < params.numRound; round++) {
    computeGradients(params.objective, margins, labels, groups, params, grad, hess);
    for (let group = 0; group < groups; group++) {
      const count = sampleRows(rowIndex, rows, params.subsample, random);
      const features = sampleFeatures(matrix.columns, params.colsampleBytree, random);
      const tree = growTree(binned, grad, hess, groups, group, rowIndex, count, features, treeParams);
      trees.push(tree);
      for (let r = 0; r < rows; r++) {
        const o = r * groups + group;
        margins[o] = Math.fround(
          (margins[o] as number) + (tree.value[leafOfBinnedRow(tree, binned, r)] as number),
        );
      }
      if (valid && validMargins) {
        const v = valid.matrix;
        for (let r = 0; r < v.rows; r++) {
          const o = r * groups + group;
          const leaf = leafOfFloatRow(tree, v.values, r * v.columns);
          validMargins[o] = Math.fround((validMargins[o] as number) + (tree.value[leaf] as number));
        }
      }
    }
    const trainMetric = metricOf(params, margins, labels, groups, width);
    const entry: RoundMetrics =
      valid && validMargins
        ? {
            round,
            train: trainMetric,
            validation: metricOf(params, validMargins, valid.labels, groups, width),
          }
        : { round, train: trainMetric };
    history.push(entry);
    const value = entry.validation ?? entry.train;
    const better = maximizes(params.evalMetric) ? value > best.value : value < best.value;
    if (Number.isNaN(best.value) || better) best = { round, value };
    if (params.earlyStoppingRounds > 0 && round - best.round >= params.earlyStoppingRounds) break;
  }
  const bestIteration = params.earlyStoppingRounds > 0 ? best.round : history.length - 1;
  const kept = trees.slice(0, (bestIteration + 1) * groups);
  const model: XgbModel = {
    version: [1, 7, 4],
    objective: params.objective,
    objectiveParams: objectiveParamsFor(params),
    baseScore: params.baseScore,
    numClass: params.numClass,
    numFeature: matrix.columns,
    featureNames: options.featureNames ? [...options.featureNames] : [],
    featureTypes: options.featureNames ? options.featureNames.map(() => 'float') : [],
    // best_ntree_limit equals the rounds kept, so SageMaker's container predicts with every tree.
    attributes: { best_iteration: String(bestIteration), best_ntree_limit: String(bestIteration + 1) },
    numParallelTree: 1,
    treeInfo: kept.map((_, i) => i % groups),
    trees: kept.map(toXgbTree),
  };
  return { model, params, bestIteration, history };
}

function objectiveParamsFor(params: TrainingParams): Record<string, Record<string, string>> {
  const defaults = objectiveParamDefaults(params.objective, params.numClass);
  if (defaults.reg_loss_param) defaults.reg_loss_param.scale_pos_weight = String(params.scalePosWeight);
  if (defaults.tweedie_regression_param) {
    defaults.tweedie_regression_param.tweedie_variance_power = String(params.tweedieVariancePower);
  }
  return defaults;
}

function metricOf(
  params: TrainingParams,
  margins: Float32Array,
  labels: Float32Array,
  groups: number,
  width: number,
): number {
  const rows = labels.length;
  const metric = params.evalMetric;
  if (groups > 1 && (metric === 'mlogloss' || metric === 'merror')) {
    const probs = new Float32Array(rows * groups);
    for (let r = 0; r < rows; r++)
      transformRow('multi:softprob', margins, r * groups, groups, probs, r * groups);
    return evaluateMetric(metric, probs, labels, groups);
  }
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) transformRow(params.objective, margins, r * groups, groups, out, r * width);
  return evaluateMetric(metric, out, labels, width);
}

function checkData(data: LabelledData, params: TrainingParams, what: string): void {
  const { matrix, labels } = data;
  if (matrix.rows === 0) throw new TrainingParameterError(`${what} data has no rows`);
  if (labels.length !== matrix.rows) {
    throw new TrainingParameterError(`${what} data has ${matrix.rows} rows but ${labels.length} labels`);
  }
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r] as number;
    const bad = labelProblem(params, y);
    if (bad) throw new TrainingParameterError(`${what} label in row ${r + 1} is ${y}: ${bad}`);
  }
}

function labelProblem(params: TrainingParams, y: number): string | undefined {
  if (!Number.isFinite(y)) return 'labels must be numbers';
  switch (params.objective) {
    case 'binary:logistic':
    case 'binary:logitraw':
      return y === 0 || y === 1 ? undefined : `${params.objective} needs labels 0 or 1`;
    case 'reg:logistic':
      return y >= 0 && y <= 1 ? undefined : 'reg:logistic needs labels in [0, 1]';
    case 'multi:softprob':
    case 'multi:softmax':
      return Number.isInteger(y) && y >= 0 && y < params.numClass
        ? undefined
        : `${params.objective} needs class labels 0..${params.numClass - 1}`;
    case 'count:poisson':
    case 'reg:tweedie':
      return y >= 0 ? undefined : `${params.objective} needs non-negative labels`;
    case 'reg:gamma':
      return y > 0 ? undefined : 'reg:gamma needs positive labels';
    default:
      return undefined;
  }
}

/** Fills `rowIndex` with a Bernoulli(subsample) sample of the rows; returns its size. */
function sampleRows(rowIndex: Uint32Array, rows: number, subsample: number, random: () => number): number {
  let count = 0;
  for (let r = 0; r < rows; r++) if (subsample >= 1 || random() < subsample) rowIndex[count++] = r;
  return count;
}

function sampleFeatures(columns: number, fraction: number, random: () => number): Int32Array {
  const all = Int32Array.from({ length: columns }, (_, i) => i);
  if (fraction >= 1) return all;
  const take = Math.max(1, Math.floor(columns * fraction));
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (columns - i));
    const t = all[i] as number;
    all[i] = all[j] as number;
    all[j] = t;
  }
  return all.subarray(0, take).sort();
}

function leafOfFloatRow(tree: GrownTree, values: Float32Array, offset: number): number {
  let n = 0;
  while ((tree.left[n] as number) !== -1) {
    const x = values[offset + (tree.feature[n] as number)] as number;
    const left = Number.isNaN(x) ? tree.defaultLeft[n] === 1 : x < (tree.threshold[n] as number);
    n = left ? (tree.left[n] as number) : (tree.right[n] as number);
  }
  return n;
}

/** Drops nodes pruned away and renumbers the rest (parents before children, as xgboost expects). */
function toXgbTree(tree: GrownTree): XgbTree {
  const keep: number[] = [];
  const stack = [0];
  while (stack.length > 0) {
    const n = stack.pop() as number;
    keep.push(n);
    if ((tree.left[n] as number) !== -1) stack.push(tree.left[n] as number, tree.right[n] as number);
  }
  keep.sort((a, b) => a - b);
  const id = new Map(keep.map((n, i) => [n, i]));
  const pick = <T>(values: readonly T[]) => keep.map((n) => values[n] as T);
  const child = (values: readonly number[]) =>
    keep.map((n) => ((values[n] as number) === -1 ? -1 : (id.get(values[n] as number) as number)));
  return {
    leftChildren: child(tree.left),
    rightChildren: child(tree.right),
    parents: keep.map((n) => (n === 0 ? ROOT_PARENT : (id.get(tree.parent[n] as number) as number))),
    splitIndices: keep.map((n) => ((tree.left[n] as number) === -1 ? 0 : (tree.feature[n] as number))),
    splitConditions: pick(tree.value),
    defaultLeft: keep.map((n) => ((tree.left[n] as number) === -1 ? 0 : (tree.defaultLeft[n] as number))),
    splitType: keep.map(() => 0),
    categories: [],
    categoriesNodes: [],
    categoriesSegments: [],
    categoriesSizes: [],
    baseWeights: pick(tree.weight),
    lossChanges: pick(tree.lossChange),
    sumHessian: pick(tree.sumHessian),
  };
}

/** A small seeded PRNG (mulberry32), so that a seed reproduces a model exactly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
