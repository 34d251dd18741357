import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { PlatformStartError, startLocalPlatform } from '../../../infra/local/platform.ts';
import { TABLES } from '../../../infra/platform/tables.ts';
import { createDynamoDbClient, createS3Client } from '../../../layers/runtime/aws-clients.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-platform-test-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('startLocalPlatform', () => {
  it('keeps table items and S3 objects across a restart on the same data dir', async () => {
    const dataDir = tempDir();
    const first = await startLocalPlatform({ dataDir, port: 0 });
    expect(first.created.tables).toHaveLength(Object.keys(TABLES).length);
    const ddb = createDynamoDbClient(first.config);
    const s3 = createS3Client(first.config);
    await ddb.send(
      new PutItemCommand({
        TableName: 'mlops_platform',
        Item: { pk: { S: 'k' }, sk: { S: 's' }, v: { S: 'kept' } },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'mlops-lakehouse', Key: 'a/b.txt', Body: 'persisted' }));
    ddb.destroy();
    s3.destroy();
    await first.stop();

    const second = await startLocalPlatform({ dataDir, port: 0 });
    try {
      expect(second.created).toEqual({ tables: [], buckets: [] });
      const ddb2 = createDynamoDbClient(second.config);
      const s32 = createS3Client(second.config);
      const item = await ddb2.send(
        new GetItemCommand({
          TableName: 'mlops_platform',
          Key: { pk: { S: 'k' }, sk: { S: 's' } },
          ConsistentRead: true,
        }),
      );
      expect(item.Item?.v?.S).toBe('kept');
      const object = await s32.send(new GetObjectCommand({ Bucket: 'mlops-lakehouse', Key: 'a/b.txt' }));
      expect(await object.Body?.transformToString()).toBe('persisted');
      ddb2.destroy();
      s32.destroy();
    } finally {
      await second.stop();
    }
  });

  it('serves /health with the state of each stand-in and the platform function through the gateway', async () => {
    const platform = await startLocalPlatform({ port: 0 });
    try {
      const health = await fetch(`${platform.url}/health`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string; services: Record<string, { status: string }> };
      expect(body.status).toBe('ok');
      expect(Object.keys(body.services).sort()).toEqual(['dynamodb', 'gateway', 's3']);
      expect(body.services.dynamodb).toMatchObject({ status: 'ok', tables: Object.keys(TABLES).length });
      const info = await fetch(`${platform.url}/api/2.0/mlops/platform/info`);
      expect(await info.json()).toMatchObject({ stage: 'local', tables: { deltaLog: 'delta_log' } });
    } finally {
      await platform.stop();
    }
  });

  it('runs two instances side by side without sharing state', async () => {
    const a = await startLocalPlatform({ dataDir: tempDir(), port: 0 });
    const b = await startLocalPlatform({ dataDir: tempDir(), port: 0 });
    try {
      const s3a = createS3Client(a.config);
      const s3b = createS3Client(b.config);
      await s3a.send(new PutObjectCommand({ Bucket: 'mlops-artifacts', Key: 'only-a', Body: 'a' }));
      await expect(
        s3b.send(new GetObjectCommand({ Bucket: 'mlops-artifacts', Key: 'only-a' })),
      ).rejects.toThrow();
      s3a.destroy();
      s3b.destroy();
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('fails with a one-line PlatformStartError when the port is busy', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const start = startLocalPlatform({ port: 0, dynamodbPort: port });
      await expect(start).rejects.toThrow(PlatformStartError);
      await expect(start).rejects.toThrow(`port ${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('fails with a PlatformStartError when the data dir cannot be written', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    await expect(startLocalPlatform({ dataDir: join(file, 'sub'), port: 0 })).rejects.toThrow(
      /^data dir .* is not writable \(ENOTDIR\)$/,
    );
  });
});
