import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTrackingStore } from '../../../functions/tracking/dynamo-store.ts';
import { TrackingCore } from '../../../functions/tracking/tracking-core.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { bufferInferenceRecord, type InferenceRecord } from '../../../layers/features/inference-log.ts';
import {
  append,
  createTable,
  DynamoDbCatalogStore,
  type LakehouseClients,
  lakehouseContext,
  openTable,
  runLocalQuery,
} from '../../../layers/lakehouse/index.ts';
import { MonitorTargetSchema, runPlatformMonitoring } from '../../../layers/monitoring/platform-monitor.ts';
import { seededRandom } from '../../../layers/monitoring/random.ts';
import { windowEnding } from '../../../layers/monitoring/run-monitoring.ts';
import { storeBaselineFromTables } from '../../../layers/monitoring/training-baseline.ts';

const DAY = 86_400_000;
const END = new Date('2026-03-02T00:00:00.000Z');
const WINDOW = windowEnding(END, DAY);
const ORDERS = 'customer_stats__orders';
const SPEND = 'customer_stats__total_spend';
const ACTIVE = 'customer_stats__is_active';
const TRAINING = 's3://mlops-lakehouse/training/fraud_model';

let platform: LocalPlatform;
let lake: LakehouseClients;

/** Feature values of the training distribution; `shift` moves the orders. */
function featureRows(seed: number, n: number, shift = 0) {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => ({
    [ORDERS]: BigInt(Math.floor(random() * 10) + shift),
    [SPEND]: Math.round(random() * 20_000) / 100,
    [ACTIVE]: random() < 0.7,
  }));
}

/** What the scoring function buffers for `requests` online requests of 10 rows each, in the window. */
async function scoreOnline(model: string, seed: number, requests: number): Promise<void> {
  const rows = featureRows(seed, requests * 10);
  for (let r = 0; r < requests; r++) {
    const record: InferenceRecord = {
      requestId: `${model}-${seed}-${r}`,
      requestTime: new Date(Date.parse(WINDOW.start) + (r + 0.5) * (DAY / requests)).toISOString(),
      model,
      modelVersion: 1,
      featureService: 'fraud',
      latencyMs: 12,
      rows: rows.slice(r * 10, r * 10 + 10).map((features, i) => ({
        entity: { customer_id: `c${r}-${i}` },
        // As served: numbers (bigint-free JSON) and booleans.
        features: { ...features, [ORDERS]: Number(features[ORDERS]) },
        prediction: Number(features[ORDERS]) / 10,
      })),
    };
    await bufferInferenceRecord(lake.s3, lake.bucket as string, record);
  }
}

async function query(sql: string) {
  const catalog = await new DynamoDbCatalogStore(lake.dynamodb, 'mlops_platform').list();
  return (await runLocalQuery(lake, catalog, sql)).rows;
}

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  lake = lakehouseContext(platform.config);
  const training = openTable(lake, TRAINING);
  await createTable(training, {
    columns: [
      { name: 'customer_id', type: 'string' },
      { name: ORDERS, type: 'long' },
      { name: SPEND, type: 'double' },
      { name: ACTIVE, type: 'boolean' },
      { name: 'label', type: 'long' },
    ],
  });
  const label = (row: Record<string, unknown>, i: number) => ({ customer_id: `t${i}`, ...row, label: 0n });
  await append(training, featureRows(1, 2000).map(label)); // version 1: what version 1 of the model saw
  await append(training, featureRows(2, 2000, 20).map(label)); // version 2: later, shifted rows
}, 60_000);

afterAll(async () => {
  lake.destroy();
  await platform.stop();
});

