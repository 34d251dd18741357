import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { toMatrix } from '../../../layers/xgboost/evaluator.ts';
import { writeXgbModel } from '../../../layers/xgboost/model-json.ts';
import { train } from '../../../layers/xgboost/trainer.ts';

const BIN = new URL('../../../bin/mlops.mjs', import.meta.url).pathname;
let platform: LocalPlatform;
let dir: string;

function mlops(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, ...platform.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A one-feature regression model whose predictions are about `offset + x`. */
function modelFile(name: string, offset: number): string {
  const rows = Array.from({ length: 50 }, (_, i) => [i]);
  const labels = Float32Array.from(rows, (r) => r[0]! + offset);
  const model = train({
    params: { objective: 'reg:squarederror', num_round: 30, eta: 1, base_score: offset },
    train: { matrix: toMatrix(rows, 1), labels },
  }).model;
  const path = join(dir, name);
  writeFileSync(path, writeXgbModel(model));
  return path;
}

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'mlops-endpoint-cli-'));
  writeFileSync(join(dir, 'rows.csv'), '10\n\n');
});
afterAll(async () => {
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('mlops endpoint (local platform)', () => {
  it('creates, invokes, updates to a new model, lists and deletes an endpoint', async () => {
    const created = await mlops(['endpoint', 'create', 'scores', '--model', modelFile('v1.json', 0)]);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(
      /^endpoint scores created, serving s3:\/\/mlops-artifacts\/endpoints\/scores\//,
    );
    const first = await mlops(['endpoint', 'invoke', 'scores', '--input', join(dir, 'rows.csv')]);
    expect(Number(first.stdout.trim())).toBeCloseTo(10, 0);

    const updated = await mlops(['endpoint', 'update', 'scores', '--model', modelFile('v2.json', 1000)]);
    expect(updated.code).toBe(0);
    const second = await mlops([
      'endpoint',
      'invoke',
      'scores',
      '--input',
      join(dir, 'rows.csv'),
      '--accept',
      'application/json',
    ]);
    const body = JSON.parse(second.stdout) as { predictions: { score: number }[] };
    expect(body.predictions[0]!.score).toBeCloseTo(1010, 0);

    const list = await mlops(['endpoint', 'list']);
    expect(list.stdout).toMatch(/^scores\ts3:\/\/mlops-artifacts\/endpoints\/scores\/.*\tv2\t/);
    expect((await mlops(['endpoint', 'delete', 'scores'])).code).toBe(0);
    expect((await mlops(['endpoint', 'list'])).stdout).toBe('no endpoints\n');
  });

  it('refuses an unreadable model package, changing nothing, and reports invoke errors in one line', async () => {
    const bad = await mlops([
      'endpoint',
      'create',
      'x',
      '--model-data',
      's3://mlops-artifacts/missing/model.tar.gz',
    ]);
    expect(bad).toMatchObject({
      code: 1,
      stderr: 'mlops: cannot read s3://mlops-artifacts/missing/model.tar.gz: NoSuchKey\n',
    });
    expect((await mlops(['endpoint', 'list'])).stdout).toBe('no endpoints\n');
    const missing = await mlops(['endpoint', 'invoke', 'x', '--input', join(dir, 'rows.csv')]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'mlops: endpoint x: Endpoint x of account 000000000000 not found.\n',
    });
  });
});

describe('mlops model log', () => {
  it('logs a model file as a READY MLflow logged model in the named experiment', async () => {
    const run = await mlops(['model', 'log', '--model', modelFile('churn.json', 5), '--experiment', 'churn']);
    expect(run.stderr).toBe('');
    const match = /^logged models:\/(m-[0-9a-f]+) in experiment (\d+) /.exec(run.stdout);
    expect(match).not.toBeNull();
    const got = (await (await fetch(`${platform.url}/api/2.0/mlflow/logged-models/${match![1]}`)).json()) as {
      model: { info: { status: string; name: string; experiment_id: string } };
    };
    expect(got.model.info).toMatchObject({
      status: 'LOGGED_MODEL_READY',
      name: 'churn',
      experiment_id: match![2],
    });
  });
});
