import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryModelResolver, sageMakerInvoker } from '../../../functions/features/serving.ts';
import { DynamoDbRegistryStore } from '../../../functions/registry/dynamodb-registry-store.ts';
import { LocalEndpointStore } from '../../../infra/local/endpoint-store.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { batchScore } from '../../../layers/features/batch-score.ts';
import { parseDefinitionFile } from '../../../layers/features/definition-file.ts';
import {
  commitInferenceBuffer,
  DynamoDbBatchClaims,
  inferenceTableUri,
} from '../../../layers/features/inference-log.ts';
import { materializeRows } from '../../../layers/features/materialize.ts';
import { DynamoDbOnlineStore } from '../../../layers/features/online-store.ts';
import { applyPlan, planDefinitions } from '../../../layers/features/plan.ts';
import { csvCell } from '../../../layers/features/predict.ts';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import {
  append,
  createTable,
  type LakehouseClients,
  lakehouseContext,
  openTable,
  readTable,
} from '../../../layers/lakehouse/index.ts';
import {
  clientConfig,
  createDocumentClient,
  createDynamoDbClient,
} from '../../../layers/runtime/aws-clients.ts';
import { createEvaluator, type Evaluator } from '../../../layers/xgboost/evaluator.ts';
import { buildModelPackage } from '../../../layers/xgboost/model-package.ts';
import { train } from '../../../layers/xgboost/trainer.ts';
import { DEFINITIONS } from '../../layers/features/fixtures.ts';

let platform: LocalPlatform;
let lake: LakehouseClients;
let evaluator: Evaluator;

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
  const now = Date.now();
  await materializeRows({
    view: await registry.get('featureView', 'customer_stats'),
    batches: [
      [
        {
          customer_id: 'c1',
          event_ts: new Date(now - 1000),
          created_ts: null,
          total_spend: 25.5,
          orders: 4n,
        },
        { customer_id: 'c2', event_ts: new Date(now - 1000), created_ts: null, total_spend: 3, orders: null },
      ],
    ],
    tableVersion: 1,
    store: new DynamoDbOnlineStore(documents, 'mlops_online_store'),
  });

  // A model on (orders, total_spend) — the reverse of the service's order — trained with missing values.
  const rows = 200;
  const values = new Float32Array(rows * 2);
  const labels = new Float32Array(rows);
  for (let i = 0; i < rows; i += 1) {
    values[i * 2] = i % 5 === 0 ? Number.NaN : i % 7;
    values[i * 2 + 1] = (i * 37) % 50;
    // Missing orders mean something here (label 1), so sending 0 instead would change predictions.
    labels[i] = i % 5 === 0 || ((i * 37) % 50) + (i % 7) > 20 ? 1 : 0;
  }
  const trained = train({
    params: { objective: 'binary:logistic', num_round: 8, max_depth: 3, eta: 0.5 },
    train: { matrix: { rows, columns: 2, values }, labels },
  });
  // The model package served by the platform's SageMaker runtime endpoint, as `mlops endpoint create` deploys it.
  evaluator = createEvaluator(trained.model, { containerMode: true });
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
  const tags = (missing: string) => [
    { key: 'mlops.lineage.feature_service', value: 'fraud@1' },
    { key: 'mlops.serving.endpoint', value: 'fraud-endpoint' },
    { key: 'mlops.features.columns', value: 'customer_stats__orders,customer_stats__total_spend' },
    { key: 'mlops.features.missing', value: missing },
  ];
  for (const missing of ['nan', 'reject']) {
    const created = await api('POST', '/api/2.0/mlflow/model-versions/create', {
      name: 'fraud-model',
      source: 's3://mlops-artifacts/models/fraud/model.tar.gz',
      tags: tags(missing),
    });
    expect(created.status).toBe(200);
  }
  await api('POST', '/api/2.0/mlflow/registered-models/alias', {
    name: 'fraud-model',
    alias: 'champion',
    version: '1',
  });
});
afterAll(async () => {
  lake.destroy();
  await platform.stop();
});

const expected = (orders: number, spend: number) =>
  evaluator.predict({ rows: 1, columns: 2, values: new Float32Array([orders, spend]) })[0];