describe('storeBaselineFromTables', () => {
  it('profiles the training table at the version the model was trained on, booleans as numbers', async () => {
    const { baseline, location } = await storeBaselineFromTables(platform.config, {
      model: 'fraud-model',
      version: '1',
      trainingTable: TRAINING,
      trainingTableVersion: 1,
      features: [ORDERS, SPEND, ACTIVE],
    });
    expect(location).toBe('s3://mlops-artifacts/monitoring/fraud-model/baselines/1.json');
    expect(baseline.task).toBe('binary-classification');
    expect(baseline.profile.rows).toBe(2000);
    expect(Object.keys(baseline.profile.features).sort()).toEqual([ACTIVE, ORDERS, SPEND]);
    expect(baseline.profile.features[ACTIVE]?.kind).toBe('numeric');
    const orders = baseline.profile.features[ORDERS];
    expect(orders?.kind === 'numeric' && orders.max).toBe(9);
  });

  it('refuses a version the table does not have and a feature it lacks, storing nothing', async () => {
    await expect(
      storeBaselineFromTables(platform.config, {
        model: 'fraud-model',
        version: '9',
        trainingTable: TRAINING,
        trainingTableVersion: 7,
      }),
    ).rejects.toThrow(`version 7 of s3://mlops-lakehouse/training/fraud_model does not exist (latest is 2)`);
    await expect(
      storeBaselineFromTables(platform.config, {
        model: 'fraud-model',
        version: '9',
        trainingTable: TRAINING,
        features: [ORDERS, 'customer_stats__age'],
      }),
    ).rejects.toThrow(`training table ${TRAINING} has no column customer_stats__age`);
    const stored = await lake.s3
      .send(
        new GetObjectCommand({ Bucket: 'mlops-artifacts', Key: 'monitoring/fraud-model/baselines/9.json' }),
      )
      .then(
        () => true,
        () => false,
      );
    expect(stored).toBe(false);
  });
});

