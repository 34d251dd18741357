/**
 * The promotion job end to end between two local platforms standing in for the staging and prod
 * accounts: the real registries, the real `mlops promote` copy, real S3 reads for the check, prod's
 * real deployment state machine started through the real SFN client (the local platform's Step
 * Functions stand-in runs `state-machines/deployment.asl.json` with its task functions and the
 * local SageMaker control plane), and the smoke test against prod's local SageMaker runtime
 * endpoint, which then serves the promoted package.
 *
 * Only faults the real pipeline cannot produce (a pipeline that moves the alias itself) are played
 * by aws-sdk-client-mock on the SFN client, in the last block.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStages } from '../../infra/config/stages.ts';
import { LocalEndpointStore } from '../../infra/local/endpoint-store.ts';
import { type LocalPlatform, startLocalPlatform } from '../../infra/local/platform.ts';
import { append, createTable, lakehouseContext, openTable } from '../../layers/lakehouse/index.ts';
import { DynamoDbDeploymentStore } from '../../layers/pipelines/deployment-store.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { createEvaluator, toMatrix } from '../../layers/xgboost/evaluator.ts';
import { buildModelPackage } from '../../layers/xgboost/model-package.ts';
import { train } from '../../layers/xgboost/trainer.ts';
import { main } from '../../scripts/promote-model.ts';

const FEATURES = ['tenure', 'usage', 'tickets'];
const ROWS = Array.from({ length: 200 }, (_, i) => [(i * 7) % 40, ((i * 13) % 100) / 10, i % 4]);
const MODEL = train({
  params: { objective: 'binary:logistic', num_round: 5, max_depth: 3 },
  train: {
    matrix: toMatrix(ROWS, 3),
    labels: Float32Array.from(ROWS, ([tenure, , tickets]) =>
      (tenure as number) < 15 && (tickets as number) > 1 ? 1 : 0,
    ),
  },
  featureNames: FEATURES,
}).model;
const PACKAGE = buildModelPackage(MODEL, { featureNames: FEATURES });
const PROBE = [
  [3, 1.5, 2],
  [30, 8.2, 0],
];
const SMOKE_TABLE = 's3://mlops-lakehouse/tables/prod_customers';

let staging: LocalPlatform;
let prod: LocalPlatform;
let dir: string;

// biome-ignore lint/suspicious/noExplicitAny: API answers, asserted field by field
type Json = Record<string, any>;

async function api(
  platform: LocalPlatform,
  method: string,
  path: string,
  fields: Record<string, unknown> = {},
) {
  const url = new URL(path, platform.url);
  if (method === 'GET') for (const [k, v] of Object.entries(fields)) url.searchParams.append(k, String(v));
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body: JSON.stringify(fields) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const prodAlias = async (model = 'churn') =>
  (await api(prod, 'GET', '/api/2.0/mlflow/registered-models/alias', { name: model, alias: 'champion' })).body
    .model_version?.version as string | undefined;

/** Registers a staging version whose artifacts are a model package and an MLmodel file. */
async function stagingVersion(
  run: string,
  auc: string,
  body: Uint8Array | string = PACKAGE,
  model = 'churn',
): Promise<string> {
  const s3 = createS3Client(staging.config);
  const prefix = `mlflow-artifacts/7/${run}/artifacts/model`;
  await s3.send(
    new PutObjectCommand({ Bucket: 'mlops-artifacts', Key: `${prefix}/model.tar.gz`, Body: body }),
  );
  await s3.send(
    new PutObjectCommand({ Bucket: 'mlops-artifacts', Key: `${prefix}/MLmodel`, Body: `run: ${run}\n` }),
  );
  s3.destroy();
  const created = await api(staging, 'POST', '/api/2.0/mlflow/model-versions/create', {
    name: model,
    source: `mlflow-artifacts:/7/${run}/artifacts/model`,
    tags: [{ key: 'mlops.metric.auc', value: auc }],
  });
  return created.body.model_version.version as string;
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...prod.env,
    MLOPS_SOURCE_API_URL: staging.url,
    MLOPS_TARGET_API_URL: prod.url,
    MLOPS_SOURCE_ARTIFACTS_BUCKET: 'mlops-artifacts',
    MLOPS_TARGET_ARTIFACTS_BUCKET: 'mlops-artifacts',
    MLOPS_SOURCE_S3_ENDPOINT: staging.endpoints.s3,
    MLOPS_TARGET_STAGE: 'local',
    MLOPS_TARGET_ACCOUNT_ID: '000000000000',
    MLOPS_DEPLOYMENT_SMOKE_TABLE: SMOKE_TABLE,
    MLOPS_DEPLOYMENT_POLL_MS: '10',
    MLOPS_SMOKE_INPUT: '0.5,1,3\n12,4,\n',
    MLOPS_RUN_URL: 'https://github.com/example-org/mlops-kit/actions/runs/1',
    GITHUB_STEP_SUMMARY: join(dir, `summary-${Math.random()}.md`),
    ...extra,
  };
}

