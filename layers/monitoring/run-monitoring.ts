/**
 * A monitoring run for one model and one window, over the storage ports:
 *
 *   baseline ─┐      window rows ──► profile ─┐
 *             ├──► evaluateWindow ◄───────────┤ previous window's profile
 *   labels ───┴──► quality (joined by key) ───┘
 *        │
 *        └──► quality of the earlier `lateLabelWindows` windows, recomputed (late labels)
 *
 * then upserts `<model>_profile_metrics` and `<model>_drift_metrics`, stores the window's profile
 * for the next run, renders the report with the history read back from the tables and, given a
 * run log, logs the run (metrics and the report) as a tracking run. Every write is an upsert keyed
 * by window, so rerunning a window changes nothing but `computed_at` (and the tracking run's
 * latest metric values).
 */
import { InvalidParameterError } from '../runtime/errors.ts';
import {
  type Baseline,
  evaluateWindow,
  type MonitoringResult,
  type MonitoringWindow,
  type WindowProfile,
} from './evaluate-window.ts';
import {
  type DriftMetricRow,
  driftMetricRows,
  historyFromRows,
  type ProfileMetricRow,
  profileMetricRows,
  qualityMetricRows,
} from './metric-rows.ts';
import type {
  BaselineStore,
  LabelSource,
  MetricsTable,
  PredictionSource,
  ReportStore,
  WindowProfileStore,
} from './ports.ts';
import { type ColumnSpec, inferColumnSpecs, ProfileBuilder, type ProfileOptions } from './profile.ts';
import { type ModelTask, QualityAccumulator, type QualityMetrics } from './quality.ts';
import { renderReport } from './report/html-report.ts';
import type { MonitoringThresholdsInput } from './thresholds.ts';
import type { LoggedMonitoringRun, MonitoringRunLog } from './tracking-run.ts';

export interface MonitorConfig {
  readonly model: string;
  /** The model version whose baseline to compare with. @default the newest stored baseline */
  readonly modelVersion?: string;
  /** @default the baseline's task, else 'binary-classification' */
  readonly task?: ModelTask;
  /** @default 'prediction' */
  readonly predictionColumn?: string;
  /** Features to profile when there is no baseline. @default inferred from the window's first rows */
  readonly features?: readonly ColumnSpec[];
  /** Columns that are never features when they are inferred (times, keys, bookkeeping). @default [] */
  readonly excludeColumns?: readonly string[];
  /** How predictions meet their labels. Without it, quality is not tracked. */
  readonly labels?: { readonly keys: readonly string[]; readonly labelColumn: string };
  /** Earlier windows (of the same length) whose quality is recomputed from labels that arrived late. @default 4 */
  readonly lateLabelWindows?: number;
  readonly thresholds?: MonitoringThresholdsInput;
  readonly profileOptions?: ProfileOptions;
}

export interface MonitorDependencies {
  readonly predictions: PredictionSource;
  readonly labels?: LabelSource;
  readonly baselines: BaselineStore;
  readonly windowProfiles: WindowProfileStore;
  readonly profileMetrics: MetricsTable<ProfileMetricRow>;
  readonly driftMetrics: MetricsTable<DriftMetricRow>;
  readonly reports: ReportStore;
  /** Where the run is logged as a tracking run. @default not logged */
  readonly runs?: MonitoringRunLog;
  readonly now?: () => Date;
}

export interface MonitorRunResult {
  readonly result: MonitoringResult;
  /** Where the HTML report was stored (a path or URL). */
  readonly report: string;
  /** The report itself. */
  readonly html: string;
  /** The tracking run the monitoring run was logged as, when there is a run log. */
  readonly trackingRun?: LoggedMonitoringRun;
  /** Earlier windows whose quality was recomputed, with the labeled counts now known. */
  readonly recomputedQuality: readonly { readonly window: MonitoringWindow; readonly labeled: number }[];
}

/** The window of `lengthMs` ending at `end`, and the ones before it. */
export function windowEnding(end: Date, lengthMs: number, back = 0): MonitoringWindow {
  const endMs = end.getTime() - back * lengthMs;
  return { start: new Date(endMs - lengthMs).toISOString(), end: new Date(endMs).toISOString() };
}

