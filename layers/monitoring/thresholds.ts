/**
 * Per-model alarm thresholds and their evaluation.
 *
 * Drift alarms need both a large effect and, where the statistic has one, a significant p-value:
 * with a million rows a p-value flags differences too small to matter, and with a few hundred an
 * effect size alone fires on noise. The defaults follow common practice (PSI > 0.2 is a
 * "significant shift" in credit scoring; KS D > 0.1; Jensen–Shannon distance > 0.1) and are tested
 * to stay silent on data from the training distribution for windows of at least `minRows` rows.
 */
import { z } from 'zod';
import type { ColumnDrift, ProfileComparison } from './compare-profiles.ts';
import type { QualityMetrics } from './quality.ts';

const FeatureThresholdsSchema = z
  .object({
    psi: z.number().positive(),
    ks: z.number().positive().max(1),
    jsDistance: z.number().positive().max(1),
    nullRateChange: z.number().positive().max(1),
    newCategoryShare: z.number().positive().max(1),
    ignore: z.boolean(),
  })
  .partial();

export const MonitoringThresholdsSchema = z.object({
  /** Windows (and reference profiles) with fewer rows get no drift alarms, only a note. */
  minRows: z.number().int().positive().default(200),
  /** Significance level that KS, chi-square and null-rate alarms also require. */
  alpha: z.number().positive().max(1).default(0.001),
  psi: z.number().positive().default(0.2),
  ks: z.number().positive().max(1).default(0.1),
  jsDistance: z.number().positive().max(1).default(0.1),
  /** Absolute change of a column's null rate. */
  nullRateChange: z.number().positive().max(1).default(0.05),
  /** Share of current values in categories the reference never had. */
  newCategoryShare: z.number().positive().max(1).default(0.01),
  /** PSI of the prediction distribution (KS and JS use the feature thresholds). */
  predictionPsi: z.number().positive().default(0.2),
  quality: z
    .object({
      /** Labeled predictions needed before quality alarms are evaluated. */
      minLabeled: z.number().int().positive().default(100),
      /** Alarm when AUC falls by more than this below the baseline's holdout AUC. */
      aucDrop: z.number().positive().default(0.05),
      accuracyDrop: z.number().positive().default(0.05),
      /** Relative increases over the baseline (0.2 = 20% worse). */
      logLossIncrease: z.number().positive().default(0.2),
      rmseIncrease: z.number().positive().default(0.2),
      maeIncrease: z.number().positive().default(0.2),
      /** Absolute floors and ceilings, checked with or without a baseline. */
      aucMin: z.number().min(0).max(1).optional(),
      accuracyMin: z.number().min(0).max(1).optional(),
      logLossMax: z.number().positive().optional(),
      rmseMax: z.number().positive().optional(),
      maeMax: z.number().positive().optional(),
    })
    .prefault({}),
  /** Overrides per feature name. */
  features: z.record(z.string(), FeatureThresholdsSchema).default({}),
});

export type MonitoringThresholds = z.infer<typeof MonitoringThresholdsSchema>;
export type MonitoringThresholdsInput = z.input<typeof MonitoringThresholdsSchema>;

export type Comparison = 'baseline' | 'previous';

