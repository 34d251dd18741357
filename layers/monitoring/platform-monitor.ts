/**
 * Where a model's monitoring data lives on the platform, and the run's dependencies built from the
 * runtime configuration: shared by `mlops monitor run` and the monitoring pipeline's task.
 *
 * | what | where |
 * |---|---|
 * | inference table | `s3://<lakehouse>/inference/<model>` (override per model) |
 * | batch prediction tables | listed per model |
 * | metrics tables | `s3://<lakehouse>/monitoring/<model>_profile_metrics`, `…_drift_metrics` |
 * | baselines | `s3://<artifacts>/monitoring/<model>/baselines/<version>.json` |
 * | window profiles, reports | `s3://<artifacts>/monitoring/<model>/windows/…`, `…/reports/<end>.html` |
 */
import { z } from 'zod';
import {
  type LakehouseClients,
  lakehouseContext,
  loadSnapshot,
  openTable,
  readTable,
  S3ObjectStore,
  scanBatches,
} from '../lakehouse/index.ts';
import { type RuntimeConfig, requireBucket } from '../runtime/config.ts';
import { InvalidParameterError } from '../runtime/errors.ts';
import { type Baseline, createBaseline } from './evaluate-window.ts';
import {
  LakehouseLabelSource,
  LakehouseMetricsTable,
  LakehousePredictionSource,
  ObjectBaselineStore,
  ObjectReportStore,
  ObjectWindowProfileStore,
} from './lakehouse-stores.ts';
import {
  DRIFT_METRIC_COLUMNS,
  DRIFT_METRIC_KEYS,
  type DriftMetricRow,
  PROFILE_METRIC_COLUMNS,
  PROFILE_METRIC_KEYS,
  type ProfileMetricRow,
} from './metric-rows.ts';
import { type ColumnSpec, ProfileBuilder } from './profile.ts';
import type { ModelTask } from './quality.ts';
import type { MonitorConfig, MonitorDependencies } from './run-monitoring.ts';
import { MonitoringThresholdsSchema } from './thresholds.ts';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses a window length (`30m`, `12h`, `7d`, `2w`) into milliseconds; InvalidParameterError otherwise. */
export function parseWindowLength(text: string, what = 'window'): number {
  const match = /^(\d+)([mhdw])$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) {
    throw new InvalidParameterError(`${what} must look like 30m, 12h, 7d or 2w, got ${text}`);
  }
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/** A model's monitoring target: its tables and thresholds. */
export const MonitorTargetSchema = z.object({
  model: z.string().regex(MODEL_NAME, 'model names are letters, digits, "_" and "-" (at most 64)'),
  modelVersion: z.string().min(1).optional(),
  /** @default s3://<lakehouse bucket>/inference/<model> */
  inferenceTable: z.string().optional(),
  timeColumn: z.string().min(1).default('timestamp'),
  predictionColumn: z.string().min(1).default('prediction'),
  predictionTables: z
    .array(z.object({ uri: z.string(), timeColumn: z.string().min(1).default('scored_at') }))
    .default([]),
  groundTruth: z
    .object({
      table: z.string(),
      keys: z.array(z.string().min(1)).min(1),
      labelColumn: z.string().min(1).default('label'),
      timeColumn: z.string().min(1).optional(),
    })
    .optional(),
  lateLabelWindows: z.number().int().min(0).default(4),
  thresholds: MonitoringThresholdsSchema.optional(),
});

export type MonitorTarget = z.infer<typeof MonitorTargetSchema>;
export type MonitorTargetInput = z.input<typeof MonitorTargetSchema>;

export interface PlatformMonitor {
  readonly config: MonitorConfig;
  readonly deps: MonitorDependencies;
  /** Closes the SDK clients. */
  close(): void;
}

