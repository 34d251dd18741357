/**
 * The rows a monitoring run writes to the model's two lakehouse tables, and the run history the
 * report reads back from them.
 *
 * `<model>_profile_metrics`: one row per (window, column, metric): row counts, null rates,
 * moments and quantiles per column, and the window's quality (column `__model__`).
 * `<model>_drift_metrics`: one row per (window, comparison, column, statistic), with the threshold
 * and whether it raised an alarm. Both are written by upsert on their key columns, so a rerun of a
 * window, or a later run that recomputes a window's quality when its labels arrive, replaces rows
 * instead of adding duplicates.
 */
import type { ColumnDrift } from './compare-profiles.ts';
import type { MonitoringResult, MonitoringWindow, WindowProfile } from './evaluate-window.ts';
import type { ColumnProfile } from './profile.ts';
import type { QualityMetrics } from './quality.ts';
import type { RunSummary } from './report/html-report.ts';
import type { Alarm } from './thresholds.ts';

/** Column name of model-level rows (row count, quality). */
export const MODEL_COLUMN = '__model__';
/** Column name of the prediction's rows. */
export const PREDICTION_COLUMN = '__prediction__';

export interface ProfileMetricRow {
  readonly model: string;
  readonly model_version: string | null;
  readonly window_start: Date;
  readonly window_end: Date;
  readonly column: string;
  readonly metric: string;
  readonly value: number | null;
  readonly computed_at: Date;
}

export interface DriftMetricRow {
  readonly model: string;
  readonly model_version: string | null;
  readonly window_start: Date;
  readonly window_end: Date;
  /** `baseline`, `previous`, or `absolute` (quality bounds). */
  readonly comparison: string;
  readonly column: string;
  readonly statistic: string;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly alarm: boolean;
  readonly computed_at: Date;
}

export const PROFILE_METRIC_KEYS = ['window_start', 'window_end', 'column', 'metric'] as const;
export const DRIFT_METRIC_KEYS = ['window_start', 'window_end', 'comparison', 'column', 'statistic'] as const;

/** Lakehouse column types of the two tables. */
export const PROFILE_METRIC_COLUMNS = [
  { name: 'model', type: 'string' },
  { name: 'model_version', type: 'string' },
  { name: 'window_start', type: 'timestamp' },
  { name: 'window_end', type: 'timestamp' },
  { name: 'column', type: 'string' },
  { name: 'metric', type: 'string' },
  { name: 'value', type: 'double' },
  { name: 'computed_at', type: 'timestamp' },
] as const;

export const DRIFT_METRIC_COLUMNS = [
  { name: 'model', type: 'string' },
  { name: 'model_version', type: 'string' },
  { name: 'window_start', type: 'timestamp' },
  { name: 'window_end', type: 'timestamp' },
  { name: 'comparison', type: 'string' },
  { name: 'column', type: 'string' },
  { name: 'statistic', type: 'string' },
  { name: 'value', type: 'double' },
  { name: 'threshold', type: 'double' },
  { name: 'alarm', type: 'boolean' },
  { name: 'computed_at', type: 'timestamp' },
] as const;

const finite = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : x;

/** Profile rows of a run: the window's row count, per-column statistics and quality. */
export function profileMetricRows(
  result: MonitoringResult,
  current: WindowProfile,
  computedAt: Date,
): ProfileMetricRow[] {
  const base = {
    model: result.model,
    model_version: result.modelVersion,
    window_start: new Date(result.window.start),
    window_end: new Date(result.window.end),
    computed_at: computedAt,
  };
  const rows: ProfileMetricRow[] = [{ ...base, column: MODEL_COLUMN, metric: 'rows', value: result.rows }];
  const columns: [string, ColumnProfile][] = Object.entries(current.profile.features);
  if (current.profile.prediction) columns.push([PREDICTION_COLUMN, current.profile.prediction]);
  for (const [column, profile] of columns) {
    const metric = (name: string, value: number | null | undefined) =>
      rows.push({ ...base, column, metric: name, value: finite(value) });
    metric('count', profile.count);
    metric('nulls', profile.nulls);
    metric('null_rate', profile.nullRate);
    if (profile.kind === 'numeric') {
      metric('mean', profile.mean);
      metric('std', profile.std);
      metric('min', profile.min);
      metric('max', profile.max);
      for (const q of profile.quantiles)
        metric(`p${String(Math.round(q.q * 100)).padStart(2, '0')}`, q.value);
    } else {
      metric('distinct', profile.distinct);
    }
  }
  if (result.quality)
    rows.push(
      ...qualityMetricRows(result.model, result.modelVersion, result.window, result.quality, computedAt),
    );
  return rows;
}

/** Quality rows of one window; written again, with the same keys, when late labels arrive. */
export function qualityMetricRows(
  model: string,
  modelVersion: string | null,
  window: MonitoringWindow,
  quality: QualityMetrics,
  computedAt: Date,
): ProfileMetricRow[] {
  const base = {
    model,
    model_version: modelVersion,
    window_start: new Date(window.start),
    window_end: new Date(window.end),
    column: MODEL_COLUMN,
    computed_at: computedAt,
  };
  const rows: ProfileMetricRow[] = [{ ...base, metric: 'labeled', value: quality.labeled }];
  const names = { auc: 'auc', accuracy: 'accuracy', logLoss: 'log_loss', rmse: 'rmse', mae: 'mae' } as const;
  for (const [key, metric] of Object.entries(names) as [keyof typeof names, string][]) {
    if (key in quality) rows.push({ ...base, metric, value: finite(quality[key]) });
  }
  return rows;
}