describe('feature-aware scoring', () => {
  it('scores entity keys with online features in the model order, sending missing features as missing, never zero', async () => {
    const { status, body } = await api('POST', '/api/2.0/mlops/models/fraud-model@champion/predict', {
      entities: { customer_id: ['c1', 'c2', 'c3'] },
    });
    expect(status).toBe(200);
    expect(body.model).toEqual({ name: 'fraud-model', version: 1 });
    expect(body.featureService).toEqual({ name: 'fraud', version: 1 });
    expect(body.featureNames).toEqual(['customer_stats__orders', 'customer_stats__total_spend']);
    const predictions = body.predictions as {
      entity: unknown;
      prediction: number;
      missingFeatures: string[];
    }[];
    expect(predictions.map((p) => p.missingFeatures)).toEqual([
      [],
      ['customer_stats__orders'],
      ['customer_stats__orders', 'customer_stats__total_spend'],
    ]);
    expect(predictions[0]?.prediction).toBe(expected(4, 25.5));
    expect(predictions[1]?.prediction).toBe(expected(Number.NaN, 3));
    expect(predictions[1]?.prediction).not.toBe(expected(0, 3));
    expect(predictions[2]?.prediction).toBe(expected(Number.NaN, Number.NaN));
  });

  it('scores a version given by number and rejects missing features when the version says so', async () => {
    const byNumber = await api('POST', '/api/2.0/mlops/models/fraud-model/1/predict', {
      entities: { customer_id: ['c1'] },
    });
    expect(byNumber.status).toBe(200);
    expect(byNumber.body.model).toEqual({ name: 'fraud-model', version: 1 });
    const strict = await api('POST', '/api/2.0/mlops/models/fraud-model/2/predict', {
      entities: { customer_id: ['c1', 'c2'] },
    });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'model fraud-model v2 rejects missing features; entity {"customer_id":"c2"} lacks customer_stats__orders',
    );
  });

  it('answers 404 for an unknown alias and 400 for a model path without alias', async () => {
    expect(
      (
        await api('POST', '/api/2.0/mlops/models/fraud-model@nope/predict', {
          entities: { customer_id: ['c1'] },
        })
      ).status,
    ).toBe(404);
    const bare = await api('POST', '/api/2.0/mlops/models/fraud-model/predict', {
      entities: { customer_id: ['c1'] },
    });
    expect(bare.status).toBe(400);
    expect(bare.body.message).toBe("the model must be given as <name>@<alias>, got 'fraud-model'");
  });

  it('records every online prediction and commits the records to the model inference table', async () => {
    const bucket = lake.bucket as string;
    const listed = await lake.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'inference-buffer/fraud-model/' }),
    );
    expect(listed.KeyCount).toBe(2);
    const table = openTable(lake, inferenceTableUri(bucket, 'fraud-model'));
    const summary = await commitInferenceBuffer(
      { s3: lake.s3, bucket, claims: new DynamoDbBatchClaims(lake.dynamodb, 'mlops_platform'), table },
      'fraud-model',
    );
    expect(summary).toMatchObject({ batches: 1, records: 2, rows: 4 });
    const { rows } = await readTable(table);
    const c2 = rows.find((row) => row.entity_keys === '{"customer_id":"c2"}');
    expect(c2).toMatchObject({
      model_name: 'fraud-model',
      model_version: 1n,
      feature_service: 'fraud@1',
      customer_stats__orders: null,
      customer_stats__total_spend: 3,
      prediction: expected(Number.NaN, 3),
    });
    expect(
      rows.every((row) => typeof row.latency_ms === 'number' && typeof row.request_id === 'string'),
    ).toBe(true);
  });
});

describe('batch scoring', () => {
  it('scores an entity file with offline point-in-time features, missing ones sent as missing', async () => {
    const source = openTable(lake, 's3://mlops-lakehouse/tables/customer_stats');
    await createTable(source, {
      columns: [
        { name: 'customer_id', type: 'string' },
        { name: 'event_ts', type: 'timestamp' },
        { name: 'created_ts', type: 'timestamp' },
        { name: 'total_spend', type: 'double' },
        { name: 'orders', type: 'long' },
      ],
    });
    await append(source, [
      {
        customer_id: 'c1',
        event_ts: new Date('2024-03-01T00:00:00Z'),
        created_ts: null,
        total_spend: 25.5,
        orders: 4,
      },
      {
        customer_id: 'c1',
        event_ts: new Date('2024-03-05T00:00:00Z'),
        created_ts: null,
        total_spend: 99,
        orders: 9,
      },
      {
        customer_id: 'c2',
        event_ts: new Date('2024-03-01T00:00:00Z'),
        created_ts: null,
        total_spend: 3,
        orders: null,
      },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'mlops-batch-score-test-'));
    const csv = join(dir, 'entities.csv');
    writeFileSync(
      csv,
      'customer_id,event_timestamp\nc1,2024-03-02T00:00:00Z\nc2,2024-03-02T00:00:00Z\nc3,2024-03-02T00:00:00Z\n',
    );
    const documents = createDocumentClient(createDynamoDbClient(platform.config));
    const runtime = new SageMakerRuntimeClient(clientConfig(platform.config, 'sagemakerRuntime'));
    const out = 's3://mlops-lakehouse/scores/fraud';
    const result = await batchScore(
      {
        registry: new DynamoDbFeatureRegistryStore(documents, 'mlops_feature_registry'),
        models: new RegistryModelResolver(new DynamoDbRegistryStore(documents, 'mlops_registry')),
        openTable: (uri) => openTable(lake, uri),
        invoke: sageMakerInvoker(runtime),
      },
      {
        model: 'fraud-model',
        ref: { alias: 'champion' },
        entities: { kind: 'file', path: csv, format: 'csv' },
        out,
      },
    );
    runtime.destroy();
    rmSync(dir, { recursive: true, force: true });
    expect(result).toMatchObject({
      model: { name: 'fraud-model', version: 1 },
      featureService: { name: 'fraud', version: 1 },
      sourceTables: [{ table: 's3://mlops-lakehouse/tables/customer_stats', version: 1 }],
      rows: 3,
      rowsWithMissing: 2,
      output: { table: out, version: 1 },
    });
    const { rows } = await readTable(openTable(lake, out), {
      columns: ['customer_id', 'prediction', 'model_version'],
    });
    const byCustomer = Object.fromEntries(rows.map((row) => [row.customer_id, row]));
    // c1 at 2024-03-02 gets the 03-01 row, not the later 03-05 one.
    expect(byCustomer.c1).toEqual({
      customer_id: 'c1',
      prediction: JSON.stringify(expected(4, 25.5)),
      model_version: 1n,
    });
    expect(byCustomer.c2?.prediction).toBe(JSON.stringify(expected(Number.NaN, 3)));
    expect(byCustomer.c3?.prediction).toBe(JSON.stringify(expected(Number.NaN, Number.NaN)));
  });
});

describe('csvCell', () => {
  it('writes a missing value as an empty field, never as zero', () => {
    expect([null, 0, 2.5, true, false].map((value) => csvCell(value))).toEqual(['', '0', '2.5', '1', '0']);
  });
});
