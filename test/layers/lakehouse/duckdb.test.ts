import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { append, createTable, loadSnapshot, openTable, readTable } from '../../../layers/lakehouse/index.ts';
import { type LocalLakehouse, startLocalLakehouse } from './local-lakehouse.ts';

let local: LocalLakehouse;
let dir: string;

beforeAll(async () => {
  local = await startLocalLakehouse();
  dir = mkdtempSync(join(tmpdir(), 'lakehouse-duckdb-'));
});

afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const COLUMNS = [
  { name: 'l', type: 'long' },
  { name: 'i', type: 'integer' },
  { name: 's', type: 'short' },
  { name: 'b', type: 'byte' },
  { name: 'd', type: 'double' },
  { name: 'f', type: 'float' },
  { name: 'flag', type: 'boolean' },
  { name: 'day', type: 'date' },
  { name: 'ts', type: 'timestamp' },
  { name: 'small', type: 'decimal(9,2)' },
  { name: 'mid', type: 'decimal(18,4)' },
  { name: 'big', type: 'decimal(30,5)' },
  { name: 'name', type: 'string' },
  { name: 'raw', type: 'binary' },
] as const;

describe('Parquet files the kit writes', () => {
  it('read in DuckDB with identical values and types', async () => {
    const table = openTable(local.lake, local.uri('duckdb'));
    await createTable(table, { columns: COLUMNS });
    await append(table, [
      {
        l: 9007199254740993n,
        i: -2147483648,
        s: 32767,
        b: -128,
        d: Math.PI,
        f: 1.25,
        flag: true,
        day: '2026-02-28',
        ts: new Date('2026-01-02T03:04:05.678Z'),
        small: '-1234567.89',
        mid: '12345678901234.5678',
        big: '-1234567890123456789012345.12345',
        name: 'héllo, "world"',
        raw: new Uint8Array([0, 1, 254, 255]),
      },
      {
        l: null,
        i: null,
        s: null,
        b: null,
        d: null,
        f: null,
        flag: null,
        day: null,
        ts: null,
        small: null,
        mid: null,
        big: null,
        name: null,
        raw: null,
      },
    ]);
    const file = (await loadSnapshot(table)).files[0]!;
    const path = join(dir, 'data.parquet');
    writeFileSync(path, (await table.objects.get(decodeURIComponent(file.path)))!);

    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run('SET autoinstall_known_extensions = false');
    const describe = await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const types = Object.fromEntries(describe.getRowObjectsJS().map((r) => [r.column_name, r.column_type]));
    expect(types).toEqual({
      l: 'BIGINT',
      i: 'INTEGER',
      s: 'SMALLINT',
      b: 'TINYINT',
      d: 'DOUBLE',
      f: 'FLOAT',
      flag: 'BOOLEAN',
      day: 'DATE',
      ts: 'TIMESTAMP WITH TIME ZONE',
      small: 'DECIMAL(9,2)',
      mid: 'DECIMAL(18,4)',
      big: 'DECIMAL(30,5)',
      name: 'VARCHAR',
      raw: 'BLOB',
    });
    const result = await duck.runAndReadAll(
      `SELECT CAST(l AS VARCHAR) AS l, i, s, b, d, f, flag, CAST(day AS VARCHAR) AS day, epoch_us(ts) AS ts,
              CAST(small AS VARCHAR) AS small, CAST(mid AS VARCHAR) AS mid, CAST(big AS VARCHAR) AS big,
              name, hex(raw) AS raw
         FROM read_parquet('${path}') ORDER BY l NULLS LAST`,
    );
    const duckRows = result.getRowObjectsJS();
    const { rows } = await readTable(table);
    const kit = rows
      .sort((a, b) => (a.l === null ? 1 : b.l === null ? -1 : 0))
      .map((row) => ({
        l: row.l === null ? null : String(row.l),
        i: row.i,
        s: row.s,
        b: row.b,
        d: row.d,
        f: row.f,
        flag: row.flag,
        day: row.day === null ? null : (row.day as Date).toISOString().slice(0, 10),
        ts: row.ts === null ? null : BigInt((row.ts as Date).getTime()) * 1000n,
        small: row.small,
        mid: row.mid,
        big: row.big,
        name: row.name,
        raw:
          row.raw === null
            ? null
            : Buffer.from(row.raw as Uint8Array)
                .toString('hex')
                .toUpperCase(),
      }));
    expect(duckRows).toEqual(kit);
    expect(kit[0]?.l).toBe('9007199254740993');
    // DuckDB sees the footer statistics and prunes on them.
    const stats = await duck.runAndReadAll(
      `SELECT stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('${path}') WHERE path_in_schema = 'i'`,
    );
    expect(stats.getRowObjectsJS()[0]).toMatchObject({
      stats_min_value: '-2147483648',
      stats_max_value: '-2147483648',
      stats_null_count: 1n,
    });
    duck.closeSync();
  });
});
