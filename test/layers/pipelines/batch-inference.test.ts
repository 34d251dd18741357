import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipelineLocally } from '../../../infra/local/pipeline-runner.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { PIPELINES } from '../../../infra/platform/pipelines.ts';
import {
  append,
  createTable,
  DynamoDbCatalogStore,
  lakehouseContext,
  openTable,
  readTable,
  runLocalQuery,
  tableExists,
} from '../../../layers/lakehouse/index.ts';
import { createS3Client } from '../../../layers/runtime/aws-clients.ts';
import { createEvaluator, toMatrix } from '../../../layers/xgboost/evaluator.ts';
import { buildModelPackage } from '../../../layers/xgboost/model-package.ts';
import { train } from '../../../layers/xgboost/trainer.ts';

const FEATURES = ['tenure', 'usage', 'tickets'];
let platform: LocalPlatform;
let lake: ReturnType<typeof lakehouseContext>;
let expected: Map<string, number>;

async function api(path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${platform.url}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
  return json;
}

function rowsFor(ids: number[]) {
  return ids.map((i) => ({
    customer_id: `C${i}`,
    tenure: (i * 7) % 40,
    usage: i % 5 === 0 ? null : ((i * 13) % 100) / 10,
    tickets: BigInt(i % 4),
  }));
}

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  lake = lakehouseContext(platform.config);
  const data = rowsFor(Array.from({ length: 400 }, (_, i) => i));
  const matrix = toMatrix(data.map((row) => [row.tenure, row.usage, Number(row.tickets)]));
  const labels = Float32Array.from(data, (row) => (row.tenure < 15 && Number(row.tickets) > 1 ? 1 : 0));
  const { model } = train({
    params: { objective: 'binary:logistic', num_round: 10, max_depth: 3 },
    train: { matrix, labels },
    featureNames: FEATURES,
  });
  const s3 = createS3Client(platform.config);
  await s3.send(
    new PutObjectCommand({
      Bucket: 'mlops-artifacts',
      Key: 'models/churn/1/model.tar.gz',
      Body: buildModelPackage(model, { featureNames: FEATURES }),
    }),
  );
  s3.destroy();
  await api('registered-models/create', { name: 'churn' });
  await api('model-versions/create', {
    name: 'churn',
    source: 's3://mlops-artifacts/models/churn/1/model.tar.gz',
  });
  await api('registered-models/alias', { name: 'churn', alias: 'champion', version: '1' });

  const input = openTable(lake, 's3://mlops-lakehouse/tables/scoring');
  await createTable(input, {
    columns: [
      { name: 'customer_id', type: 'string', nullable: false },
      { name: 'tenure', type: 'double' },
      { name: 'usage', type: 'double' },
      { name: 'tickets', type: 'long' },
      { name: 'segment', type: 'string' },
    ],
  });
  const first = rowsFor(Array.from({ length: 120 }, (_, i) => i));
  const second = rowsFor(Array.from({ length: 90 }, (_, i) => 1000 + i));
  await append(input, first);
  await append(input, second);
  const evaluator = createEvaluator(model);
  const all = [...first, ...second];
  const predictions = evaluator.predict(
    toMatrix(all.map((row) => [row.tenure, row.usage, Number(row.tickets)])),
  );
  expected = new Map(all.map((row, i) => [row.customer_id, predictions[i] as number]));
});

afterAll(async () => {
  lake.destroy();
  await platform.stop();
});

function run(input: Record<string, unknown>) {
  return runPipelineLocally({
    name: 'batch-inference',
    pipeline: PIPELINES['batch-inference']!,
    env: platform.env,
    input,
  });
}

async function stagingObjects(): Promise<number> {
  const s3 = createS3Client(platform.config);
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: 'mlops-artifacts', Prefix: 'pipelines/batch-inference/' }),
  );
  s3.destroy();
  return listed.KeyCount ?? 0;
}