/** Drift rows of a run: every statistic against the baseline and the previous window, and its alarms. */
export function driftMetricRows(result: MonitoringResult, computedAt: Date): DriftMetricRow[] {
  const base = {
    model: result.model,
    model_version: result.modelVersion,
    window_start: new Date(result.window.start),
    window_end: new Date(result.window.end),
    computed_at: computedAt,
  };
  const alarmed = new Map<string, Alarm>();
  for (const alarm of result.alarms) {
    const column =
      alarm.kind === 'quality'
        ? MODEL_COLUMN
        : alarm.subject === 'prediction'
          ? PREDICTION_COLUMN
          : alarm.subject;
    alarmed.set(`${alarm.comparison}|${column}|${alarm.statistic}`, alarm);
  }
  const rows: DriftMetricRow[] = [];
  const push = (comparison: string, column: string, statistic: string, value: number | null) => {
    const alarm = alarmed.get(`${comparison}|${column}|${statistic}`);
    alarmed.delete(`${comparison}|${column}|${statistic}`);
    rows.push({
      ...base,
      comparison,
      column,
      statistic,
      value: finite(value),
      threshold: alarm ? alarm.threshold : null,
      alarm: alarm !== undefined,
    });
  };
  const comparisons = [
    ['baseline', result.againstBaseline],
    ['previous', result.againstPrevious],
  ] as const;
  for (const [comparison, drift] of comparisons) {
    if (!drift) continue;
    const columns: ColumnDrift[] = [...drift.features];
    if (drift.prediction) columns.push({ ...drift.prediction, column: PREDICTION_COLUMN });
    for (const c of columns) {
      if (c.status === 'missing') push(comparison, c.column, 'missing', 1);
      if (c.nullRate) push(comparison, c.column, 'null_rate_change', c.nullRate.change);
      if (c.numeric) {
        push(comparison, c.column, 'psi', c.numeric.psi);
        push(comparison, c.column, 'ks', c.numeric.ks.statistic);
        push(comparison, c.column, 'ks_p_value', c.numeric.ks.pValue);
      }
      if (c.categorical) {
        push(comparison, c.column, 'js_distance', c.categorical.jsDistance);
        push(comparison, c.column, 'chi_square', c.categorical.chiSquare.statistic);
        push(comparison, c.column, 'chi_square_p_value', c.categorical.chiSquare.pValue);
        push(comparison, c.column, 'new_category_share', c.categorical.newCategoryShare);
      }
    }
  }
  // Alarms without a statistic row of their own (quality, kind changes).
  for (const [key, alarm] of alarmed) {
    const [comparison, column, statistic] = key.split('|') as [string, string, string];
    rows.push({
      ...base,
      comparison,
      column,
      statistic,
      value: alarm.value,
      threshold: alarm.threshold,
      alarm: true,
    });
  }
  return rows;
}

/**
 * Rebuilds the run history the report's trend charts show from the two tables' rows: per window,
 * each column's PSI (numeric) or Jensen–Shannon distance (categorical) against the baseline, the
 * prediction's, the row count, the number of alarms and the latest quality.
 */
export function historyFromRows(
  profileRows: readonly ProfileMetricRow[],
  driftRows: readonly DriftMetricRow[],
): RunSummary[] {
  interface Entry {
    window: MonitoringWindow;
    rows: number;
    alarms: number;
    drift: Record<string, number | null>;
    predictionDrift: number | null;
    quality: Record<string, number | null>;
  }
  const windows = new Map<string, Entry>();
  const entry = (start: Date, end: Date) => {
    const key = `${start.toISOString()}|${end.toISOString()}`;
    let found = windows.get(key);
    if (!found) {
      found = {
        window: { start: start.toISOString(), end: end.toISOString() },
        rows: 0,
        alarms: 0,
        drift: {},
        predictionDrift: null,
        quality: {},
      };
      windows.set(key, found);
    }
    return found;
  };
  for (const row of profileRows) {
    if (row.column !== MODEL_COLUMN) continue;
    const e = entry(row.window_start, row.window_end);
    if (row.metric === 'rows') e.rows = row.value ?? 0;
    else e.quality[row.metric] = row.value;
  }
  for (const row of driftRows) {
    const e = entry(row.window_start, row.window_end);
    if (row.alarm) e.alarms++;
    if (row.comparison !== 'baseline' || (row.statistic !== 'psi' && row.statistic !== 'js_distance'))
      continue;
    if (row.column === PREDICTION_COLUMN) e.predictionDrift = row.value;
    else e.drift[row.column] = row.value;
  }
  return [...windows.values()]
    .sort((a, b) => a.window.end.localeCompare(b.window.end))
    .map((e) => ({
      window: e.window,
      rows: e.rows,
      alarms: e.alarms,
      drift: e.drift,
      predictionDrift: e.predictionDrift,
      quality: toQuality(e.quality),
    }));
}

function toQuality(values: Record<string, number | null>): QualityMetrics | null {
  if (values.labeled === undefined) return null;
  const regression = 'rmse' in values || 'mae' in values;
  return regression
    ? { task: 'regression', labeled: values.labeled ?? 0, rmse: values.rmse ?? null, mae: values.mae ?? null }
    : {
        task: 'binary-classification',
        labeled: values.labeled ?? 0,
        auc: values.auc ?? null,
        accuracy: values.accuracy ?? null,
        logLoss: values.log_loss ?? null,
      };
}