export interface Alarm {
  readonly kind: 'drift' | 'data' | 'quality';
  /** A feature name, `prediction`, or the quality metric's name. */
  readonly subject: string;
  readonly comparison: Comparison | 'absolute';
  readonly statistic: string;
  readonly value: number;
  readonly threshold: number;
  readonly message: string;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** Alarms raised by one comparison (features and prediction). */
export function driftAlarms(
  comparison: ProfileComparison,
  against: Comparison,
  thresholds: MonitoringThresholds,
): Alarm[] {
  const alarms: Alarm[] = [];
  for (const column of comparison.features) alarms.push(...columnAlarms(column, against, thresholds, false));
  if (comparison.prediction) alarms.push(...columnAlarms(comparison.prediction, against, thresholds, true));
  return alarms;
}

function columnAlarms(
  column: ColumnDrift,
  against: Comparison,
  t: MonitoringThresholds,
  isPrediction: boolean,
): Alarm[] {
  const own = isPrediction ? {} : (t.features[column.column] ?? {});
  if (own.ignore) return [];
  const subject = isPrediction ? 'prediction' : column.column;
  const alarms: Alarm[] = [];
  const raise = (kind: Alarm['kind'], statistic: string, value: number, threshold: number, message: string) =>
    alarms.push({ kind, subject, comparison: against, statistic, value, threshold, message });

  if (column.status === 'missing') {
    raise('data', 'missing', 1, 0, `${subject} is missing from the window's data`);
    return alarms;
  }
  if (column.status === 'kind-changed') {
    raise('data', 'kind_changed', 1, 0, `${subject} changed type (${column.kind} in the reference)`);
    return alarms;
  }
  const nullThreshold = own.nullRateChange ?? t.nullRateChange;
  const rows = column.currentCount;
  if (
    column.nullRate &&
    Math.abs(column.nullRate.change) > nullThreshold &&
    column.nullRate.pValue < t.alpha
  ) {
    raise(
      'data',
      'null_rate_change',
      column.nullRate.change,
      nullThreshold,
      `${subject} null rate ${fmt(column.nullRate.reference * 100)}% → ${fmt(column.nullRate.current * 100)}%`,
    );
  }
  if (column.status !== 'compared' || rows < t.minRows || column.referenceCount < t.minRows) return alarms;

  if (column.numeric) {
    const psiThreshold = isPrediction ? t.predictionPsi : (own.psi ?? t.psi);
    if (column.numeric.psi > psiThreshold) {
      raise('drift', 'psi', column.numeric.psi, psiThreshold, `${subject} PSI ${fmt(column.numeric.psi)}`);
    }
    const ksThreshold = own.ks ?? t.ks;
    const ks = column.numeric.ks;
    if (ks.statistic > ksThreshold && ks.pValue < t.alpha) {
      raise('drift', 'ks', ks.statistic, ksThreshold, `${subject} KS D ${fmt(ks.statistic)}`);
    }
  }
  if (column.categorical) {
    const jsThreshold = own.jsDistance ?? t.jsDistance;
    const c = column.categorical;
    if (c.jsDistance > jsThreshold && c.chiSquare.pValue < t.alpha) {
      raise(
        'drift',
        'js_distance',
        c.jsDistance,
        jsThreshold,
        `${subject} Jensen–Shannon ${fmt(c.jsDistance)}`,
      );
    }
    const newThreshold = own.newCategoryShare ?? t.newCategoryShare;
    if (c.newCategoryShare > newThreshold) {
      const names = c.newCategories
        .slice(0, 3)
        .map((n) => JSON.stringify(n.value))
        .join(', ');
      raise(
        'drift',
        'new_category_share',
        c.newCategoryShare,
        newThreshold,
        `${subject} has new categories (${names}) in ${fmt(c.newCategoryShare * 100)}% of rows`,
      );
    }
  }
  return alarms;
}

/** Quality alarms: against the baseline's holdout metrics and against absolute bounds. */
export function qualityAlarms(
  current: QualityMetrics,
  baseline: QualityMetrics | null | undefined,
  thresholds: MonitoringThresholds,
): Alarm[] {
  const q = thresholds.quality;
  if (current.labeled < q.minLabeled) return [];
  const alarms: Alarm[] = [];
  const check = (
    statistic: 'auc' | 'accuracy' | 'logLoss' | 'rmse' | 'mae',
    higherIsBetter: boolean,
    relative: boolean,
    allowed: number,
    absolute: number | undefined,
  ) => {
    const value = current[statistic];
    if (value === null || value === undefined) return;
    const reference = baseline?.[statistic];
    if (reference !== null && reference !== undefined) {
      const limit = higherIsBetter
        ? reference - allowed
        : relative
          ? reference * (1 + allowed)
          : reference + allowed;
      if (higherIsBetter ? value < limit : value > limit) {
        alarms.push({
          kind: 'quality',
          subject: statistic,
          comparison: 'baseline',
          statistic,
          value,
          threshold: limit,
          message: `${statistic} ${fmt(value)} (baseline ${fmt(reference)}, limit ${fmt(limit)})`,
        });
      }
    }
    if (absolute !== undefined && (higherIsBetter ? value < absolute : value > absolute)) {
      alarms.push({
        kind: 'quality',
        subject: statistic,
        comparison: 'absolute',
        statistic,
        value,
        threshold: absolute,
        message: `${statistic} ${fmt(value)} beyond the bound ${fmt(absolute)}`,
      });
    }
  };
  check('auc', true, false, q.aucDrop, q.aucMin);
  check('accuracy', true, false, q.accuracyDrop, q.accuracyMin);
  check('logLoss', false, true, q.logLossIncrease, q.logLossMax);
  check('rmse', false, true, q.rmseIncrease, q.rmseMax);
  check('mae', false, true, q.maeIncrease, q.maeMax);
  return alarms;
}
