import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateChurnData } from '../../../cli/demo/churn-data.ts';
import { applyChurnFeatures, churnTables, loadChurnTables } from '../../../cli/demo/churn-platform.ts';
import { localIntegrations } from '../../../infra/local/integrations.ts';
import { runPipelineLocally } from '../../../infra/local/pipeline-runner.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { PIPELINES } from '../../../infra/platform/pipelines.ts';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import {
  DynamoDbCatalogStore,
  lakehouseContext,
  openTable,
  readTable,
  registerTable,
} from '../../../layers/lakehouse/index.ts';
import type { ExecutionRecord } from '../../../layers/pipelines/execution.ts';
import { trainingJobName } from '../../../layers/pipelines/training.ts';
import { runIdOf } from '../../../layers/pipelines/training-record.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../../layers/runtime/aws-clients.ts';
import { mlflowCall } from '../../functions/tracking/mlflow-http.ts';

/** MLflow's JSON answers, read field by field in the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions walk arbitrary JSON
type Json = Record<string, any>;

let platform: LocalPlatform;
const tables = churnTables('s3://mlops-lakehouse/demo');

async function api(method: 'GET' | 'POST', path: string, body?: unknown) {
  const reply = await mlflowCall(platform)(method, `/api/2.0/mlflow/${path}`, body);
  return { status: reply.status, json: reply.body as Json };
}

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  const lake = lakehouseContext(platform.config);
  await loadChurnTables(lake, generateChurnData({ customers: 400, months: 8, driftFromMonth: 8 }), tables);
  const documents = createDocumentClient(createDynamoDbClient(platform.config));
  await applyChurnFeatures(new DynamoDbFeatureRegistryStore(documents, 'mlops_feature_registry'), tables);
}, 120_000);

afterAll(async () => {
  await platform.stop();
});

function train(
  input: Record<string, unknown>,
  taskHandlers?: Record<string, (event: unknown) => Promise<unknown>>,
) {
  return runPipelineLocally({
    name: 'training',
    pipeline: PIPELINES.training!,
    env: platform.env,
    integrations: localIntegrations(platform.env),
    input,
    ...(taskHandlers ? { taskHandlers } : {}),
  });
}

const entered = (record: ExecutionRecord, state: string) =>
  record.events.some((event) => event.type === 'StateEntered' && event.state === state);

const request = (hyperParameters: Record<string, string | number>) => ({
  model: 'churn',
  featureService: 'churn',
  entities: tables.labels,
  label: 'churned',
  timestampColumn: 'event_time',
  hyperParameters,
});

describe('training pipeline', () => {
  it('trains, logs the run, registers a version with lineage and makes it challenger when no champion exists', async () => {
    const record = await train(request({ num_round: 5, max_depth: 1 }));
    expect(record.status, record.cause).toBe('SUCCEEDED');
    const output = record.output as Json;
    expect(output).toMatchObject({ outcome: 'promoted', model: 'churn', version: 1, alias: 'challenger' });
    expect(output.metrics.auc).toBeGreaterThan(0.5);

    const version = (await api('GET', 'model-versions/get?name=churn&version=1')).json.model_version;
    expect(version.run_id).toBe(output.runId);
    expect(version.source).toMatch(
      /^s3:\/\/mlops-artifacts\/models\/churn\/mlops-local-churn-\d{14}-[0-9a-f]{6}\/model\.tar\.gz$/,
    );
    const tags = Object.fromEntries(
      version.tags.map((t: { key: string; value: string }) => [t.key, t.value]),
    );
    expect(tags['mlops.lineage.feature_service']).toBe('churn@1');
    expect(tags['mlops.features.columns']).toBe(
      'activity__sessions,activity__minutes_used,activity__support_tickets,activity__payment_delays,activity__data_gb,activity__last_login_days,profile__age,profile__monthly_fee',
    );
    expect(tags['mlops.lineage.source_tables']).toContain(`${tables.activity}@`);
    expect(tags['mlops.lineage.training_set']).toBe(
      `s3://mlops-lakehouse/training-sets/churn@${output.trainingSet.version}`,
    );
    expect(Number(tags['mlops.metric.auc'])).toBeCloseTo(output.metrics.auc, 12);

    const run = (await api('GET', `runs/get?run_id=${output.runId}`)).json.run;
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.params).toEqual(expect.arrayContaining([{ key: 'num_round', value: '5' }]));
    expect(run.data.metrics.map((m: { key: string }) => m.key)).toEqual(
      expect.arrayContaining(['holdout_auc']),
    );
    expect(run.inputs.dataset_inputs[0].dataset.source).toContain('training-sets/churn');
    const listed = await fetch(
      `${platform.url}/api/2.0/mlflow-artifacts/artifacts?path=${run.info.artifact_uri.replace('mlflow-artifacts:/', '')}/model`,
    );
    const files = ((await listed.json()) as { files: { path: string; file_size: string }[] }).files;
    expect(files.map((file) => file.path)).toEqual(['model.tar.gz']);
    expect(Number(files[0]?.file_size)).toBeGreaterThan(100);

    const trainingSet = await readTable(
      openTable(lakehouseContext(platform.config), output.trainingSet.table),
      {
        version: output.trainingSet.version,
      },
    );
    expect(trainingSet.rows.length).toBe(output.trainingSet.rows);
    const model = (await api('GET', 'registered-models/get?name=churn')).json.registered_model;
    expect(model.aliases).toEqual([{ alias: 'challenger', version: '1' }]);

    // The monitoring baseline: the training set's version, profiled over the model's features.
    const s3 = createS3Client(platform.config);
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: 'mlops-artifacts', Key: 'monitoring/churn/baselines/1.json' }),
    );
    const baseline = JSON.parse(
      await (stored.Body as { transformToString(): Promise<string> }).transformToString(),
    );
    s3.destroy();
    expect(Object.keys(baseline.profile.features).sort()).toEqual(
      tags['mlops.features.columns'].split(',').sort(),
    );
    expect(baseline.profile.rows).toBe(output.trainingSet.rows);
    // …and the model's predictions on the holdout, with the holdout's quality.
    const run2 = (await api('GET', `runs/get?run_id=${output.runId}`)).json.run;
    const holdoutRows = Number(run2.data.params.find((p: { key: string }) => p.key === 'rows.holdout').value);
    expect(baseline.profile.prediction).toMatchObject({ kind: 'numeric', count: holdoutRows, nulls: 0 });
    expect(baseline.quality.auc).toBeCloseTo(output.metrics.auc, 9);
  });

  it('stores a regression baseline for a regression objective, compared on RMSE', async () => {
    const record = await train({
      ...request({ objective: 'reg:squarederror', num_round: 5, max_depth: 2, eval_metric: 'rmse' }),
      model: 'churn-score',
    });
    expect(record.status, record.cause).toBe('SUCCEEDED');
    const output = record.output as Json;
    expect(output.reason).toContain("'metrics.rmse < holder'");
    const s3 = createS3Client(platform.config);
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: 'mlops-artifacts', Key: 'monitoring/churn-score/baselines/1.json' }),
    );
    const baseline = JSON.parse(
      await (stored.Body as { transformToString(): Promise<string> }).transformToString(),
    );
    s3.destroy();
    expect(baseline.task).toBe('regression');
  });

  it('stops with the reason when the new version does not beat the champion under the approval rule', async () => {
    expect(
      (await api('POST', 'registered-models/alias', { name: 'churn', alias: 'champion', version: '1' }))
        .status,
    ).toBe(200);
    const record = await train(request({ num_round: 1, max_depth: 1, eta: 0.01 }));
    expect(record.status, record.cause).toBe('SUCCEEDED');
    const output = record.output as Json;
    expect(output.outcome).toBe('kept');
    expect(output.reason).toMatch(/version 2 fails 'metrics\.auc > holder' \('champion' is version 1\)/);
    expect(entered(record, 'Promote')).toBe(false);
    const model = (await api('GET', 'registered-models/get?name=churn')).json.registered_model;
    expect(model.aliases).toEqual(
      expect.arrayContaining([
        { alias: 'champion', version: '1' },
        { alias: 'challenger', version: '1' },
      ]),
    );
  });

  it('promotes a better version to challenger under the model approval rule', async () => {
    expect(
      (
        await api('POST', 'registered-models/set-tag', {
          name: 'churn',
          key: 'mlops.approval.rule',
          value: 'metrics.auc >= 0.6 AND metrics.auc >= holder - 0.2',
        })
      ).status,
    ).toBe(200);
    const record = await train(request({ num_round: 60, max_depth: 3 }));
    expect(record.status, record.cause).toBe('SUCCEEDED');
    const output = record.output as Json;
    expect(output).toMatchObject({ outcome: 'promoted', version: 3, alias: 'challenger' });
    expect(output.reason).toContain("passes 'metrics.auc >= 0.6 AND metrics.auc >= holder - 0.2'");
  });

  it('builds the training set through the Athena integration when the engine is athena, with the same rows', async () => {
    const lake = lakehouseContext(platform.config);
    const catalog = new DynamoDbCatalogStore(lake.dynamodb, 'mlops_platform');
    for (const location of Object.values(tables)) await registerTable({ catalog, stage: 'local', location });
    const record = await runPipelineLocally({
      name: 'training',
      pipeline: PIPELINES.training!,
      env: { ...platform.env, MLOPS_TRAINING_SET_ENGINE: 'athena' },
      integrations: localIntegrations(platform.env),
      input: { ...request({ num_round: 5, max_depth: 2 }), model: 'churn-athena' },
    });
    expect(record.status, record.cause).toBe('SUCCEEDED');
    expect(entered(record, 'QueryTrainingSet')).toBe(true);
    expect(entered(record, 'CommitTrainingSet')).toBe(true);
    expect(entered(record, 'BuiltInProcess')).toBe(false);
    const output = record.output as Json;
    const athenaSet = await readTable(openTable(lake, output.trainingSet.table), {
      version: output.trainingSet.version,
    });
    const duckdbSet = await readTable(openTable(lake, 's3://mlops-lakehouse/training-sets/churn'));
    const key = (row: Record<string, unknown>) => `${row.customer_id}|${(row.event_time as Date).getTime()}`;
    const expected = new Map(duckdbSet.rows.map((row) => [key(row), row.activity__minutes_used]));
    expect(athenaSet.rows.length).toBe(duckdbSet.rows.length);
    for (const row of athenaSet.rows) expect(row.activity__minutes_used).toEqual(expected.get(key(row)));
  });

  it('fails before writing anything when the label column is missing', async () => {
    const before = (await api('GET', 'registered-models/get?name=churn')).json.registered_model;
    const record = await train({ ...request({}), label: 'cancelled' });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidParameterError');
    expect(JSON.parse(record.cause as string).errorMessage).toContain('no label column "cancelled"');
    expect(entered(record, 'Train')).toBe(false);
    const after = (await api('GET', 'registered-models/get?name=churn')).json.registered_model;
    expect(after.latest_versions).toEqual(before.latest_versions);
  });

  it('rejects an invalid request with the field named', async () => {
    const record = await train({ ...request({}), model: 'bad name!' });
    expect(record).toMatchObject({ status: 'FAILED', error: 'InvalidParameterError' });
    expect(record.cause).toContain('model');
  });

  it('deletes the version it registered and fails its run when a later step fails', async () => {
    const versionsBefore = (
      await api('GET', `model-versions/search?filter=${encodeURIComponent("name='churn'")}`)
    ).json.model_versions as unknown[];
    const record = await train(request({ num_round: 80, max_depth: 4 }), {
      CompareFunction: async () => {
        throw Object.assign(new Error('the registry is unavailable'), { name: 'ThrottledError' });
      },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('ThrottledError');
    expect(entered(record, 'Register')).toBe(true);
    expect(entered(record, 'Rollback')).toBe(true);
    const versionsAfter = (
      await api('GET', `model-versions/search?filter=${encodeURIComponent("name='churn'")}`)
    ).json.model_versions as unknown[];
    expect(versionsAfter.length).toBe(versionsBefore.length);
    const executionId = record.executionId as string;
    const run = (await api('GET', `runs/get?run_id=${runIdOf(executionId)}`)).json.run;
    expect(run.info.status).toBe('FAILED');
    const model = (await api('GET', 'registered-models/get?name=churn')).json.registered_model;
    expect(model.aliases).toEqual(
      expect.arrayContaining([
        { alias: 'champion', version: '1' },
        { alias: 'challenger', version: '3' },
      ]),
    );
  });
});

describe('trainingJobName', () => {
  it('is unique per execution, at most 63 characters and valid for SageMaker', () => {
    const a = trainingJobName(
      'prod',
      'A_very.long-Model_name_for-churn_prediction_v2',
      'exec-1',
      '2026-11-27T03:00:01.5Z',
    );
    const b = trainingJobName(
      'prod',
      'A_very.long-Model_name_for-churn_prediction_v2',
      'exec-2',
      '2026-11-27T03:00:01.5Z',
    );
    expect(a).not.toBe(b);
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^mlops-prod-a-very-long-model[a-z0-9-]*-20261127030001-[0-9a-f]{6}$/);
      expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    }
  });
});