/** Builds a run's configuration and dependencies for `target` on the platform `runtime` points at. */
export function platformMonitor(
  runtime: RuntimeConfig,
  target: MonitorTarget,
  now?: () => Date,
): PlatformMonitor {
  const lake: LakehouseClients = lakehouseContext(runtime, { anyBucket: true });
  const lakehouse = requireBucket(runtime, 'lakehouse');
  const artifacts = requireBucket(runtime, 'artifacts');
  const open = (uri: string) => openTable(lake, uri);
  const inference = target.inferenceTable ?? `s3://${lakehouse}/inference/${target.model}`;
  const objects = new S3ObjectStore(lake.s3, artifacts, 'monitoring');
  const metricsTable = (suffix: string) => (model: string) =>
    `s3://${lakehouse}/monitoring/${model}_${suffix}`;
  const profileUri = metricsTable('profile_metrics');
  const driftUri = metricsTable('drift_metrics');
  const deps: MonitorDependencies = {
    predictions: new LakehousePredictionSource([
      { table: open(inference), timeColumn: target.timeColumn },
      ...target.predictionTables.map((t) => ({ table: open(t.uri), timeColumn: t.timeColumn })),
    ]),
    ...(target.groundTruth
      ? { labels: new LakehouseLabelSource(open(target.groundTruth.table), target.groundTruth.timeColumn) }
      : {}),
    baselines: new ObjectBaselineStore(objects),
    windowProfiles: new ObjectWindowProfileStore(objects),
    profileMetrics: new LakehouseMetricsTable<ProfileMetricRow>(
      (model) => open(profileUri(model)),
      PROFILE_METRIC_COLUMNS,
      PROFILE_METRIC_KEYS,
      (model) => `${model}_profile_metrics`,
    ),
    driftMetrics: new LakehouseMetricsTable<DriftMetricRow>(
      (model) => open(driftUri(model)),
      DRIFT_METRIC_COLUMNS,
      DRIFT_METRIC_KEYS,
      (model) => `${model}_drift_metrics`,
    ),
    reports: new ObjectReportStore(objects),
    ...(now ? { now } : {}),
  };
  const config: MonitorConfig = {
    model: target.model,
    predictionColumn: target.predictionColumn,
    lateLabelWindows: target.lateLabelWindows,
    ...(target.modelVersion ? { modelVersion: target.modelVersion } : {}),
    ...(target.groundTruth
      ? { labels: { keys: target.groundTruth.keys, labelColumn: target.groundTruth.labelColumn } }
      : {}),
    ...(target.thresholds ? { thresholds: target.thresholds } : {}),
  };
  return { config, deps, close: () => lake.destroy() };
}

const NUMERIC_TYPES = new Set(['double', 'float', 'long', 'integer', 'short', 'byte']);

export interface TableBaselineInput {
  readonly model: string;
  readonly version: string;
  readonly task: ModelTask;
  /** The training set (a lakehouse table URI). */
  readonly trainingTable: string;
  /** Feature columns. @default every column of the training table except `exclude` and the label */
  readonly features?: readonly string[];
  /** Columns that are not features (keys, times). @default [] */
  readonly exclude?: readonly string[];
  /** Holdout predictions (a table with `predictionColumn` and, optionally, `labelColumn`). */
  readonly holdoutTable?: string;
  readonly predictionColumn?: string;
  readonly labelColumn?: string;
}

/**
 * Profiles a model version's training table (and its holdout predictions) and stores the baseline
 * beside the model's artifacts; the training pipeline calls this after registering a version.
 */
export async function storeBaselineFromTables(
  runtime: RuntimeConfig,
  input: TableBaselineInput,
): Promise<{ readonly location: string; readonly baseline: Baseline }> {
  const lake = lakehouseContext(runtime, { anyBucket: true });
  try {
    const training = openTable(lake, input.trainingTable);
    const snapshot = await loadSnapshot(training);
    const label = input.labelColumn ?? 'label';
    const excluded = new Set([...(input.exclude ?? []), label]);
    const fields = snapshot.schema.fields.filter((f) =>
      input.features ? input.features.includes(f.name) : !excluded.has(f.name),
    );
    if (input.features) {
      const missing = input.features.filter((name) => !fields.some((f) => f.name === name));
      if (missing.length > 0) {
        throw new InvalidParameterError(
          `training table ${input.trainingTable} has no column ${missing.join(', ')}`,
        );
      }
    }
    const features: ColumnSpec[] = fields.map((f) => ({
      name: f.name,
      kind:
        typeof f.type === 'string' && (NUMERIC_TYPES.has(f.type) || f.type.startsWith('decimal'))
          ? 'numeric'
          : 'categorical',
    }));
    const builder = new ProfileBuilder({ features });
    for await (const batch of scanBatches(training, { snapshot, columns: features.map((f) => f.name) })) {
      for (const row of batch) builder.addRow(row);
    }
    const trainingRows = builder.finish();
    let holdout: { predictions: unknown[]; labels?: unknown[] } | undefined;
    if (input.holdoutTable) {
      const prediction = input.predictionColumn ?? 'prediction';
      const { rows } = await readTable(openTable(lake, input.holdoutTable));
      holdout = {
        predictions: rows.map((r) => r[prediction]),
        ...(rows.some((r) => r[label] !== undefined) ? { labels: rows.map((r) => r[label]) } : {}),
      };
    }
    const baseline = createBaseline({
      model: input.model,
      version: input.version,
      task: input.task,
      features,
      trainingRows,
      ...(holdout ? { holdout } : {}),
    });
    const objects = new S3ObjectStore(lake.s3, requireBucket(runtime, 'artifacts'), 'monitoring');
    return { location: await new ObjectBaselineStore(objects).put(baseline), baseline };
  } finally {
    lake.destroy();
  }
}