describe('runPlatformMonitoring', () => {
  it('monitors the requests scored online: the buffer is committed and every row is read by feature', async () => {
    await scoreOnline('fraud-model', 11, 30);
    const target = MonitorTargetSchema.parse({ model: 'fraud-model' });
    const run = await runPlatformMonitoring(platform.config, target, WINDOW, () => END);
    expect(run.committedInference).toMatchObject({ records: 30, rows: 300 });
    expect(run.result).toMatchObject({ rows: 300, modelVersion: '1', outcome: 'ok' });
    expect(run.result.alarms).toEqual([]);
    const compared = run.result.againstBaseline?.features.map(
      (c) => `${c.column} ${c.status} ${c.currentCount}`,
    );
    expect(compared?.sort()).toEqual([
      `${ACTIVE} compared 300`,
      `${ORDERS} compared 300`,
      `${SPEND} compared 300`,
    ]);
  });

  it('registers both metrics tables so that `mlops query` reads them by name', async () => {
    const tables = (await new DynamoDbCatalogStore(lake.dynamodb, 'mlops_platform').list())
      .filter((e) => e.table.startsWith('fraud_model_'))
      .map((e) => `${e.database}.${e.table} ${e.location}`)
      .sort();
    expect(tables).toEqual([
      'mlops_local.fraud_model_drift_metrics s3://mlops-lakehouse/monitoring/fraud-model_drift_metrics',
      'mlops_local.fraud_model_profile_metrics s3://mlops-lakehouse/monitoring/fraud-model_profile_metrics',
    ]);
    const rows = await query(
      `SELECT metric, value FROM mlops_local.fraud_model_profile_metrics WHERE "column" = '__model__'`,
    );
    expect(rows).toEqual([{ metric: 'rows', value: 300 }]);
    const drift = await query(
      `SELECT count(*) AS n FROM mlops_local.fraud_model_drift_metrics WHERE comparison = 'baseline' AND statistic = 'psi'`,
    );
    expect(Number(drift[0]?.n)).toBe(3); // the baseline has no holdout, so no prediction drift
  });

  it('logs the run in the monitoring/<model> experiment with its metrics and the report, once per window', async () => {
    const core = new TrackingCore({
      store: new DynamoTrackingStore({ client: lake.dynamodb, tableName: 'mlops_tracking' }),
    });
    const target = MonitorTargetSchema.parse({ model: 'fraud-model' });
    const rerun = await runPlatformMonitoring(platform.config, target, WINDOW, () => END);
    const experiment = await core.getExperimentByName('monitoring/fraud-model');
    const runs = await core.searchRuns([experiment.experimentId], {
      orderBy: [],
      viewType: 'ACTIVE_ONLY',
      maxResults: 10,
    });
    expect(runs.items).toHaveLength(1);
    const [run] = runs.items;
    expect(run?.info.runId).toBe(rerun.trackingRun?.runId);
    expect(run?.info).toMatchObject({ status: 'FINISHED', runName: WINDOW.end });
    expect(run?.params).toEqual({ window_start: WINDOW.start, window_end: WINDOW.end });
    expect(run?.tags).toMatchObject({
      'mlops.monitoring.outcome': 'ok',
      'mlops.monitoring.model_version': '1',
      'mlops.monitoring.report': `s3://mlops-artifacts/monitoring/fraud-model/reports/${WINDOW.end}.html`,
    });
    expect(run?.metrics.rows?.value).toBe(300);
    expect(run?.metrics.alarms?.value).toBe(0);
    expect(run?.metrics[`drift.${ORDERS}.psi`]?.value).toBeLessThan(0.2);

    expect(rerun.trackingRun?.reportArtifact).toBe(`${run?.info.artifactUri}/report.html`);
    const key = `mlflow-artifacts/${run?.info.artifactUri.replace('mlflow-artifacts:/', '')}/report.html`;
    const object = await lake.s3.send(new GetObjectCommand({ Bucket: 'mlops-artifacts', Key: key }));
    expect(object.ContentType).toBe('text/html; charset=utf-8');
    expect(await object.Body?.transformToString()).toBe(rerun.html);
  });

  it("logs quality recomputed from late labels to the earlier window's run", async () => {
    const labels = openTable(lake, 's3://mlops-lakehouse/labels/fraud_model');
    await createTable(labels, {
      columns: [
        { name: 'request_id', type: 'string' },
        { name: 'row_index', type: 'integer' },
        { name: 'label', type: 'long' },
      ],
    });
    // Labels for the first window's requests, arriving a day later.
    await append(
      labels,
      Array.from({ length: 300 }, (_, i) => ({
        request_id: `fraud-model-11-${Math.floor(i / 10)}`,
        row_index: i % 10,
        label: BigInt(i % 3 === 0 ? 1 : 0),
      })),
    );
    const target = MonitorTargetSchema.parse({
      model: 'fraud-model',
      groundTruth: { table: 's3://mlops-lakehouse/labels/fraud_model', keys: ['request_id', 'row_index'] },
      lateLabelWindows: 1,
    });
    const next = windowEnding(new Date(END.getTime() + DAY), DAY);
    const run = await runPlatformMonitoring(
      platform.config,
      target,
      next,
      () => new Date(END.getTime() + DAY),
    );
    expect(run.recomputedQuality).toEqual([{ window: WINDOW, labeled: 300 }]);

    const core = new TrackingCore({
      store: new DynamoTrackingStore({ client: lake.dynamodb, tableName: 'mlops_tracking' }),
    });
    const experiment = await core.getExperimentByName('monitoring/fraud-model');
    const runs = await core.searchRuns([experiment.experimentId], {
      orderBy: ['attributes.run_name ASC'],
      viewType: 'ACTIVE_ONLY',
      maxResults: 10,
    });
    expect(runs.items.map((r) => r.info.runName)).toEqual([WINDOW.end, next.end]);
    const first = runs.items[0]!;
    expect(first.metrics.labeled?.value).toBe(300);
    expect(first.metrics.auc?.value).toBeGreaterThan(0);
    expect(runs.items[1]?.metrics.labeled?.value).toBe(0); // the new window has no predictions yet
  });

  it("without a baseline, profiles only the served features, not the inference table's own columns", async () => {
    await scoreOnline('new-model', 21, 3);
    const target = MonitorTargetSchema.parse({ model: 'new-model' });
    const run = await runPlatformMonitoring(platform.config, target, WINDOW, () => END);
    expect(run.result.rows).toBe(30);
    const columns = await query(
      `SELECT DISTINCT "column" FROM mlops_local.new_model_profile_metrics ORDER BY "column"`,
    );
    expect(columns.map((r) => r.column)).toEqual(['__model__', '__prediction__', ACTIVE, ORDERS, SPEND]);
  });
});
