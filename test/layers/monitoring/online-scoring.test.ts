import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEndpointStore } from '../../../infra/local/endpoint-store.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { parseDefinitionFile } from '../../../layers/features/definition-file.ts';
import { materializeRows } from '../../../layers/features/materialize.ts';
import { DynamoDbOnlineStore } from '../../../layers/features/online-store.ts';
import { applyPlan, planDefinitions } from '../../../layers/features/plan.ts';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import { type LakehouseClients, lakehouseContext } from '../../../layers/lakehouse/index.ts';
import { MonitorTargetSchema, runPlatformMonitoring } from '../../../layers/monitoring/platform-monitor.ts';
import { windowEnding } from '../../../layers/monitoring/run-monitoring.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { buildModelPackage } from '../../../layers/xgboost/model-package.ts';
import { train } from '../../../layers/xgboost/trainer.ts';
import { DEFINITIONS } from '../features/fixtures.ts';

let platform: LocalPlatform;
let lake: LakehouseClients;

async function api(method: string, path: string, body: unknown) {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  lake = lakehouseContext(platform.config);
  const documents = createDocumentClient(createDynamoDbClient(platform.config));
  const registry = new DynamoDbFeatureRegistryStore(documents, 'mlops_feature_registry');
  await applyPlan(await planDefinitions(parseDefinitionFile(DEFINITIONS), registry), registry);
  const at = new Date(Date.now() - 1000);
  await materializeRows({
    view: await registry.get('featureView', 'customer_stats'),
    batches: [
      [
        { customer_id: 'c1', event_ts: at, created_ts: null, total_spend: 25.5, orders: 4n },
        { customer_id: 'c2', event_ts: at, created_ts: null, total_spend: 3, orders: null },
      ],
    ],
    tableVersion: 1,
    store: new DynamoDbOnlineStore(documents, 'mlops_online_store'),
  });
  const rows = 100;
  const values = new Float32Array(rows * 2);
  const labels = new Float32Array(rows);
  for (let i = 0; i < rows; i += 1) {
    values[i * 2] = i % 7;
    values[i * 2 + 1] = (i * 37) % 50;
    labels[i] = ((i * 37) % 50) + (i % 7) > 20 ? 1 : 0;
  }
  const trained = train({
    params: { objective: 'binary:logistic', num_round: 4, max_depth: 2, eta: 0.5 },
    train: { matrix: { rows, columns: 2, values }, labels },
  });
  await lake.s3.send(
    new PutObjectCommand({
      Bucket: 'mlops-artifacts',
      Key: 'models/fraud/model.tar.gz',
      Body: buildModelPackage(trained.model),
    }),
  );
  await new LocalEndpointStore(documents, 'mlops_platform').create(
    'fraud-endpoint',
    's3://mlops-artifacts/models/fraud/model.tar.gz',
  );
  await api('POST', '/api/2.0/mlflow/registered-models/create', { name: 'fraud-model' });
  await api('POST', '/api/2.0/mlflow/model-versions/create', {
    name: 'fraud-model',
    source: 's3://mlops-artifacts/models/fraud/model.tar.gz',
    tags: [
      { key: 'mlops.lineage.feature_service', value: 'fraud@1' },
      { key: 'mlops.serving.endpoint', value: 'fraud-endpoint' },
      { key: 'mlops.features.columns', value: 'customer_stats__orders,customer_stats__total_spend' },
      { key: 'mlops.features.missing', value: 'nan' },
    ],
  });
  await api('POST', '/api/2.0/mlflow/registered-models/alias', {
    name: 'fraud-model',
    alias: 'champion',
    version: '1',
  });
}, 60_000);

afterAll(async () => {
  lake.destroy();
  await platform.stop();
});

describe('monitoring what online scoring recorded', () => {
  it('picks up a request scored through the API in the next monitoring run, feature by feature', async () => {
    const scored = await api('POST', '/api/2.0/mlops/models/fraud-model@champion/predict', {
      entities: { customer_id: ['c1', 'c2'] },
    });
    expect(scored.status).toBe(200);
    const predictions = (scored.body.predictions as { prediction: number }[]).map((p) => p.prediction);

    const window = windowEnding(new Date(Date.now() + 60_000), 3_600_000);
    const run = await runPlatformMonitoring(
      platform.config,
      MonitorTargetSchema.parse({ model: 'fraud-model' }),
      window,
    );
    expect(run.committedInference).toMatchObject({ records: 1, rows: 2 });
    expect(run.result.rows).toBe(2);
    const stored = await lake.s3.send(
      new GetObjectCommand({
        Bucket: 'mlops-artifacts',
        Key: `monitoring/fraud-model/windows/${window.end}.json`,
      }),
    );
    type Stats = { count: number; nulls: number; mean: number };
    const { profile } = JSON.parse((await stored.Body?.transformToString()) ?? '{}') as {
      profile: { features: Record<string, Stats>; prediction: Stats };
    };
    const features = profile.features;
    expect(Object.keys(features).sort()).toEqual(['customer_stats__orders', 'customer_stats__total_spend']);
    // c1 was served orders 4, c2 a missing value: recorded as null, never as 0.
    expect(features.customer_stats__orders).toMatchObject({ count: 1, nulls: 1, mean: 4 });
    expect(features.customer_stats__total_spend).toMatchObject({ count: 2, nulls: 0, mean: 14.25 });
    expect(profile.prediction.count).toBe(2);
    expect(profile.prediction.mean).toBeCloseTo(((predictions[0] ?? 0) + (predictions[1] ?? 0)) / 2, 6);
  });
});