/** Predictions of prod's endpoint for the probe rows. */
async function served(endpoint: string): Promise<number[]> {
  const runtime = new SageMakerRuntimeClient({
    region: 'us-east-1',
    endpoint: prod.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const response = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: endpoint,
        ContentType: 'text/csv',
        Accept: 'application/json',
        Body: new TextEncoder().encode(PROBE.map((row) => row.join(',')).join('\n')),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(response.Body)) as { predictions: { score: number }[] };
    return body.predictions.map((p) => p.score);
  } finally {
    runtime.destroy();
  }
}

const mockSfn = () => mockClient(SFNClient);
const documents = () => createDocumentClient(createDynamoDbClient(prod.config));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-promote-'));
  [staging, prod] = await Promise.all([startLocalPlatform({ port: 0 }), startLocalPlatform({ port: 0 })]);
  await api(staging, 'POST', '/api/2.0/mlflow/registered-models/create', { name: 'churn' });
  // Prod's own rows for the deployment pipeline's smoke test: the version's training set is staging's.
  const lake = lakehouseContext(prod.config);
  const table = openTable(lake, SMOKE_TABLE);
  await createTable(table, {
    columns: [
      { name: 'customer_id', type: 'string' },
      { name: 'tenure', type: 'double' },
      { name: 'usage', type: 'double' },
      { name: 'tickets', type: 'long' },
    ],
  });
  await append(
    table,
    Array.from({ length: 10 }, (_, i) => ({
      customer_id: `C${i}`,
      tenure: i * 3,
      usage: i / 2,
      tickets: BigInt(i % 4),
    })),
  );
  lake.destroy();
});

