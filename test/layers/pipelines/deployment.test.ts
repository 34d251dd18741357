import { PutObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as createPrepare } from '../../../functions/deployment/prepare.ts';
import { LocalEndpointStore } from '../../../infra/local/endpoint-store.ts';
import { localIntegrations } from '../../../infra/local/integrations.ts';
import { runPipelineLocally } from '../../../infra/local/pipeline-runner.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { PIPELINES } from '../../../infra/platform/pipelines.ts';
import { append, createTable, lakehouseContext, openTable } from '../../../layers/lakehouse/index.ts';
import { DynamoDbDeploymentStore } from '../../../layers/pipelines/deployment-store.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../../layers/runtime/aws-clients.ts';
import { createEvaluator, toMatrix } from '../../../layers/xgboost/evaluator.ts';
import { buildModelPackage } from '../../../layers/xgboost/model-package.ts';
import { train } from '../../../layers/xgboost/trainer.ts';

const FEATURES = ['tenure', 'usage', 'tickets'];
const ROWS = [
  [3, 1.5, 2],
  [30, 8.2, 0],
  [12, 4, 3],
];
let platform: LocalPlatform;
let runtime: SageMakerRuntimeClient;
let endpoints: LocalEndpointStore;
let deployments: DynamoDbDeploymentStore;
const expected = new Map<number, number[]>();

async function api(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${platform.url}/api/2.0/mlflow/${path}`, {
    method: path.includes('/get?') ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(path.includes('/get?') ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
  return json;
}

async function registerVersion(version: number, rounds: number, depth: number) {
  const data = Array.from({ length: 300 }, (_, i) => [(i * 7) % 40, ((i * 13) % 100) / 10, i % 4]);
  const labels = Float32Array.from(data, ([tenure, , tickets]) =>
    (tenure as number) < 15 && (tickets as number) > 1 ? 1 : 0,
  );
  const { model } = train({
    params: { objective: 'binary:logistic', num_round: rounds, max_depth: depth },
    train: { matrix: toMatrix(data), labels },
    featureNames: FEATURES,
  });
  const s3 = createS3Client(platform.config);
  await s3.send(
    new PutObjectCommand({
      Bucket: 'mlops-artifacts',
      Key: `models/churn/${version}/model.tar.gz`,
      Body: buildModelPackage(model, { featureNames: FEATURES }),
    }),
  );
  s3.destroy();
  await api('model-versions/create', {
    name: 'churn',
    source: `s3://mlops-artifacts/models/churn/${version}/model.tar.gz`,
  });
  expected.set(version, Array.from(createEvaluator(model, { containerMode: true }).predict(toMatrix(ROWS))));
}

async function smokeTable(name: string, usage: 'double' | 'string', rows: Record<string, unknown>[]) {
  const lake = lakehouseContext(platform.config);
  const table = openTable(lake, `s3://mlops-lakehouse/tables/${name}`);
  await createTable(table, {
    columns: [
      { name: 'customer_id', type: 'string' },
      { name: 'tenure', type: 'double' },
      { name: 'usage', type: usage },
      { name: 'tickets', type: 'long' },
    ],
  });
  await append(table, rows);
  lake.destroy();
}

async function served(endpoint: string): Promise<number[]> {
  const response = await runtime.send(
    new InvokeEndpointCommand({
      EndpointName: endpoint,
      ContentType: 'text/csv',
      Accept: 'application/json',
      Body: new TextEncoder().encode(ROWS.map((row) => row.join(',')).join('\n')),
    }),
  );
  const body = JSON.parse(new TextDecoder().decode(response.Body)) as { predictions: { score: number }[] };
  return body.predictions.map((p) => p.score);
}

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  runtime = new SageMakerRuntimeClient({
    region: 'us-east-1',
    endpoint: platform.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = createDocumentClient(createDynamoDbClient(platform.config));
  endpoints = new LocalEndpointStore(documents, 'mlops_platform');
  deployments = new DynamoDbDeploymentStore(documents, 'mlops_platform');
  await api('registered-models/create', { name: 'churn' });
  await registerVersion(1, 5, 2);
  await registerVersion(2, 20, 4);
  await api('registered-models/alias', { name: 'churn', alias: 'champion', version: '1' });
  await smokeTable(
    'customers',
    'double',
    Array.from({ length: 20 }, (_, i) => ({
      customer_id: `C${i}`,
      tenure: i,
      usage: i / 3,
      tickets: BigInt(i % 4),
    })),
  );
  await smokeTable('customers_raw', 'string', [{ customer_id: 'C1', tenure: 4, usage: 'lots', tickets: 1n }]);
});

afterAll(async () => {
  runtime.destroy();
  await platform.stop();
});

function run(input: Record<string, unknown>) {
  return runPipelineLocally({
    name: 'deployment',
    pipeline: PIPELINES.deployment!,
    env: platform.env,
    integrations: localIntegrations(platform.env),
    input,
  });
}

const entered = (record: Awaited<ReturnType<typeof run>>, state: string) =>
  record.events.some((event) => event.type === 'StateEntered' && event.state === state);

