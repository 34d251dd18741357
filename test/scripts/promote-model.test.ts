/**
 * The promotion job end to end between two local platforms standing in for the staging and prod
 * accounts: the real registries, the real `mlops promote` copy, real S3 reads for the check, and
 * the smoke test against prod's local SageMaker runtime endpoint serving the promoted package.
 * Step Functions has no stand-in in the local platform, so the deployment pipeline is played by
 * aws-sdk-client-mock on the real SFN client: it points prod's local endpoint at the promoted
 * `model.tar.gz`, as the deployment state machine does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalEndpointStore } from '../../infra/local/endpoint-store.ts';
import { type LocalPlatform, startLocalPlatform } from '../../infra/local/platform.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { toMatrix } from '../../layers/xgboost/evaluator.ts';
import { buildModelPackage } from '../../layers/xgboost/model-package.ts';
import { train } from '../../layers/xgboost/trainer.ts';
import { main } from '../../scripts/promote-model.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:333333333333:stateMachine:mlops-prod-deployment';
const ROWS = Array.from({ length: 200 }, (_, i) => [Math.sin(i), (i * 7) % 13, i % 4]);
const PACKAGE = buildModelPackage(
  train({
    params: { objective: 'binary:logistic', num_round: 5, max_depth: 3 },
    train: {
      matrix: toMatrix(ROWS, 3),
      labels: Float32Array.from(ROWS, (r) => Number((r[0] as number) > 0)),
    },
  }).model,
);

let staging: LocalPlatform;
let prod: LocalPlatform;
let dir: string;
const sfn = mockClient(SFNClient);

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

const prodAlias = async () =>
  (await api(prod, 'GET', '/api/2.0/mlflow/registered-models/alias', { name: 'churn', alias: 'champion' }))
    .body.model_version?.version as string | undefined;

/** Registers a staging version whose artifacts are a model package and an MLmodel file. */
async function stagingVersion(
  run: string,
  auc: string,
  body: Uint8Array | string = PACKAGE,
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
    name: 'churn',
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
    MLOPS_DEPLOYMENT_STATE_MACHINE_ARN: STATE_MACHINE,
    MLOPS_DEPLOYMENT_POLL_MS: '10',
    MLOPS_SMOKE_INPUT: '0.5,1,3\n-0.2,4,\n',
    MLOPS_RUN_URL: 'https://github.com/example-org/mlops-kit/actions/runs/1',
    GITHUB_STEP_SUMMARY: join(dir, `summary-${Math.random()}.md`),
    ...extra,
  };
}

/** Points prod's local endpoint `mlops-prod-churn` at the package of a prod model version. */
async function deployLocally(input: { model: string; version: string }): Promise<void> {
  const version = await api(prod, 'GET', '/api/2.0/mlflow/model-versions/get', {
    name: input.model,
    version: input.version,
  });
  const source = String(version.body.model_version.source).replace('mlflow-artifacts:/', 'mlflow-artifacts/');
  const store = new LocalEndpointStore(
    createDocumentClient(createDynamoDbClient(prod.config)),
    'mlops_platform',
  );
  const url = `s3://mlops-artifacts/${source}/model.tar.gz`;
  await store.create('mlops-prod-churn', url).catch(() => store.update('mlops-prod-churn', url));
}

/**
 * The deployment succeeds after one RUNNING poll, during which it deploys the version to prod's
 * local endpoint (and `onRunning` may do more), and reports its endpoint.
 */
