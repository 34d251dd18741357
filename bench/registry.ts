/**
 * The model registry through the local gateway: requests per second for create_model_version,
 * get-by-alias and search_model_versions over a model with 1,000 versions (8 clients in parallel),
 * and the wall time of `mlops promote` of a 50 MB model artifact between two local platforms.
 */
import { Upload } from '@aws-sdk/lib-storage';
import { promoteModelVersion } from '../cli/registry/promote-model-version.ts';
import { type LocalPlatform, startLocalPlatform } from '../infra/local/platform.ts';
import { createS3Client } from '../layers/runtime/aws-clients.ts';
import type { BenchRow } from './run.ts';
import { formatMs, since } from './stats.ts';

const VERSIONS = 1000;
const CLIENTS = 8;

async function call(platform: LocalPlatform, method: string, path: string, fields: Record<string, unknown>) {
  const url = new URL(path, platform.url);
  if (method === 'GET') for (const [k, v] of Object.entries(fields)) url.searchParams.append(k, String(v));
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body: JSON.stringify(fields) }),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${method} ${path} answered ${response.status}: ${body}`);
  return body;
}

/** Runs `total` requests from `CLIENTS` parallel clients; returns requests per second. */
async function throughput(total: number, request: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < total) await request(next++);
    }),
  );
  return total / (since(started) / 1000);
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const platform = await startLocalPlatform({ port: 0 });
  try {
    await call(platform, 'POST', '/api/2.0/mlflow/registered-models/create', { name: 'bench' });
    const create = await throughput(VERSIONS, (i) =>
      call(platform, 'POST', '/api/2.0/mlflow/model-versions/create', {
        name: 'bench',
        source: `mlflow-artifacts:/1/run-${i}/artifacts/model`,
        run_id: `run-${i}`,
      }),
    );
    await call(platform, 'POST', '/api/2.0/mlflow/registered-models/alias', {
      name: 'bench',
      alias: 'champion',
      version: '500',
    });
    const byAlias = await throughput(1000, () =>
      call(platform, 'GET', '/api/2.0/mlflow/registered-models/alias', { name: 'bench', alias: 'champion' }),
    );
    const search = await throughput(100, () =>
      call(platform, 'GET', '/api/2.0/mlflow/model-versions/search', {
        filter: "name = 'bench'",
        max_results: 100,
        order_by: 'version_number DESC',
      }),
    );
    rows.push(
      {
        measurement: `create_model_version, ${VERSIONS} versions of one model, ${CLIENTS} clients`,
        kit: `${create.toFixed(0)} req/s`,
      },
      {
        measurement: `get-by-alias on a model with ${VERSIONS} versions, ${CLIENTS} clients`,
        kit: `${byAlias.toFixed(0)} req/s`,
      },
      {
        measurement: `search_model_versions \`name = 'bench'\` over ${VERSIONS} versions (page of 100), ${CLIENTS} clients`,
        kit: `${search.toFixed(1)} req/s`,
        note: 'reads the whole model partition per request',
      },
    );
  } finally {
    await platform.stop();
  }
  rows.push(await promotion());
  return rows;
}

async function promotion(): Promise<BenchRow> {
  const [source, target] = await Promise.all([
    startLocalPlatform({ port: 0 }),
    startLocalPlatform({ port: 0 }),
  ]);
  const s3 = createS3Client(source.config);
  try {
    const bytes = new Uint8Array(50 * 1024 * 1024).map((_, i) => (i * 2654435761) % 256);
    await new Upload({
      client: s3,
      params: {
        Bucket: 'mlops-artifacts',
        Key: 'mlflow-artifacts/1/big/artifacts/model/model.bin',
        Body: bytes,
      },
      partSize: 8 * 1024 * 1024,
    }).done();
    await call(source, 'POST', '/api/2.0/mlflow/registered-models/create', { name: 'big' });
    await call(source, 'POST', '/api/2.0/mlflow/model-versions/create', {
      name: 'big',
      source: 'mlflow-artifacts:/1/big/artifacts/model',
    });
    const started = performance.now();
    const result = await promoteModelVersion({
      from: { url: source.url },
      to: { url: target.url },
      model: 'big',
      version: '1',
      alias: 'candidate',
    });
    const elapsed = since(started);
    if (result.copiedBytes !== bytes.length) throw new Error(`copied ${result.copiedBytes} bytes`);
    return {
      measurement: '`mlops promote` of a 50 MB model artifact between two local platforms',
      kit: formatMs(elapsed),
      note: 'export, copy through presigned URLs, register, set alias',
    };
  } finally {
    s3.destroy();
    await Promise.all([source.stop(), target.stop()]);
  }
}
