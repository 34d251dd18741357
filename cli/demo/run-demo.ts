/**
 * `npm run demo`: starts the platform on a temporary data dir and drives it end to end through the
 * same SDK clients and HTTP API that users and pipelines use, then stops it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalPlatform } from '../../infra/local/platform.ts';
import { createDynamoDbClient, createS3Client } from '../../layers/runtime/aws-clients.ts';
import { requireBucket, requireTable } from '../../layers/runtime/config.ts';
import { DemoRunner } from './steps.ts';

export interface DemoOptions {
  /** Keep the data dir afterwards (its path is printed). @default false */
  readonly keep?: boolean;
  readonly write?: (line: string) => void;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoRunner> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'mlops-demo-'));
  const demo = new DemoRunner(write);
  const platform = await demo.step('start the local platform', async () => {
    const value = await startLocalPlatform({ dataDir, port: 0 });
    return {
      value,
      summary: `API ${value.url}, ${value.created.tables.length} tables and ${value.created.buckets.length} buckets created`,
    };
  });
  try {
    const s3 = createS3Client(platform.config);
    const ddb = createDynamoDbClient(platform.config);
    await demo.step('write and read an S3 object', async () => {
      const bucket = requireBucket(platform.config, 'artifacts');
      const body = `hello from the demo at ${new Date().toISOString()}`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'demo/hello.txt', Body: body }));
      const read = await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'demo/hello.txt' }))
      ).Body?.transformToString();
      if (read !== body) throw new Error(`read back ${JSON.stringify(read)}, wrote ${JSON.stringify(body)}`);
      return {
        value: undefined,
        summary: `s3://${bucket}/demo/hello.txt round-tripped (${body.length} bytes)`,
      };
    });
    await demo.step('write and read a DynamoDB item', async () => {
      const table = requireTable(platform.config, 'platform');
      const item = { pk: { S: 'demo' }, sk: { S: 'hello' }, at: { N: String(Date.now()) } };
      await ddb.send(new PutItemCommand({ TableName: table, Item: item }));
      const read = await ddb.send(
        new GetItemCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
      );
      if (read.Item?.at?.N !== item.at.N) throw new Error('the item read back differs from the item written');
      return { value: undefined, summary: `item demo/hello round-tripped in ${table}` };
    });
    await demo.step('call the HTTP API', async () => {
      const health = (await (await fetch(`${platform.url}/health`)).json()) as { status: string };
      const info = (await (await fetch(`${platform.url}/api/2.0/mlops/platform/info`)).json()) as {
        stage: string;
      };
      if (health.status !== 'ok') throw new Error(`/health answered ${JSON.stringify(health)}`);
      return { value: undefined, summary: `/health is ${health.status}; platform stage "${info.stage}"` };
    });
    s3.destroy();
    ddb.destroy();
  } finally {
    await platform.stop();
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
  }
  const total = (performance.now() - started) / 1000;
  write('');
  write(`Demo finished in ${total.toFixed(1)} s.${options.keep ? ` Data kept in ${dataDir}.` : ''}`);
  write('Next: `npx mlops local up` starts the platform on .mlops/ and port 5000;');
  write('      `eval "$(npx mlops local env)"` points the AWS CLI and SDKs at it.');
  return demo;
}
