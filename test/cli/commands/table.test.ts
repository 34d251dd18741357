import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import {
  FsObjectStore,
  openParquetFile,
  parquetFileFields,
  readParquetRows,
} from '../../../layers/lakehouse/index.ts';
import { runCli } from './cli-harness.ts';

let platform: LocalPlatform;
let dir: string;
let bucket: string;

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  bucket = platform.env.MLOPS_LAKEHOUSE_BUCKET as string;
  dir = mkdtempSync(join(tmpdir(), 'mlops-table-cli-'));
});

afterAll(async () => {
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(platform.env, args);

describe('mlops table', () => {
  it('creates a table from CSV input on append and says so, then reads it back', async () => {
    const csv = join(dir, 'orders.csv');
    writeFileSync(
      csv,
      'id,country,amount,day\n1,FR,12.5,2026-01-01\n2,DE,3,2026-01-02\n3,,7.25,2026-01-02\n',
    );
    const uri = `s3://${bucket}/raw/orders`;
    const appended = await cli('table', 'append', uri, '--input', csv, '--partition-by', 'day');
    expect(appended.stderr).toBe('');
    expect(appended.stdout).toBe(
      `created ${uri} from the input's schema (id:long, country:string, amount:double, day:date) as mlops_local.orders\n` +
        'appended 3 rows in 2 files: version 1\n',
    );
    const read = await cli('table', 'read', uri, '--where', "day = '2026-01-02'", '--columns', 'id,country');
    expect(read.stdout.trim().split('\n').sort()).toEqual([
      '{"id":2,"country":"DE"}',
      '{"id":3,"country":null}',
    ]);
    const csvOut = await cli(
      'table',
      'read',
      uri,
      '--format',
      'csv',
      '--columns',
      'id,amount',
      '--where',
      'id = 1',
    );
    expect(csvOut.stdout).toBe('id,amount\n1,12.5\n');
    const limited = await cli('table', 'read', uri, '--limit', '1');
    expect(limited.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('appends JSON lines and Parquet, writes Parquet, and travels back by version', async () => {
    const uri = `s3://${bucket}/raw/events`;
    const created = await cli(
      'table',
      'create',
      uri,
      '--schema',
      'id:long not null,score:decimal(10,2),at:timestamp',
    );
    expect(created.stdout).toBe(`created ${uri} at version 0 as mlops_local.events\n`);
    const jsonl = join(dir, 'events.jsonl');
    writeFileSync(jsonl, '{"id":1,"score":"1.50","at":"2026-01-01T00:00:00Z"}\n{"id":2,"score":2}\n');
    const appendedJson = await cli('table', 'append', uri, '--input', jsonl);
    expect(appendedJson.stderr).toBe('');
    expect(appendedJson.stdout).toBe('appended 2 rows in 1 files: version 1\n');
    const parquet = join(dir, 'events.parquet');
    expect((await cli('table', 'read', uri, '--format', 'parquet', '--output', parquet)).stdout).toBe(
      `wrote 2 rows to ${parquet}\n`,
    );
    const file = await openParquetFile(new FsObjectStore(dir), 'events.parquet');
    expect(parquetFileFields(file).map((f) => `${f.name}:${f.type}`)).toEqual([
      'id:long',
      'score:decimal(10,2)',
      'at:timestamp',
    ]);
    expect((await readParquetRows(file, parquetFileFields(file))).length).toBe(2);
    expect((await cli('table', 'append', uri, '--input', parquet)).stdout).toBe(
      'appended 2 rows in 1 files: version 2\n',
    );
    const v1 = await cli('table', 'read', uri, '--version', '1', '--format', 'csv');
    expect(v1.stdout).toBe('id,score,at\n1,1.50,2026-01-01T00:00:00.000Z\n2,2.00,\n');
    const latest = await cli('table', 'read', uri, '--format', 'csv', '--columns', 'id');
    expect(latest.stdout.trim().split('\n')).toHaveLength(5);
    const describe = await cli('table', 'describe', uri);
    expect(describe.stdout).toContain('version     2');
    expect(describe.stdout).toContain('protocol    reader 1, writer 2');
    expect(describe.stdout).toContain('  id  long not null');
    const history = await cli('table', 'history', uri, '--json');
    expect(
      history.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).operation),
    ).toEqual(['WRITE', 'WRITE', 'CREATE TABLE']);
    const aligned = await cli('table', 'history', uri, '--limit', '1');
    expect(aligned.stdout.split('\n')[0]).toMatch(/^version\s+timestamp\s+operation/);
  });

  it('overwrites partitions, skips a repeated idempotent write, optimizes and vacuums', async () => {
    const uri = `s3://${bucket}/raw/daily`;
    const a = join(dir, 'a.csv');
    writeFileSync(a, 'day,n\n2026-01-01,1\n2026-01-02,2\n');
    await cli('table', 'append', uri, '--input', a, '--partition-by', 'day');
    const b = join(dir, 'b.csv');
    writeFileSync(b, 'day,n\n2026-01-01,10\n');
    const replaced = await cli(
      'table',
      'overwrite',
      uri,
      '--input',
      b,
      '--replace-where',
      "day = '2026-01-01'",
    );
    expect(replaced.stdout).toBe('overwrote with 1 rows in 1 files, removed 1 files: version 2\n');
    const first = await cli('table', 'append', uri, '--input', b, '--app-id', 'job', '--txn-version', '3');
    expect(first.stdout).toBe('appended 1 rows in 1 files: version 3\n');
    const again = await cli('table', 'append', uri, '--input', b, '--app-id', 'job', '--txn-version', '3');
    expect(again.stdout).toBe('skipped: job version 3 was already committed (table at version 3)\n');
    const optimized = await cli('table', 'optimize', uri);
    expect(optimized.stdout).toBe('compacted 2 files into 1: version 4\n');
    const dry = await cli('table', 'vacuum', uri, '--dry-run');
    expect(dry.stdout).toBe('0 files would be deleted\n');
    const vacuumed = await cli('table', 'vacuum', uri, '--retention-hours', '0');
    expect(vacuumed.stdout).toMatch(/^deleted day=2026-01-01\/part-.*\n.*\n3 files deleted\n$/s);
    const rows = await cli('table', 'read', uri, '--format', 'csv', '--columns', 'n');
    expect(
      rows.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map(Number)
        .sort((x, y) => x - y),
    ).toEqual([2, 10, 10]);
  });

  it('reports bad input as one line on stderr with exit code 1 and changes nothing', async () => {
    const uri = `s3://${bucket}/raw/strict`;
    await cli('table', 'create', uri, '--schema', 'id:long');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'id,extra\n1,x\n');
    const run = await cli('table', 'append', uri, '--input', bad);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'mlops: column "extra" is not in the table schema (columns: id); pass mergeSchema to add it\n',
    );
    const corrupt = join(dir, 'corrupt.parquet');
    writeFileSync(corrupt, 'not parquet');
    expect((await cli('table', 'append', uri, '--input', corrupt)).stderr).toMatch(
      /^mlops: cannot read .*corrupt\.parquet: .*not valid Parquet/,
    );
    expect((await cli('table', 'read', 's3://other-bucket/t')).stderr).toBe(
      `mlops: table location s3://other-bucket/t is outside the lakehouse bucket ${bucket}\n`,
    );
    expect((await cli('table', 'read', `s3://${bucket}/raw/none`)).stderr).toBe(
      `mlops: no Delta table at s3://${bucket}/raw/none\n`,
    );
    expect((await cli('table', 'describe', uri)).stdout).toContain('version     0');
    const missing = await cli('table', 'append', uri, '--input', join(dir, 'nope.csv'));
    expect(missing.stderr).toBe(`mlops: cannot read ${join(dir, 'nope.csv')}: ENOENT\n`);
  });
});
