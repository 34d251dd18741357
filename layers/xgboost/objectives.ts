/**
 * The objectives the kit evaluates and trains, with XGBoost 1.7's exact float32 arithmetic:
 * how `base_score` (stored in output space) becomes a margin, how margins become outputs, and the
 * first and second derivatives the trainer boosts with.
 */
import { ModelFormatError } from './errors.ts';
import { expf } from './expf.ts';

export const OBJECTIVE_NAMES = [
  'reg:squarederror',
  'reg:logistic',
  'binary:logistic',
  'binary:logitraw',
  'multi:softprob',
  'multi:softmax',
  'count:poisson',
  'reg:gamma',
  'reg:tweedie',
] as const;

export type ObjectiveName = (typeof OBJECTIVE_NAMES)[number];

type Link = 'identity' | 'logit' | 'log';
type Transform = 'identity' | 'sigmoid' | 'exp' | 'softmax' | 'argmax';

interface ObjectiveInfo {
  readonly link: Link;
  readonly transform: Transform;
  readonly multiclass: boolean;
  /** The objective's parameter object as xgboost 1.7 writes it (key and default values). */
  readonly param?: { readonly key: string; readonly values: Readonly<Record<string, string>> };
}

const REG_LOSS = { key: 'reg_loss_param', values: { scale_pos_weight: '1' } };

const INFO: Readonly<Record<ObjectiveName, ObjectiveInfo>> = {
  'reg:squarederror': { link: 'identity', transform: 'identity', multiclass: false, param: REG_LOSS },
  'reg:logistic': { link: 'logit', transform: 'sigmoid', multiclass: false, param: REG_LOSS },
  'binary:logistic': { link: 'logit', transform: 'sigmoid', multiclass: false, param: REG_LOSS },
  // LogisticRaw::ProbToMargin returns base_score unchanged (xgboost 1.7.4 and 3.0.5).
  'binary:logitraw': { link: 'identity', transform: 'identity', multiclass: false, param: REG_LOSS },
  'multi:softprob': { link: 'identity', transform: 'softmax', multiclass: true },
  'multi:softmax': { link: 'identity', transform: 'argmax', multiclass: true },
  'count:poisson': {
    link: 'log',
    transform: 'exp',
    multiclass: false,
    param: { key: 'poisson_regression_param', values: { max_delta_step: '0.699999988' } },
  },
  'reg:gamma': { link: 'log', transform: 'exp', multiclass: false },
  'reg:tweedie': {
    link: 'log',
    transform: 'exp',
    multiclass: false,
    param: { key: 'tweedie_regression_param', values: { tweedie_variance_power: '1.5' } },
  },
};

/** Objective names older models use for the same thing. */
const ALIASES: Readonly<Record<string, ObjectiveName>> = { 'reg:linear': 'reg:squarederror' };

/** The objective, or a ModelFormatError listing the supported ones. */
export function parseObjective(name: string): ObjectiveName {
  const resolved = ALIASES[name] ?? name;
  if ((OBJECTIVE_NAMES as readonly string[]).includes(resolved)) return resolved as ObjectiveName;
  throw new ModelFormatError(`unsupported objective ${name} (supported: ${OBJECTIVE_NAMES.join(', ')})`);
}

export function isMulticlass(objective: ObjectiveName): boolean {
  return INFO[objective].multiclass;
}

/** The objective's parameter object (`reg_loss_param`, ...) as xgboost writes it, if it has one. */
export function objectiveParamDefaults(
  objective: ObjectiveName,
  numClass: number,
): Record<string, Record<string, string>> {
  if (INFO[objective].multiclass) return { softmax_multiclass_param: { num_class: String(numClass) } };
  const param = INFO[objective].param;
  return param ? { [param.key]: { ...param.values } } : {};
}

/** `ProbToMargin(base_score)` in float32: the margin every row starts from. */
export function baseMargin(objective: ObjectiveName, baseScore: number): number {
  const bs = Math.fround(baseScore);
  switch (INFO[objective].link) {
    case 'logit':
      return Math.fround(-Math.log(Math.fround(Math.fround(1 / bs) - 1)));
    case 'log':
      return Math.fround(Math.log(bs));
    default:
      return bs;
  }
}

/** Number of values one row's prediction has (1, or the class count for multi:softprob). */
export function outputWidth(objective: ObjectiveName, numClass: number): number {
  return objective === 'multi:softprob' ? numClass : 1;
}

/**
 * Turns one row's margins (`groups` values at `margins[offset..]`) into its output, written to
 * `out[outOffset..]`; float32 throughout, as XGBoost's `PredTransform`.
 */
export function transformRow(
  objective: ObjectiveName,
  margins: ArrayLike<number>,
  offset: number,
  groups: number,
  out: Float32Array | Float64Array,
  outOffset: number,
): void {
  switch (INFO[objective].transform) {
    case 'sigmoid':
      out[outOffset] = sigmoid(margins[offset] as number);
      return;
    case 'exp':
      out[outOffset] = expf(margins[offset] as number);
      return;
    case 'softmax': {
      let max = margins[offset] as number;
      for (let k = 1; k < groups; k++) max = Math.max(max, margins[offset + k] as number);
      let sum = 0; // XGBoost accumulates the float exponentials in double
      for (let k = 0; k < groups; k++) {
        const e = expf(Math.fround((margins[offset + k] as number) - max));
        out[outOffset + k] = e;
        sum += e;
      }
      const total = Math.fround(sum);
      for (let k = 0; k < groups; k++)
        out[outOffset + k] = Math.fround((out[outOffset + k] as number) / total);
      return;
    }
    case 'argmax': {
      let best = 0;
      for (let k = 1; k < groups; k++) {
        if ((margins[offset + k] as number) > (margins[offset + best] as number)) best = k;
      }
      out[outOffset] = best;
      return;
    }
    default:
      out[outOffset] = margins[offset] as number;
  }
}

/** XGBoost's `common::Sigmoid`: `1 / (expf(min(-x, 88.7)) + 1 + 1e-16)` in float32. */
export function sigmoid(x: number): number {
  const e = expf(Math.min(-x, SIGMOID_CLAMP));
  return Math.fround(1 / Math.fround(e + 1));
}

const SIGMOID_CLAMP = Math.fround(88.7);
