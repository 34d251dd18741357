import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { append, createTable, lakehouseContext, openTable } from '../../../layers/lakehouse/index.ts';
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
  });

  it('materializes a view, serves it with get, and builds a training set', async () => {
    const lake = lakehouseContext(platform.config);
    const table = openTable(lake, 's3://mlops-lakehouse/tables/customer_stats');
    await createTable(table, {
      columns: [
        { name: 'customer_id', type: 'string' },
        { name: 'event_ts', type: 'timestamp' },
        { name: 'created_ts', type: 'timestamp' },
        { name: 'total_spend', type: 'double' },
        { name: 'orders', type: 'long' },
      ],
    });
    const now = Date.now();
    await append(table, [
      {
        customer_id: 'c1',
        event_ts: new Date(now - 60_000),
        created_ts: null,
        total_spend: 4.5,
        orders: null,
      },
      { customer_id: 'c2', event_ts: new Date(now - 120_000), created_ts: null, total_spend: 2, orders: 3 },
    ]);
    lake.destroy();

    const materialized = await mlops(['features', 'materialize', '--view', 'customer_stats']);
    expect(materialized.stderr).toBe('');
    expect(JSON.parse(materialized.stdout)).toMatchObject({ mode: 'full', toTableVersion: 1, written: 2 });

    const get = await mlops(['features', 'get', '--service', 'fraud', '--entity', 'customer_id=c1,c9']);
    expect(get.stderr).toBe('');
    expect(get.stdout).toBe(
      'customer_id\tcustomer_stats__total_spend\tcustomer_stats__orders\nc1\t4.5\t<missing>\nc9\t<missing>\t<missing>\n',
    );

    const csv = join(dir, 'entities.csv');
    writeFileSync(csv, `customer_id,event_timestamp,label\nc2,${new Date(now).toISOString()},1\n`);
    const built = await mlops([
      'features',
      'training-set',
      '--service',
      'fraud',
      '--entities',
      csv,
      '--out',
      's3://mlops-lakehouse/training/fraud',
    ]);
    expect(built.stderr).toBe('');
    expect(JSON.parse(built.stdout)).toMatchObject({
      featureService: { name: 'fraud', version: 1 },
      sourceTables: [{ table: 's3://mlops-lakehouse/tables/customer_stats', version: 1 }],
      output: { table: 's3://mlops-lakehouse/training/fraud', version: 1 },
      rows: 1,
      columns: [
        'customer_id',
        'event_timestamp',
        'label',
        'customer_stats__total_spend',
        'customer_stats__orders',
      ],
    });
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