afterAll(async () => {
  await Promise.all([staging?.stop(), prod?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("scripts/promote-model.ts between two local platforms, with prod's deployment state machine", () => {
  it('copies, verifies, deploys through the deployment pipeline, smoke-tests and only then moves the alias', async () => {
    const version = await stagingVersion('run-a', '0.81');
    const environment = env();
    const out: string[] = [];
    const { code, report } = await main(['--model', 'churn', '--version', version], environment, (t) =>
      out.push(t),
    );

    expect({ code, status: report?.status, error: report?.error }).toEqual({
      code: 0,
      status: 'promoted',
      error: undefined,
    });
    expect(report).toMatchObject({
      targetVersion: '1',
      finalVersion: '1',
      metrics: { auc: 0.81 },
      verified: { files: 2, bytes: PACKAGE.length + 'run: run-a\n'.length },
      endpointName: 'mlops-local-churn',
      smoke: { passed: true, rows: 2 },
      deployment: {
        status: 'SUCCEEDED',
        executionArn: expect.stringMatching(
          /^arn:aws:states:us-east-1:000000000000:execution:mlops-local-deployment:promote-churn-v1-\d+$/,
        ),
        output: {
          endpointName: 'mlops-local-churn',
          model: 'churn',
          version: 1,
          serverless: true,
          smokeRows: 5,
        },
      },
    });
    // The endpoint in prod serves the promoted copy, and prod recorded the deployment.
    const endpoint = await new LocalEndpointStore(documents(), 'mlops_platform').get('mlops-local-churn');
    expect(endpoint?.modelDataUrl).toMatch(
      /^s3:\/\/mlops-artifacts\/mlflow-artifacts\/promotions\/churn\/.+\/model\.tar\.gz$/,
    );
    expect(await served('mlops-local-churn')).toEqual(
      Array.from(createEvaluator(MODEL, { containerMode: true }).predict(toMatrix(PROBE))),
    );
    const history = await new DynamoDbDeploymentStore(documents(), 'mlops_platform').history(
      'mlops-local-churn',
    );
    expect(history.map((d) => [d.model, d.version, d.serverless])).toEqual([['churn', 1, true]]);
    // The alias moved last: after the deployment and the smoke test.
    const lines = out.join('');
    expect(lines.indexOf('deployed: ')).toBeGreaterThan(0);
    expect(lines.indexOf('smoke test passed')).toBeGreaterThan(lines.indexOf('deployed: '));
    expect(lines.indexOf('champion → version 1')).toBeGreaterThan(lines.indexOf('smoke test passed'));
    expect(await prodAlias()).toBe('1');

    const summary = readFileSync(environment.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toContain(`## ✅ Promoted: churn version ${version}`);
    expect(summary).toContain(`| source version | ${version} |`);
    expect(summary).toContain('| target version | 1 (2 files copied) |');
    expect(summary).toMatch(
      /\| deployment \| SUCCEEDED \(\[execution\]\(https:[^)]+\)\), serverless endpoint \|/,
    );
    expect(summary).toContain('| auc | 0.81 |');
    expect(summary).toContain('- run: https://github.com/example-org/mlops-kit/actions/runs/1');
    expect(summary).toMatch(/- deployment: https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\//);
  });

  it('deploys an instance endpoint with blue/green rollback alarms when the workflow asks for one', async () => {
    const version = await stagingVersion('run-i', '0.83');
    const { code, report } = await main(
      ['--model', 'churn', '--version', version],
      env({
        MLOPS_ENDPOINT_TYPE: 'instance',
        MLOPS_INSTANCE_TYPE: 'ml.m5.large',
        MLOPS_ROLLBACK_ALARMS: 'churn-5xx, churn-latency',
      }),
      () => undefined,
    );
    expect({ code, error: report?.error }).toEqual({ code: 0, error: undefined });
    expect(report?.deployment?.output).toMatchObject({ serverless: false, version: 2 });
    expect(report?.endpointType).toBe('instance');
    const config = await documents().send(
      new GetCommand({
        TableName: 'mlops_platform',
        Key: {
          pk: `SAGEMAKER_ENDPOINT_CONFIG#${report?.deployment?.output?.endpointConfigName}`,
          sk: 'CONFIG',
        },
      }),
    );
    expect(config.Item?.variants).toEqual([
      expect.objectContaining({ InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }),
    ]);
    expect(config.Item?.variants[0]).not.toHaveProperty('ServerlessConfig');
    expect(await prodAlias()).toBe('2');
  });

  it("leaves prod's alias and endpoint as they were when the deployment pipeline fails", async () => {
    const before = await new LocalEndpointStore(documents(), 'mlops_platform').get('mlops-local-churn');
    // The deployment's own smoke test reads a table without the model's columns: Prepare refuses.
    const version = await stagingVersion('run-b', '0.84');
    const { code, report } = await main(
      ['--model', 'churn', '--version', version],
      env({ MLOPS_DEPLOYMENT_SMOKE_TABLE: 's3://mlops-lakehouse/tables/nowhere' }),
      () => undefined,
    );

    expect(code).toBe(1);
    expect(report).toMatchObject({
      status: 'failed',
      failedStep: 'deploy',
      previousVersion: '2',
      finalVersion: '2',
      targetVersion: '3',
      deployment: { status: 'FAILED' },
    });
    expect(report?.error).toMatch(/^deployment FAILED: \w+Error/);
    expect(report?.aliasRestored).toBeUndefined();
    expect(report?.smoke).toBeUndefined();
    expect(await prodAlias()).toBe('2');
    expect(await new LocalEndpointStore(documents(), 'mlops_platform').get('mlops-local-churn')).toEqual(
      before,
    );
  });

  it('completes a promotion whose deployment failed on a re-run, registering nothing new', async () => {
    // Staging's newest version was copied to prod as version 3 by the run whose deployment failed.
    const latest = await api(staging, 'GET', '/api/2.0/mlflow/model-versions/search', {
      filter: "name = 'churn'",
    });
    const version = String(Math.max(...latest.body.model_versions.map((v: Json) => Number(v.version))));
    const { code, report } = await main(['--model', 'churn', '--version', version], env(), () => undefined);
    expect({ code, targetVersion: report?.targetVersion, copiedFiles: report?.copiedFiles }).toEqual({
      code: 0,
      targetVersion: '3',
      copiedFiles: 0,
    });
    expect(await prodAlias()).toBe('3');
    const versions = await api(prod, 'GET', '/api/2.0/mlflow/model-versions/search', {
      filter: "name = 'churn'",
    });
    expect(versions.body.model_versions).toHaveLength(3);
  });

  it("takes the endpoint type from the target stage's settings when the workflow chose none", async () => {
    const out: string[] = [];
    const instanceStage = () =>
      parseStages({ local: { account: '000000000000', region: 'us-east-1', endpointType: 'instance' } });
    const refused = await main(
      ['--model', 'churn', '--version', '1'],
      env(),
      (t) => out.push(t),
      instanceStage,
    );
    expect(refused.code).toBe(2);
    expect(out).toEqual([
      'promote-model: stage local deploys instance endpoints: set MLOPS_INSTANCE_TYPE (e.g. ml.m5.large)\n',
    ]);
    // The workflow's choice wins over the stage's.
    const { code, report } = await main(
      ['--model', 'churn', '--version', '1'],
      env({ MLOPS_ENDPOINT_TYPE: 'serverless' }),
      () => undefined,
      instanceStage,
    );
    expect({ code, error: report?.error }).toEqual({ code: 0, error: undefined });
    expect(report?.deployment?.output).toMatchObject({ serverless: true, version: 1 });
  });

  it('refuses bad input with exit code 2 and touches nothing', async () => {
    const out: string[] = [];
    const before = await prodAlias();
    const refuse = async (argv: string[], extra: Record<string, string> = {}) =>
      (await main(argv, env(extra), (t) => out.push(t))).code;
    expect(await refuse(['--model', 'churn', '--version', 'latest'])).toBe(2);
    expect(await refuse(['--model', 'churn', '--version', '1'], { MLOPS_SMOKE_INPUT: ' ' })).toBe(2);
    expect(await refuse(['--model', 'churn', '--version', '1'], { MLOPS_ENDPOINT_TYPE: 'gpu' })).toBe(2);
    expect(
      await refuse(['--model', 'churn', '--version', '1'], {
        MLOPS_ENDPOINT_TYPE: 'instance',
        MLOPS_INSTANCE_TYPE: 'ml.m5.large',
      }),
    ).toBe(2);
    expect(out).toEqual([
      'promote-model: --version must be a version number, got latest\n',
      'promote-model: MLOPS_SMOKE_INPUT: MLOPS_SMOKE_INPUT needs at least one CSV row\n',
      expect.stringMatching(/^promote-model: MLOPS_ENDPOINT_TYPE: .*"serverless".*"instance"/),
      'promote-model: stage local deploys instance endpoints: set MLOPS_ROLLBACK_ALARMS to the CloudWatch alarms (comma-separated) that roll an update back\n',
    ]);
    expect(await prodAlias()).toBe(before);
  });
});

describe('scripts/promote-model.ts with faults injected into the deployment (mocked Step Functions)', () => {
  let sfn: ReturnType<typeof mockSfn>;

  beforeAll(() => {
    sfn = mockSfn();
  });

  afterAll(() => {
    sfn.restore();
  });

  /** Points prod's local endpoint at the package of a prod model version, as the pipeline would. */
  async function deployLocally(input: { model: string; version: string }): Promise<void> {
    const version = await api(prod, 'GET', '/api/2.0/mlflow/model-versions/get', {
      name: input.model,
      version: input.version,
    });
    const source = String(version.body.model_version.source).replace(
      'mlflow-artifacts:/',
      'mlflow-artifacts/',
    );
    const store = new LocalEndpointStore(documents(), 'mlops_platform');
    const url = `s3://mlops-artifacts/${source}/model.tar.gz`;
    const name = `mlops-local-${input.model}`;
    await store.create(name, url).catch(() => store.update(name, url));
  }

  /** A deployment that moves prod's alias itself (which the real pipeline never does) and succeeds. */
  function deploymentMovesTheAlias() {
    let input: { model: string; version: string } | undefined;
    sfn.on(StartExecutionCommand).callsFake((command: { input: string }) => {
      input = JSON.parse(command.input);
      return {
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:mlops-local-deployment:run-1',
        startDate: new Date(),
      };
    });
    let polls = 0;
    sfn.on(DescribeExecutionCommand).callsFake(async () => {
      polls += 1;
      if (polls === 1) {
        await deployLocally(input!);
        const moved = await api(prod, 'POST', '/api/2.0/mlflow/registered-models/alias', {
          name: input!.model,
          alias: 'champion',
          version: input!.version,
        });
        expect(moved.body).toEqual({});
        return { status: 'RUNNING' };
      }
      return { status: 'SUCCEEDED', output: JSON.stringify({ endpointName: `mlops-local-${input!.model}` }) };
    });
  }

  it('moves the alias back when the pipeline moved it and the smoke test then fails', async () => {
    sfn.reset();
    const before = await prodAlias();
    // The package is not one the endpoint can load: the real local endpoint answers ModelError.
    const version = await stagingVersion('run-c', '0.86', 'not a model package');
    deploymentMovesTheAlias();
    const { code, report } = await main(['--model', 'churn', '--version', version], env(), () => undefined);

    expect(code).toBe(1);
    expect(report).toMatchObject({
      status: 'failed',
      failedStep: 'smoke-test',
      error: expect.stringMatching(
        /^smoke test of mlops-local-churn failed: mlops-local-churn: ModelError: /,
      ),
      previousVersion: before,
      targetVersion: '4',
      aliasRestored: true,
    });
    expect(await prodAlias()).toBe(before);
  });

  it('removes an alias the pipeline created for a model that had none when the smoke test fails', async () => {
    sfn.reset();
    await api(staging, 'POST', '/api/2.0/mlflow/registered-models/create', { name: 'fraud' });
    const version = await stagingVersion('run-f', '0.7', 'broken', 'fraud');
    deploymentMovesTheAlias();
    const { code, report } = await main(['--model', 'fraud', '--version', version], env(), () => undefined);
    expect(code).toBe(1);
    expect(report, report?.error).toMatchObject({ failedStep: 'smoke-test', aliasRestored: true });
    expect(report?.previousVersion).toBeUndefined();
    const alias = await api(prod, 'GET', '/api/2.0/mlflow/registered-models/alias', {
      name: 'fraud',
      alias: 'champion',
    });
    expect(alias.status).not.toBe(200);
  });
});