describe('batch-inference pipeline', () => {
  it('scores every input row in chunks and commits the predictions in one commit', async () => {
    const record = await run({
      model: 'churn',
      alias: 'champion',
      input: 's3://mlops-lakehouse/tables/scoring',
      output: 's3://mlops-lakehouse/tables/churn_predictions',
      keyColumns: ['customer_id'],
      chunkRows: 100,
    });
    expect(record.status, record.cause).toBe('SUCCEEDED');
    expect(record.output).toMatchObject({
      version: 1,
      rows: 210,
      skipped: false,
      queryAs: 'mlops_local.churn_predictions',
    });
    const catalog = await new DynamoDbCatalogStore(lake.dynamodb, 'mlops_platform').list();
    const answer = await runLocalQuery(
      lake,
      catalog,
      'SELECT count(*) AS n, min(model_version) AS v FROM mlops_local.churn_predictions',
    );
    expect(answer.rows).toEqual([{ n: 210n, v: 1n }]);
    expect(record.events.filter((e) => e.type === 'StateEntered' && e.state === 'ScoreChunk')).toHaveLength(
      2,
    );
    const { rows, version } = await readTable(
      openTable(lake, 's3://mlops-lakehouse/tables/churn_predictions'),
    );
    expect(version).toBe(1);
    expect(rows).toHaveLength(210);
    for (const row of rows) {
      expect(row.prediction).toBe(expected.get(row.customer_id as string));
      expect(row).toMatchObject({ model_name: 'churn', model_version: 1n, input_table_version: 2n });
    }
    expect(await stagingObjects()).toBe(0);
  });

  it('fails at planning when the input lacks a feature the model needs, writing nothing', async () => {
    const input = openTable(lake, 's3://mlops-lakehouse/tables/partial');
    await createTable(input, {
      columns: [
        { name: 'customer_id', type: 'string' },
        { name: 'tenure', type: 'double' },
      ],
    });
    await append(input, [{ customer_id: 'C1', tenure: 3 }]);
    const record = await run({
      model: 'churn',
      version: 1,
      input: 's3://mlops-lakehouse/tables/partial',
      output: 's3://mlops-lakehouse/tables/partial_predictions',
      keyColumns: ['customer_id'],
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidParameterError');
    expect(record.cause).toContain('lacks column(s) usage, tickets');
    expect(await tableExists(openTable(lake, 's3://mlops-lakehouse/tables/partial_predictions'))).toBe(false);
  });

  it('discards staged chunks and commits nothing when a chunk cannot be scored', async () => {
    const input = openTable(lake, 's3://mlops-lakehouse/tables/bad_values');
    await createTable(input, {
      columns: [
        { name: 'customer_id', type: 'string' },
        { name: 'tenure', type: 'double' },
        { name: 'usage', type: 'string' },
        { name: 'tickets', type: 'long' },
      ],
    });
    await append(input, [{ customer_id: 'C1', tenure: 3, usage: null, tickets: 1n }]);
    await append(input, [{ customer_id: 'C2', tenure: 3, usage: 'lots', tickets: 1n }]);
    const record = await run({
      model: 'churn',
      alias: 'champion',
      input: 's3://mlops-lakehouse/tables/bad_values',
      output: 's3://mlops-lakehouse/tables/bad_predictions',
      keyColumns: ['customer_id'],
      chunkRows: 1,
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidParameterError');
    expect(record.events.some((e) => e.type === 'StateEntered' && e.state === 'DiscardStaging')).toBe(true);
    expect(await tableExists(openTable(lake, 's3://mlops-lakehouse/tables/bad_predictions'))).toBe(false);
    expect(await stagingObjects()).toBe(0);
  });

  it("refuses an unknown alias with the registry's error", async () => {
    const record = await run({
      model: 'churn',
      alias: 'nope',
      input: 's3://mlops-lakehouse/tables/scoring',
      output: 's3://mlops-lakehouse/tables/x',
      keyColumns: ['customer_id'],
    });
    expect(record).toMatchObject({ status: 'FAILED', error: 'InvalidParameterError' });
    expect(record.cause).toContain('alias nope not found');
  });
});