describe('deployment pipeline', () => {
  it('gives two runs of one version started in the same second different model names', async () => {
    const prepare = createPrepare(platform.env);
    const startedAt = '2026-11-27T02:43:01.123Z';
    const request = {
      model: 'churn',
      version: 1,
      endpoint: 'a'.repeat(37),
      smokeTable: 's3://mlops-lakehouse/tables/customers',
    };
    const first = await prepare({ request, executionId: 'run-1', startedAt });
    const second = await prepare({ request, executionId: 'run-2', startedAt });
    expect(first.resourceName).not.toBe(second.resourceName);
    for (const name of [first.resourceName, second.resourceName]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^mlops-local-a+-v1-20261127024301-[0-9a-f]{6}$/);
    }
    expect(await prepare({ request, executionId: 'run-1', startedAt })).toMatchObject({
      resourceName: first.resourceName,
    });
  });

  it('creates the endpoint for the alias, smoke-tests it and records the deployment', async () => {
    const record = await run({
      model: 'churn',
      alias: 'champion',
      smokeTable: 's3://mlops-lakehouse/tables/customers',
    });
    expect(record.status, record.cause).toBe('SUCCEEDED');
    expect(entered(record, 'CreateEndpoint')).toBe(true);
    expect(record.output).toMatchObject({
      endpointName: 'mlops-local-churn',
      model: 'churn',
      version: 1,
      serverless: true,
      smokeRows: 5,
    });
    expect(await served('mlops-local-churn')).toEqual(expected.get(1));
    expect((await deployments.history('mlops-local-churn')).map((d) => d.version)).toEqual([1]);
    const version = (await api('model-versions/get?name=churn&version=1', undefined)).model_version as {
      tags: { key: string; value: string }[];
    };
    expect(version.tags).toContainEqual({ key: 'mlops.serving.endpoint', value: 'mlops-local-churn' });
  });

  it('updates the endpoint to a new version in place', async () => {
    const record = await run({
      model: 'churn',
      version: 2,
      smokeTable: 's3://mlops-lakehouse/tables/customers',
    });
    expect(record.status, record.cause).toBe('SUCCEEDED');
    expect(entered(record, 'UpdateEndpoint')).toBe(true);
    expect(await served('mlops-local-churn')).toEqual(expected.get(2));
    expect((await deployments.history('mlops-local-churn')).map((d) => d.version)).toEqual([2, 1]);
  });

  it('restores the previous version, records nothing and leaves the alias when the smoke test fails', async () => {
    const before = await endpoints.get('mlops-local-churn');
    const record = await run({
      model: 'churn',
      alias: 'champion',
      smokeTable: 's3://mlops-lakehouse/tables/customers_raw',
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('SmokeTestFailedError');
    expect(record.cause).toContain('ModelError');
    expect(entered(record, 'RestorePreviousConfig')).toBe(true);
    expect(entered(record, 'DeleteNewModel')).toBe(true);
    expect(await served('mlops-local-churn')).toEqual(expected.get(2));
    expect((await endpoints.get('mlops-local-churn'))?.modelDataUrl).toBe(before?.modelDataUrl);
    expect((await deployments.history('mlops-local-churn')).map((d) => d.version)).toEqual([2, 1]);
    const model = await api('registered-models/get?name=churn', undefined);
    expect(model.registered_model).toMatchObject({ aliases: [{ alias: 'champion', version: '1' }] });
  });

  it('deletes the endpoint it created when the new endpoint fails its smoke test', async () => {
    const record = await run({
      model: 'churn',
      version: 1,
      endpoint: 'churn-canary',
      smokeTable: 's3://mlops-lakehouse/tables/customers_raw',
    });
    expect(record).toMatchObject({ status: 'FAILED', error: 'SmokeTestFailedError' });
    expect(entered(record, 'DeleteNewEndpoint')).toBe(true);
    expect(await endpoints.get('mlops-local-churn-canary')).toBeUndefined();
    expect(await deployments.history('mlops-local-churn-canary')).toEqual([]);
  });

  it('plans the endpoint type it is asked for and refuses settings that contradict it', async () => {
    const prepare = createPrepare(platform.env);
    const base = {
      model: 'churn',
      version: 1,
      smokeTable: 's3://mlops-lakehouse/tables/customers',
    };
    const context = { executionId: 'run-type', startedAt: '2026-11-27T03:00:00.000Z' };
    const instance = await prepare({
      request: {
        ...base,
        endpointType: 'instance',
        instanceType: 'ml.m5.large',
        rollbackAlarms: ['churn-5xx'],
      },
      ...context,
    });
    expect(instance).toMatchObject({
      serverless: false,
      variant: { InstanceType: 'ml.m5.large', InitialInstanceCount: 1 },
      deploymentConfig: { AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'churn-5xx' }] } },
    });
    expect(await prepare({ request: { ...base, endpointType: 'serverless' }, ...context })).toMatchObject({
      serverless: true,
      variant: { ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } },
    });
    await expect(prepare({ request: { ...base, endpointType: 'instance' }, ...context })).rejects.toThrow(
      'an instance endpoint needs instanceType, e.g. ml.m5.large',
    );
    await expect(
      prepare({ request: { ...base, endpointType: 'serverless', instanceType: 'ml.m5.large' }, ...context }),
    ).rejects.toThrow(
      'a serverless endpoint takes no instanceType, got ml.m5.large; ask for endpointType instance',
    );
    await expect(prepare({ request: { ...base, endpointType: 'gpu' }, ...context })).rejects.toThrow(
      /endpointType/,
    );
  });

  it('fails before creating anything when the version does not exist', async () => {
    const record = await run({
      model: 'churn',
      version: 9,
      endpoint: 'churn-nine',
      smokeTable: 's3://mlops-lakehouse/tables/customers',
    });
    expect(record).toMatchObject({ status: 'FAILED', error: 'NotFoundError' });
    expect(entered(record, 'CreateModel')).toBe(false);
    expect(await endpoints.get('mlops-local-churn-nine')).toBeUndefined();
  });
});
