/**
 * The models suite: the kit's evaluator against real xgboost (Python, `nthread=1`) on the same
 * models (100 and 500 trees of depth 6) and 100,000 rows; the kit's trainer against xgboost's hist
 * method on 100,000 × 20 rows (100 rounds, depth 6, one thread); InvokeEndpoint calls per second
 * through the local platform with the real SageMaker Runtime client.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { LocalEndpointStore } from '../infra/local/endpoint-store.ts';
import { startLocalPlatform } from '../infra/local/platform.ts';
import { createDocumentClient, createDynamoDbClient, createS3Client } from '../layers/runtime/aws-clients.ts';
import { createEvaluator, type FeatureMatrix } from '../layers/xgboost/evaluator.ts';
import { parseXgbModel, type XgbModel } from '../layers/xgboost/model-json.ts';
import { buildModelPackage } from '../layers/xgboost/model-package.ts';
import { train } from '../layers/xgboost/trainer.ts';
import type { BenchRow } from './run.ts';

const PYTHON = process.env.MLOPS_XGBOOST_PYTHON ?? '/usr/bin/python3';
const SCRIPT = new URL('../scripts/xgboost-bench.py', import.meta.url).pathname;
const ROWS = 100_000;
const COLUMNS = 20;

interface PythonReport {
  train_seconds: number;
  train_params: Record<string, string | number>;
  train_rounds: number;
  predict100_seconds: number;
  predict500_seconds: number;
}

function bestOf(runs: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    best = Math.min(best, (performance.now() - started) / 1000);
  }
  return best;
}

const perSecond = (n: number, seconds: number) => `${Math.round(n / seconds).toLocaleString('en-US')}/s`;

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-models-'));
  try {
    const python = spawnSync(PYTHON, [SCRIPT, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (python.status !== 0)
      throw new Error(`xgboost-bench.py failed (is python3-xgboost installed?): ${python.stderr}`);
    const report = JSON.parse(python.stdout) as PythonReport;
    const values = new Float32Array(readFileSync(join(dir, 'x.f32')).buffer.slice(0));
    const labels = new Float32Array(readFileSync(join(dir, 'y.f32')).buffer.slice(0));
    const matrix: FeatureMatrix = { rows: ROWS, columns: COLUMNS, values };
    const rows: BenchRow[] = [];
    const models: Record<number, XgbModel> = {};
    for (const trees of [100, 500] as const) {
      models[trees] = parseXgbModel(readFileSync(join(dir, `model${trees}.json`), 'utf8'));
      const evaluator = createEvaluator(models[trees]);
      const seconds = bestOf(3, () => evaluator.predict(matrix));
      const anchor = report[`predict${trees}_seconds`];
      rows.push({
        measurement: `predictions/s, ${trees} trees of depth 6, 100k rows × 20, one thread (best of 3)`,
        kit: perSecond(ROWS, seconds),
        anchor: `xgboost 1.7.4: ${perSecond(ROWS, anchor)}`,
        note: `kit/xgboost = ${(anchor / seconds).toFixed(2)}`,
      });
    }
    const { objective, max_depth, eta, max_bin } = report.train_params;
    const trainSeconds = bestOf(1, () =>
      train({
        params: { objective, max_depth, eta, max_bin, num_round: report.train_rounds },
        train: { matrix, labels },
      }),
    );
    rows.push({
      measurement: `training, hist, 100k × 20, ${report.train_rounds} rounds, depth 6, one thread`,
      kit: `${trainSeconds.toFixed(2)} s`,
      anchor: `xgboost 1.7.4 hist (nthread=1): ${report.train_seconds.toFixed(2)} s`,
      note: `kit/xgboost = ${(trainSeconds / report.train_seconds).toFixed(2)}×`,
    });
    rows.push(...(await endpointRows(models[100]!, values)));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function endpointRows(model: XgbModel, values: Float32Array): Promise<BenchRow[]> {
  const platform = await startLocalPlatform({ port: 0 });
  const client = new SageMakerRuntimeClient({
    region: 'us-east-1',
    endpoint: platform.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const s3 = createS3Client(platform.config);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'mlops-artifacts',
        Key: 'bench/model.tar.gz',
        Body: buildModelPackage(model),
      }),
    );
    s3.destroy();
    const ddb = createDynamoDbClient(platform.config);
    await new LocalEndpointStore(createDocumentClient(ddb), 'mlops_platform').create(
      'bench',
      's3://mlops-artifacts/bench/model.tar.gz',
    );
    ddb.destroy();
    const row = (i: number) =>
      Array.from(values.subarray((i % ROWS) * COLUMNS, ((i % ROWS) + 1) * COLUMNS), (v) =>
        Number.isNaN(v) ? '' : String(v),
      ).join(',');
    let sent = 0;
    const invoke = () =>
      client.send(
        new InvokeEndpointCommand({
          EndpointName: 'bench',
          ContentType: 'text/csv',
          Body: Buffer.from(row(sent++)),
        }),
      );
    await invoke(); // loads the model
    const measure = async (concurrency: number, seconds: number) => {
      let done = 0;
      const until = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            await invoke();
            done++;
          }
        }),
      );
      return done / seconds;
    };
    const sequential = await measure(1, 5);
    const concurrent = await measure(16, 5);
    return [
      {
        measurement: 'local endpoint InvokeEndpoint calls/s (1 row, 100 trees, real SDK client, sequential)',
        kit: `${Math.round(sequential)}/s`,
        note: 'gateway + DynamoDB definition lookup per call',
      },
      {
        measurement: 'local endpoint InvokeEndpoint calls/s (1 row, 100 trees, 16 in flight)',
        kit: `${Math.round(concurrent)}/s`,
      },
    ];
  } finally {
    client.destroy();
    await platform.stop();
  }
}
