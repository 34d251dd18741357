/**
 * Training parameters with the names XGBoost and SageMaker's XGBoost algorithm use (`max_depth`,
 * `eta`, `num_round`, ...), parsed from strings or numbers (the CLI's `k=v` pairs, SageMaker
 * hyperparameters) into a typed value. Unknown names are rejected rather than silently ignored.
 */
import { TrainingParameterError } from './errors.ts';
import { type MetricName, parseMetric } from './metrics.ts';
import { isMulticlass, type ObjectiveName, parseObjective } from './objectives.ts';

export interface TrainingParams {
  readonly objective: ObjectiveName;
  readonly numRound: number;
  readonly eta: number;
  readonly maxDepth: number;
  readonly minChildWeight: number;
  readonly lambda: number;
  readonly alpha: number;
  readonly gamma: number;
  readonly subsample: number;
  readonly colsampleBytree: number;
  readonly maxBin: number;
  readonly maxDeltaStep: number;
  readonly baseScore: number;
  readonly numClass: number;
  readonly seed: number;
  readonly scalePosWeight: number;
  readonly tweedieVariancePower: number;
  /** Stop when the validation metric has not improved for this many rounds; 0 never stops early. */
  readonly earlyStoppingRounds: number;
  readonly evalMetric: MetricName;
}

type Raw = Readonly<Record<string, string | number | undefined>>;

const ALIASES: Readonly<Record<string, string>> = {
  learning_rate: 'eta',
  reg_lambda: 'lambda',
  reg_alpha: 'alpha',
  min_split_loss: 'gamma',
  num_boost_round: 'num_round',
  n_estimators: 'num_round',
  random_state: 'seed',
};

/** Accepted for compatibility; they do not change what the kit's trainer does. */
const IGNORED = new Set(['nthread', 'verbosity', 'silent', 'grow_policy', 'tree_method', 'booster']);

const KNOWN = new Set([
  'objective',
  'num_round',
  'eta',
  'max_depth',
  'min_child_weight',
  'lambda',
  'alpha',
  'gamma',
  'subsample',
  'colsample_bytree',
  'max_bin',
  'max_delta_step',
  'base_score',
  'num_class',
  'seed',
  'scale_pos_weight',
  'tweedie_variance_power',
  'early_stopping_rounds',
  'eval_metric',
]);

/** Parses raw parameters; throws TrainingParameterError naming the bad one. */
export function parseTrainingParams(raw: Raw): TrainingParams {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const name = ALIASES[key] ?? key;
    if (IGNORED.has(name)) {
      checkIgnored(name, String(value));
      continue;
    }
    if (!KNOWN.has(name)) {
      throw new TrainingParameterError(`unknown parameter ${key} (known: ${[...KNOWN].sort().join(', ')})`);
    }
    values[name] = String(value);
  }
  if (values.objective === undefined) throw new TrainingParameterError('objective is required');
  const objective = parseObjective(values.objective);
  const num = (name: string, fallback: number, check: (v: number) => boolean, rule: string): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || !check(v)) {
      throw new TrainingParameterError(`${name} must be ${rule}, got ${text}`);
    }
    return v;
  };
  const int = (v: number) => Number.isInteger(v);
  const numClass = num('num_class', 0, (v) => int(v) && v >= 0, 'a non-negative integer');
  if (isMulticlass(objective) && numClass < 2) {
    throw new TrainingParameterError(
      `${objective} needs num_class of at least 2, got ${values.num_class ?? 'none'}`,
    );
  }
  if (!isMulticlass(objective) && numClass > 1) {
    throw new TrainingParameterError(`num_class applies only to multi:* objectives, not ${objective}`);
  }
  const baseScore = num('base_score', 0.5, () => true, 'a number');
  if (
    (objective === 'binary:logistic' || objective === 'reg:logistic') &&
    !(baseScore > 0 && baseScore < 1)
  ) {
    throw new TrainingParameterError(`base_score must be in (0, 1) for ${objective}, got ${baseScore}`);
  }
  if (['count:poisson', 'reg:gamma', 'reg:tweedie'].includes(objective) && !(baseScore > 0)) {
    throw new TrainingParameterError(`base_score must be positive for ${objective}, got ${baseScore}`);
  }
  return {
    objective,
    numRound: num('num_round', 10, (v) => int(v) && v >= 1, 'an integer of at least 1'),
    eta: num('eta', 0.3, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    maxDepth: num('max_depth', 6, (v) => int(v) && v >= 1 && v <= 30, 'an integer from 1 to 30'),
    minChildWeight: num('min_child_weight', 1, (v) => v >= 0, 'non-negative'),
    lambda: num('lambda', 1, (v) => v >= 0, 'non-negative'),
    alpha: num('alpha', 0, (v) => v >= 0, 'non-negative'),
    gamma: num('gamma', 0, (v) => v >= 0, 'non-negative'),
    subsample: num('subsample', 1, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    colsampleBytree: num('colsample_bytree', 1, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    maxBin: num('max_bin', 256, (v) => int(v) && v >= 2 && v <= 65535, 'an integer from 2 to 65535'),
    maxDeltaStep: num(
      'max_delta_step',
      objective === 'count:poisson' ? 0.7 : 0,
      (v) => v >= 0,
      'non-negative',
    ),
    baseScore,
    numClass: isMulticlass(objective) ? numClass : 0,
    seed: num('seed', 0, int, 'an integer'),
    scalePosWeight: num('scale_pos_weight', 1, (v) => v > 0, 'positive'),
    tweedieVariancePower: num('tweedie_variance_power', 1.5, (v) => v > 1 && v < 2, 'in (1, 2)'),
    earlyStoppingRounds: num('early_stopping_rounds', 0, (v) => int(v) && v >= 0, 'a non-negative integer'),
    evalMetric: values.eval_metric === undefined ? defaultMetric(objective) : parseMetric(values.eval_metric),
  };
}

/** XGBoost's default evaluation metric per objective (rmse for the log-link regressions). */
export function defaultMetric(objective: ObjectiveName): MetricName {
  if (objective === 'binary:logistic' || objective === 'reg:logistic') return 'logloss';
  if (objective === 'binary:logitraw') return 'auc';
  if (objective === 'multi:softprob') return 'mlogloss';
  if (objective === 'multi:softmax') return 'merror';
  return 'rmse';
}

function checkIgnored(name: string, value: string): void {
  if (name === 'tree_method' && !['hist', 'auto', 'approx'].includes(value)) {
    throw new TrainingParameterError(`tree_method ${value} is not supported (the kit trains with hist)`);
  }
  if (name === 'booster' && value !== 'gbtree') {
    throw new TrainingParameterError(`booster ${value} is not supported (the kit trains gbtree)`);
  }
  if (name === 'grow_policy' && value !== 'depthwise') {
    throw new TrainingParameterError(`grow_policy ${value} is not supported (the kit grows depthwise)`);
  }
}
