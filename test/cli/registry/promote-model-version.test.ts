import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.ts';
import { promoteModelVersion } from '../../../cli/registry/promote-model-version.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { createS3Client } from '../../../layers/runtime/aws-clients.ts';

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
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const MODEL_BYTES = new Uint8Array(256 * 1024).map((_, i) => (i * 31) % 251);
/** Above the 8 MiB part size, so it travels as a multipart upload in parts. */
const WEIGHTS = new Uint8Array(9 * 1024 * 1024).map((_, i) => (i * 7) % 253);

describe('promoteModelVersion between two local platforms', () => {
  let source: LocalPlatform;
  let target: LocalPlatform;
  let sourceS3: S3Client;
  let targetS3: S3Client;

  beforeAll(async () => {
    [source, target] = await Promise.all([startLocalPlatform({ port: 0 }), startLocalPlatform({ port: 0 })]);
    sourceS3 = createS3Client(source.config);
    targetS3 = createS3Client(target.config);
    const prefix = 'mlflow-artifacts/4/run-abc/artifacts/model';
    await sourceS3.send(
      new PutObjectCommand({ Bucket: 'mlops-artifacts', Key: `${prefix}/MLmodel`, Body: 'flavors: {}\n' }),
    );
    await sourceS3.send(
      new PutObjectCommand({ Bucket: 'mlops-artifacts', Key: `${prefix}/model.bin`, Body: MODEL_BYTES }),
    );
    await sourceS3.send(
      new PutObjectCommand({ Bucket: 'mlops-artifacts', Key: `${prefix}/data/weights.bin`, Body: WEIGHTS }),
    );
    await api(source, 'POST', '/api/2.0/mlflow/registered-models/create', { name: 'churn' });
    await api(source, 'POST', '/api/2.0/mlflow/model-versions/create', {
      name: 'churn',
      source: 's3://mlops-artifacts/elsewhere',
    });
    await api(source, 'POST', '/api/2.0/mlflow/model-versions/create', {
      name: 'churn',
      source: 'mlflow-artifacts:/4/run-abc/artifacts/model',
      run_id: 'run-abc',
      description: 'weekly retrain',
      tags: [
        { key: 'mlops.lineage.training_set', value: 'churn_train@12' },
        { key: 'mlops.lineage.feature_service', value: 'churn@3' },
        { key: 'mlops.git_sha', value: '0123abc' },
        { key: 'mlops.metric.auc', value: '0.81' },
      ],
    });
  });

  afterAll(async () => {
    sourceS3.destroy();
    targetS3.destroy();
    await Promise.all([source.stop(), target.stop()]);
  });

  it('completes on a re-run after being interrupted between the copy and the registration', async () => {
    const interrupted = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input).includes(`${target.url}/api/2.0/mlflow/model-versions/create`)) {
        throw new TypeError('fetch failed');
      }
      return fetch(input, init);
    });
    await expect(
      promoteModelVersion({
        from: { url: source.url },
        to: { url: target.url },
        model: 'churn',
        version: '2',
        fetch: interrupted as typeof fetch,
      }),
    ).rejects.toThrow('fetch failed');
    const afterCopy = await api(target, 'GET', '/api/2.0/mlflow/model-versions/search', {
      filter: "name = 'churn'",
    });
    expect(afterCopy.body.model_versions).toBeUndefined();

    const resumed = await promoteModelVersion({
      from: { url: source.url },
      to: { url: target.url },
      model: 'churn',
      version: '2',
    });
    expect(resumed).toMatchObject({
      targetVersion: '1',
      copiedFiles: 0,
      skippedFiles: 3,
      alreadyPromoted: false,
    });
    const read = async (path: string) => {
      const object = await targetS3.send(
        new GetObjectCommand({
          Bucket: 'mlops-artifacts',
          Key: `${resumed.destination?.replace('mlflow-artifacts:/', 'mlflow-artifacts/')}/${path}`,
        }),
      );
      return Buffer.from(await object.Body!.transformToByteArray());
    };
    expect((await read('model.bin')).equals(Buffer.from(MODEL_BYTES))).toBe(true);
    expect((await read('data/weights.bin')).equals(Buffer.from(WEIGHTS))).toBe(true);
    const uri = await api(target, 'GET', '/api/2.0/mlflow/model-versions/get-download-uri', {
      name: 'churn',
      version: '1',
    });
    expect(uri.body).toEqual({ artifact_uri: resumed.destination });
  });

  it('registers nothing new when run twice, and sets the alias through the CLI', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let code: number;
    let printed = '';
    try {
      code = await main([
        'node',
        'mlops',
        'promote',
        '--model',
        'churn',
        '--version',
        '2',
        '--from',
        source.url,
        '--to',
        target.url,
        '--alias',
        'champion',
      ]);
      printed = out.mock.calls.map((call) => String(call[0])).join('');
    } finally {
      out.mockRestore();
    }
    expect(code).toBe(0);
    expect(printed).toContain(
      'promoted churn version 2 → version 1 (0 files copied, 0 present already, promoted before)',
    );
    const versions = await api(target, 'GET', '/api/2.0/mlflow/model-versions/search', {
      filter: "name = 'churn'",
    });
    expect((versions.body.model_versions as unknown[]).length).toBe(1);
    const champion = await api(target, 'GET', '/api/2.0/mlflow/registered-models/alias', {
      name: 'churn',
      alias: 'champion',
    });
    expect(champion.body.model_version).toMatchObject({ version: '1', description: 'weekly retrain' });
  });

  it('gives the target version lineage back to the source account, region, model and version', async () => {
    const lineage = await api(target, 'GET', '/api/2.0/mlops/lineage', { name: 'churn', version: '1' });
    expect(lineage.body).toMatchObject({
      training_sets: [{ table: 'churn_train', version: 12 }],
      feature_service: { name: 'churn', version: 3 },
      git_sha: '0123abc',
      promoted_from: {
        registry: source.url,
        account: '000000000000',
        region: 'us-east-1',
        model: 'churn',
        version: '2',
        runId: 'run-abc',
      },
    });
    const audit = await api(target, 'GET', '/api/2.0/mlops/audit', { name: 'churn' });
    expect((audit.body.records as { action: string }[]).map((r) => r.action)).toEqual([
      'model.created',
      'version.created',
      'alias.set',
    ]);
  });

  it("fails with the source registry's error for an unknown version, registering nothing", async () => {
    await expect(
      promoteModelVersion({
        from: { url: source.url },
        to: { url: target.url },
        model: 'churn',
        version: '9',
      }),
    ).rejects.toThrow(
      'source registry refused the export of churn version 9: RESOURCE_DOES_NOT_EXIST Model Version (name=churn, version=9) not found',
    );
    const versions = await api(target, 'GET', '/api/2.0/mlflow/model-versions/search', {
      filter: "name = 'churn'",
    });
    expect((versions.body.model_versions as unknown[]).length).toBe(1);
  });
});