function deploymentSucceeds(onRunning?: (input: { model: string; version: string }) => Promise<void>) {
  let input: { model: string; version: string } | undefined;
  sfn.on(StartExecutionCommand).callsFake((command: { input: string }) => {
    input = JSON.parse(command.input);
    return {
      executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:run-1`,
      startDate: new Date(),
    };
  });
  let polls = 0;
  sfn.on(DescribeExecutionCommand).callsFake(async () => {
    polls += 1;
    if (polls === 1) {
      await deployLocally(input!);
      await onRunning?.(input!);
      return { status: 'RUNNING' };
    }
    return { status: 'SUCCEEDED', output: JSON.stringify({ endpointName: 'mlops-prod-churn' }) };
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-promote-'));
  [staging, prod] = await Promise.all([startLocalPlatform({ port: 0 }), startLocalPlatform({ port: 0 })]);
  await api(staging, 'POST', '/api/2.0/mlflow/registered-models/create', { name: 'churn' });
});

afterAll(async () => {
  sfn.restore();
  await Promise.all([staging?.stop(), prod?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  sfn.reset();
});

describe('scripts/promote-model.ts between two local platforms', () => {
  it('copies, verifies, deploys, smoke-tests and only then moves the prod alias; the summary shows it all', async () => {
    const version = await stagingVersion('run-a', '0.81');
    deploymentSucceeds(async () => {
      // While the deployment runs, prod's alias has not moved.
      expect(await prodAlias()).toBeUndefined();
    });
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
      endpointName: 'mlops-prod-churn',
      smoke: { passed: true, rows: 2 },
    });
    for (const p of report?.smoke?.predictions ?? []) expect(p > 0 && p < 1).toBe(true);
    expect(await prodAlias()).toBe('1');
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toMatchObject({
      stateMachineArn: STATE_MACHINE,
      input: JSON.stringify({ model: 'churn', version: '1' }),
    });
    const summary = readFileSync(environment.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toContain(`## ✅ Promoted: churn version ${version}`);
    expect(summary).toContain('| source version | 2 |'.replace('2', version));
    expect(summary).toContain('| target version | 1 (2 files copied) |');
    expect(summary).toContain('| auc | 0.81 |');
    expect(summary).toContain('- run: https://github.com/example-org/mlops-kit/actions/runs/1');
    expect(summary).toMatch(/- deployment: https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\//);
  });

  it('leaves the prod alias where it was when the deployment fails', async () => {
    const version = await stagingVersion('run-b', '0.84');
    sfn.on(StartExecutionCommand).resolves({
      executionArn: 'arn:aws:states:eu-west-1:333333333333:execution:x:2',
      startDate: new Date(),
    });
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ status: 'FAILED', error: 'EndpointUpdateFailed', cause: 'canary alarm' });
    const { code, report } = await main(['--model', 'churn', '--version', version], env(), () => undefined);

    expect(code).toBe(1);
    expect(report).toMatchObject({
      status: 'failed',
      failedStep: 'deploy',
      error: 'deployment FAILED: EndpointUpdateFailed (canary alarm)',
      previousVersion: '1',
      finalVersion: '1',
      targetVersion: '2',
    });
    expect(report?.aliasRestored).toBeUndefined();
    expect(report?.smoke).toBeUndefined();
    expect(await prodAlias()).toBe('1');
  });

  it('moves the alias back when the pipeline moved it and the smoke test then fails', async () => {
    // The package is not one the endpoint can load: the real local endpoint answers ModelError.
    const version = await stagingVersion('run-c', '0.86', 'not a model package');
    deploymentSucceeds(async (input) => {
      await api(prod, 'POST', '/api/2.0/mlflow/registered-models/alias', {
        name: 'churn',
        alias: 'champion',
        version: input.version,
      });
    });
    const { code, report } = await main(['--model', 'churn', '--version', version], env(), () => undefined);

    expect(code).toBe(1);
    expect(report).toMatchObject({
      status: 'failed',
      failedStep: 'smoke-test',
      error: expect.stringMatching(/^smoke test of mlops-prod-churn failed: mlops-prod-churn: ModelError: /),
      previousVersion: '1',
      targetVersion: '3',
      aliasRestored: true,
    });
    expect(await prodAlias()).toBe('1');
  });

  it('removes an alias the pipeline created for a model that had none when the smoke test fails', async () => {
    await api(staging, 'POST', '/api/2.0/mlflow/registered-models/create', { name: 'fraud' });
    const s3 = createS3Client(staging.config);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'mlops-artifacts',
        Key: 'mlflow-artifacts/8/run-f/model.tar.gz',
        Body: 'broken',
      }),
    );
    s3.destroy();
    await api(staging, 'POST', '/api/2.0/mlflow/model-versions/create', {
      name: 'fraud',
      source: 'mlflow-artifacts:/8/run-f',
    });
    deploymentSucceeds(async (input) => {
      const moved = await api(prod, 'POST', '/api/2.0/mlflow/registered-models/alias', {
        name: input.model,
        alias: 'champion',
        version: input.version,
      });
      expect(moved.body).toEqual({});
    });
    const { code, report } = await main(['--model', 'fraud', '--version', '1'], env(), () => undefined);
    expect(code).toBe(1);
    expect(report, report?.error).toMatchObject({ failedStep: 'smoke-test', aliasRestored: true });
    expect(report?.previousVersion).toBeUndefined();
    const alias = await api(prod, 'GET', '/api/2.0/mlflow/registered-models/alias', {
      name: 'fraud',
      alias: 'champion',
    });
    expect(alias.status).not.toBe(200);
  });

  it('completes a promotion whose deployment failed on a re-run, registering nothing new', async () => {
    deploymentSucceeds();
    // Staging version 2 was copied to prod as version 2 by the run whose deployment failed.
    const { code, report } = await main(['--model', 'churn', '--version', '2'], env(), () => undefined);
    expect({ code, targetVersion: report?.targetVersion, copiedFiles: report?.copiedFiles }).toEqual({
      code: 0,
      targetVersion: '2',
      copiedFiles: 0,
    });
    expect(await prodAlias()).toBe('2');
    const versions = await api(prod, 'GET', '/api/2.0/mlflow/model-versions/search', {
      filter: "name = 'churn'",
    });
    expect(versions.body.model_versions).toHaveLength(3);
  });

  it('refuses bad input with exit code 2 and touches nothing', async () => {
    const out: string[] = [];
    const before = await prodAlias();
    expect((await main(['--model', 'churn', '--version', 'latest'], env(), (t) => out.push(t))).code).toBe(2);
    expect(
      (
        await main(['--model', 'churn', '--version', '1'], env({ MLOPS_SMOKE_INPUT: ' ' }), (t) =>
          out.push(t),
        )
      ).code,
    ).toBe(2);
    expect(out).toEqual([
      'promote-model: --version must be a version number, got latest\n',
      'promote-model: MLOPS_SMOKE_INPUT: MLOPS_SMOKE_INPUT needs at least one CSV row\n',
    ]);
    expect(sfn.calls()).toHaveLength(0);
    expect(await prodAlias()).toBe(before);
  });
});