export async function runMonitoring(
  config: MonitorConfig,
  window: MonitoringWindow,
  deps: MonitorDependencies,
): Promise<MonitorRunResult> {
  const lengthMs = Date.parse(window.end) - Date.parse(window.start);
  if (!(lengthMs > 0)) {
    throw new InvalidParameterError(
      `window end must be after its start, got ${window.start} → ${window.end}`,
    );
  }
  const now = deps.now ?? (() => new Date());
  const predictionColumn = config.predictionColumn ?? 'prediction';
  const baseline = await deps.baselines.get(config.model, config.modelVersion);
  const task = config.task ?? baseline?.task ?? 'binary-classification';
  const labels = config.labels && deps.labels ? await labelIndex(deps.labels, window, config.labels) : null;

  const features = featureSpecs(config, baseline);
  let builder: ProfileBuilder | null = features
    ? new ProfileBuilder(profileSpec(features, predictionColumn), config.profileOptions)
    : null;
  const quality = labels ? new QualityAccumulator(task) : null;
  for await (const batch of deps.predictions.scan(window)) {
    if (!builder) {
      const excluded = new Set([predictionColumn, ...(config.excludeColumns ?? [])]);
      const names = Object.keys(batch[0] ?? {}).filter((name) => !excluded.has(name));
      builder = new ProfileBuilder(
        profileSpec(inferColumnSpecs(batch, names), predictionColumn),
        config.profileOptions,
      );
    }
    for (const row of batch) {
      builder.addRow(row);
      if (quality && labels && config.labels) {
        const label = labels.get(joinKey(row, config.labels.keys));
        if (label !== undefined) quality.add(row[predictionColumn], label);
      }
    }
  }
  const profile = (builder ?? new ProfileBuilder({ features: [] })).finish();
  const current: WindowProfile = { window, profile, quality: quality?.finish() ?? null };
  const previous = await deps.windowProfiles.latestEndingBy(config.model, window.start);
  const result = evaluateWindow({
    model: config.model,
    modelVersion: config.modelVersion ?? baseline?.version ?? null,
    window,
    current: profile,
    quality: current.quality,
    baseline,
    previous,
    ...(config.thresholds ? { thresholds: config.thresholds } : {}),
  });

  const computedAt = now();
  const recomputedQuality: { window: MonitoringWindow; labeled: number }[] = [];
  const qualityRows: ProfileMetricRow[] = [];
  const recomputed: { window: MonitoringWindow; metrics: QualityMetrics }[] = [];
  if (config.labels && deps.labels) {
    for (let back = 1; back <= (config.lateLabelWindows ?? 4); back++) {
      const earlier = windowEnding(new Date(window.end), lengthMs, back);
      const metrics = await windowQuality(deps, earlier, config.labels, predictionColumn, task);
      if (metrics.labeled === 0) continue;
      recomputedQuality.push({ window: earlier, labeled: metrics.labeled });
      qualityRows.push(...qualityMetricRows(config.model, result.modelVersion, earlier, metrics, computedAt));
      recomputed.push({ window: earlier, metrics });
    }
  }
  await deps.profileMetrics.upsert(config.model, [
    ...profileMetricRows(result, current, computedAt),
    ...qualityRows,
  ]);
  await deps.driftMetrics.upsert(config.model, driftMetricRows(result, computedAt));
  if (profile.rows > 0) await deps.windowProfiles.put(config.model, current);

  const history = historyFromRows(
    await deps.profileMetrics.scan(config.model),
    await deps.driftMetrics.scan(config.model),
  ).filter((run) => run.window.end < window.end);
  const html = renderReport({ result, history, generatedAt: computedAt });
  const report = await deps.reports.put(config.model, window, html);
  const trackingRun = await deps.runs?.log({ result, html, report, computedAt });
  for (const { window: earlier, metrics } of recomputed) {
    await deps.runs?.updateQuality(config.model, earlier, metrics, computedAt);
  }
  return { result, report, html, recomputedQuality, ...(trackingRun ? { trackingRun } : {}) };
}

function featureSpecs(config: MonitorConfig, baseline: Baseline | null): readonly ColumnSpec[] | null {
  if (baseline) {
    return Object.values(baseline.profile.features).map((column) => ({
      name: column.name,
      kind: column.kind,
    }));
  }
  return config.features ?? null;
}

function profileSpec(features: readonly ColumnSpec[], predictionColumn: string) {
  return { features, prediction: { name: predictionColumn, kind: 'numeric' as const } };
}

function joinKey(row: Readonly<Record<string, unknown>>, keys: readonly string[]): string {
  return keys
    .map((key) => String(row[key] instanceof Date ? (row[key] as Date).toISOString() : row[key]))
    .join('\u0001');
}

async function labelIndex(
  source: LabelSource,
  window: MonitoringWindow,
  join: NonNullable<MonitorConfig['labels']>,
): Promise<Map<string, unknown>> {
  const index = new Map<string, unknown>();
  for await (const batch of source.scan(window)) {
    for (const row of batch) index.set(joinKey(row, join.keys), row[join.labelColumn]);
  }
  return index;
}

async function windowQuality(
  deps: MonitorDependencies,
  window: MonitoringWindow,
  join: NonNullable<MonitorConfig['labels']>,
  predictionColumn: string,
  task: ModelTask,
): Promise<QualityMetrics> {
  const labels = await labelIndex(deps.labels as LabelSource, window, join);
  const quality = new QualityAccumulator(task);
  if (labels.size === 0) return quality.finish();
  for await (const batch of deps.predictions.scan(window, [...join.keys, predictionColumn])) {
    for (const row of batch) {
      const label = labels.get(joinKey(row, join.keys));
      if (label !== undefined) quality.add(row[predictionColumn], label);
    }
  }
  return quality.finish();
}
