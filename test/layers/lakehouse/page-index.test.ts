import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  append,
  createTable,
  loadSnapshot,
  openLocalTable,
  type Row,
  readTable,
  type TableHandle,
} from '../../../layers/lakehouse/index.ts';
import { candidateRows } from '../../../layers/lakehouse/page-index.ts';
import { openParquetFile } from '../../../layers/lakehouse/parquet-read.ts';
import { bindPredicate, evaluate, parsePredicate } from '../../../layers/lakehouse/predicate.ts';
import { fileKey } from '../../../layers/lakehouse/snapshot.ts';

const ROWS = 60_000;
const BASE = Date.UTC(2026, 0, 1);
let dir: string;
let table: TableHandle;
let all: Row[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'page-index-'));
  table = openLocalTable(join(dir, 't'));
  await createTable(table, {
    columns: [
      { name: 'id', type: 'long', nullable: false },
      { name: 'at', type: 'timestamp' },
      { name: 'day', type: 'date' },
      { name: 'name', type: 'string' },
      { name: 'score', type: 'double' },
      { name: 'gap', type: 'integer' },
    ],
  });
  await append(
    table,
    Array.from({ length: ROWS }, (_, i) => ({
      id: BigInt(i),
      // 1 ms apart: page maxima are truncated to milliseconds, which the skipping must allow for.
      at: new Date(BASE + i),
      day: new Date(BASE + Math.floor(i / 1000) * 86_400_000),
      name: `n${String(i).padStart(6, '0')}`,
      score: (i * 7919) % 1000,
      // A run of nulls long enough to fill whole pages.
      gap: i >= 20_000 && i < 40_000 ? null : i,
    })),
  );
  all = (await readTable(table)).rows;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('page index', () => {
  it.each([
    'id >= 30000 AND id < 30100',
    'id = 59999',
    'id IN (5, 25000, 59000)',
    `at >= '2026-01-01T00:00:30.000Z' AND at <= '2026-01-01T00:00:30.005Z'`,
    `day = '2026-01-31'`,
    `name >= 'n041000' AND name < 'n041010'`,
    'gap IS NULL AND id < 20005',
    'gap IS NOT NULL AND id >= 39990 AND id < 40010',
    'gap > 19990 AND gap < 40010',
    'id < 3 OR score = 999',
    'NOT id > 2',
  ])('returns exactly the rows a full filter returns: %s', async (where) => {
    const snapshot = await loadSnapshot(table);
    const predicate = bindPredicate(parsePredicate(where), snapshot.schema);
    const oracle = all.filter((row) => evaluate(predicate, row, snapshot.schema));
    const { rows } = await readTable(table, { where });
    expect(rows).toEqual(oracle);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('narrows a selective predicate to a few pages of the row group', async () => {
    const snapshot = await loadSnapshot(table);
    const [file] = snapshot.files;
    const parquet = await openParquetFile(table.objects, fileKey(table.objects, file!.path), file!.size);
    const group = parquet.metadata.row_groups[0]!;
    const predicate = bindPredicate(parsePredicate('id >= 30000 AND id < 30100'), snapshot.schema);
    const id = snapshot.schema.fields.find((field) => field.name === 'id')!;
    const ranges = await candidateRows(parquet, group, 0, {
      predicate,
      schema: snapshot.schema,
      fields: [id],
      partitionValues: {},
    });
    const rows = ranges.reduce((sum, [start, end]) => sum + (end - start), 0);
    expect(ranges.some(([start, end]) => start <= 30_000 && end >= 30_100)).toBe(true);
    expect(rows).toBeLessThan(Number(group.num_rows) / 10);
  });
});
