import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { materializeRows } from '../../../layers/features/materialize.ts';
import { DynamoDbOnlineStore } from '../../../layers/features/online-store.ts';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { DEFINITIONS } from '../../layers/features/fixtures.ts';

const BIN = new URL('../../../bin/mlops.mjs', import.meta.url).pathname;
let platform: LocalPlatform;
let dir: string;

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'mlops-features-cli-'));
});
afterAll(async () => {
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
});

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

describe('mlops features', () => {
  it('plans, applies, and then plans nothing for the same definitions', async () => {
    const file = join(dir, 'defs.yaml');
    writeFileSync(file, DEFINITIONS);
    const plan = await mlops(['features', 'plan', file]);
    expect(plan.stdout).toContain('+ feature view customer_stats: create v1');
    const applied = await mlops(['features', 'apply', file]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('applied');
    const again = await mlops(['features', 'plan', file]);
    expect(again.stdout).toContain('= feature view customer_stats: unchanged (v1)');
    const list = await mlops(['features', 'list']);
    expect(list.stdout).toMatch(/featureService\tfraud\tv1\t/);

    const client = createDynamoDbClient(platform.config);
    const documents = createDocumentClient(client);
    const registry = new DynamoDbFeatureRegistryStore(documents, 'mlops_feature_registry');
    await materializeRows({
      view: await registry.get('featureView', 'customer_stats'),
      batches: [
        [{ customer_id: 'c1', event_ts: new Date(), created_ts: null, total_spend: 4.5, orders: null }],
      ],
      tableVersion: 1,
      store: new DynamoDbOnlineStore(documents, 'mlops_online_store'),
    });
    client.destroy();
    const get = await mlops(['features', 'get', '--service', 'fraud', '--entity', 'customer_id=c1,c9']);
    expect(get.stderr).toBe('');
    expect(get.stdout).toBe(
      'customer_id\tcustomer_stats__total_spend\tcustomer_stats__orders\nc1\t4.5\t<missing>\nc9\t<missing>\t<missing>\n',
    );
  });

  it('reports every problem of an invalid file with its line and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, DEFINITIONS.replace('type: int64', 'type: long').replace('ttl: 7d', 'ttl: soon'));
    const run = await mlops(['features', 'apply', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`mlops: ${file}: 2 problems\n`);
    expect(run.stderr).toContain(`${file}:12:10 featureViews[0].ttl: ttl must look like`);
    expect(run.stderr).toContain(`${file}:15:31 featureViews[0].features[1].type: Invalid option`);
  });
});
