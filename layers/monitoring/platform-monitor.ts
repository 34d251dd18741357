/**
 * Where a model's monitoring data lives on the platform, and the run's dependencies built from the
 * runtime configuration: shared by `mlops monitor run` and the monitoring pipeline's task.
 *
 * | what | where |
 * |---|---|
 * | inference table | `s3://<lakehouse>/inference/<model>`, as online scoring writes it (override per model) |
 * | batch prediction tables | listed per model |
 * | metrics tables | `s3://<lakehouse>/monitoring/<model>_profile_metrics`, `…_drift_metrics` |
 * | baselines | `s3://<artifacts>/monitoring/<model>/baselines/<version>.json` |
 * | window profiles, reports | `s3://<artifacts>/monitoring/<model>/windows/…`, `…/reports/<end>.html` |
 * | tracking runs | experiment `monitoring/<model>`, one run per window, artifact `report.html` |
 *
 * The metrics tables are registered as `mlops_<stage>.<model>_profile_metrics` / `…_drift_metrics`
 * (Glue in AWS, the kit's catalog always). Before a run reads the default inference table, the
 * model's inference buffer is committed to it, so every request scored before the run is seen.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { z } from 'zod';
import { S3ArtifactRepository } from '../../functions/tracking/artifact-repository.ts';
import { DynamoTrackingStore } from '../../functions/tracking/dynamo-store.ts';
import { TrackingCore } from '../../functions/tracking/tracking-core.ts';
import {
  type CommitSummary,
  commitInferenceBuffer,
  DynamoDbBatchClaims,
  INFERENCE_COLUMNS,
  inferenceTableUri,
} from '../features/inference-log.ts';
import {
  DynamoDbCatalogStore,
  type LakehouseClients,
  lakehouseContext,
  openTable,
  S3ObjectStore,
} from '../lakehouse/index.ts';
import { clientConfig } from '../runtime/aws-clients.ts';
import { type RuntimeConfig, requireBucket, requireTable } from '../runtime/config.ts';
import { InvalidParameterError } from '../runtime/errors.ts';
import type { MonitoringWindow } from './evaluate-window.ts';
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
import { CatalogTableRegistrar } from './metrics-catalog.ts';
import {
  type MonitorConfig,
  type MonitorDependencies,
  type MonitorRunResult,
  runMonitoring,
} from './run-monitoring.ts';
import { MonitoringThresholdsSchema } from './thresholds.ts';
import { TrackingMonitoringRunLog } from './tracking-run.ts';

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
  /**
   * The model's inference table. The default is where online scoring writes it
   * (`layers/features/inference-log.ts`), and its buffer is committed before each run.
   * @default s3://<lakehouse bucket>/inference/<model>
   */
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
  /**
   * Commits the model's buffered online predictions to its inference table (idempotent, safe to
   * run beside another committer); null when the target reads another inference table.
   */
  commitInference(): Promise<CommitSummary | null>;
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
  const platformTable = requireTable(runtime, 'platform');
  const open = (uri: string) => openTable(lake, uri);
  const defaultInference = inferenceTableUri(lakehouse, target.model);
  const inference = target.inferenceTable ?? defaultInference;
  const objects = new S3ObjectStore(lake.s3, artifacts, 'monitoring');
  // Glue exists in AWS only; locally the kit's catalog is the whole story (as in `mlops table create`).
  const glue = runtime.endpoints.s3 === undefined ? new GlueClient(clientConfig(runtime, 'glue')) : undefined;
  const registrar = new CatalogTableRegistrar({
    catalog: new DynamoDbCatalogStore(lake.dynamodb, platformTable),
    ...(glue ? { glue } : {}),
    stage: runtime.stage,
  });
  const metricsTable = (suffix: string) => (model: string) =>
    `s3://${lakehouse}/monitoring/${model}_${suffix}`;
  const profileUri = metricsTable('profile_metrics');
  const driftUri = metricsTable('drift_metrics');
  const tracking = new TrackingCore({
    store: new DynamoTrackingStore({ client: lake.dynamodb, tableName: requireTable(runtime, 'tracking') }),
  });
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
      (model) => registrar.ensureRegistered(profileUri(model)),
    ),
    driftMetrics: new LakehouseMetricsTable<DriftMetricRow>(
      (model) => open(driftUri(model)),
      DRIFT_METRIC_COLUMNS,
      DRIFT_METRIC_KEYS,
      (model) => `${model}_drift_metrics`,
      (model) => registrar.ensureRegistered(driftUri(model)),
    ),
    reports: new ObjectReportStore(objects),
    runs: new TrackingMonitoringRunLog(
      tracking,
      new S3ArtifactRepository({ client: lake.s3, bucket: artifacts }),
    ),
    ...(now ? { now } : {}),
  };
  const config: MonitorConfig = {
    model: target.model,
    predictionColumn: target.predictionColumn,
    lateLabelWindows: target.lateLabelWindows,
    // Without a baseline the features are inferred from the rows: the inference table's own
    // columns (request id, model version, latency…) are not features.
    excludeColumns: [
      ...INFERENCE_COLUMNS.map((c) => c.name),
      target.timeColumn,
      ...(target.groundTruth?.keys ?? []),
    ],
    ...(target.modelVersion ? { modelVersion: target.modelVersion } : {}),
    ...(target.groundTruth
      ? { labels: { keys: target.groundTruth.keys, labelColumn: target.groundTruth.labelColumn } }
      : {}),
    ...(target.thresholds ? { thresholds: target.thresholds } : {}),
  };
  return {
    config,
    deps,
    commitInference: async () =>
      inference === defaultInference
        ? commitInferenceBuffer(
            {
              s3: lake.s3,
              bucket: lakehouse,
              claims: new DynamoDbBatchClaims(lake.dynamodb, platformTable),
              table: open(inference),
            },
            target.model,
          )
        : null,
    close: () => {
      glue?.destroy();
      lake.destroy();
    },
  };
}

export interface PlatformRunResult extends MonitorRunResult {
  /** What committing the inference buffer added before the run; null when it was not committed. */
  readonly committedInference: CommitSummary | null;
}

/**
 * One monitoring run on the platform: the model's inference buffer committed, the window
 * monitored, the metrics tables registered, the run logged as a tracking run. What the monitoring
 * pipeline's task and `mlops monitor run` both do.
 */
export async function runPlatformMonitoring(
  runtime: RuntimeConfig,
  target: MonitorTarget,
  window: MonitoringWindow,
  now?: () => Date,
): Promise<PlatformRunResult> {
  const monitor = platformMonitor(runtime, target, now);
  try {
    const committedInference = await monitor.commitInference();
    return { ...(await runMonitoring(monitor.config, window, monitor.deps)), committedInference };
  } finally {
    monitor.close();
  }
}
