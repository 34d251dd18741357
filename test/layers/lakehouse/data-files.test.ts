import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { conformRows } from '../../../layers/lakehouse/data-files.ts';
import { writeParquetFile } from '../../../layers/lakehouse/parquet-write.ts';
import { buildSchema } from '../../../layers/lakehouse/schema.ts';

const arrayBuffer = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer as ArrayBuffer;

const schema = buildSchema([
  { name: 'id', type: 'long', nullable: false },
  { name: 'amount', type: 'decimal(12,2)' },
  { name: 'at', type: 'timestamp' },
  { name: 'name', type: 'string' },
]);

describe('conformRows', () => {
  it('keeps rows that are already canonical and copies the others with coerced values', () => {
    const canonical = { id: 1n, amount: '1.50', at: new Date(0), name: 'a' };
    const missing = { id: 2n, amount: null, at: null };
    const coerced = { id: '3', amount: 2.5, at: '2026-01-01T00:00:00Z', name: 'c' };
    const [kept, filled, converted] = conformRows([canonical, missing, coerced], schema);
    expect(kept).toBe(canonical);
    expect(filled).not.toBe(missing);
    expect(filled).toEqual({ id: 2n, amount: null, at: null, name: null });
    expect(converted).toEqual({ id: 3n, amount: '2.50', at: new Date('2026-01-01T00:00:00Z'), name: 'c' });
    expect(coerced.id).toBe('3'); // the input is never modified
  });

  it('accepts unknown keys holding undefined but names an unknown key with a value', () => {
    const [row] = conformRows([{ id: 1n, other: undefined }], schema);
    expect(row).toEqual({ id: 1n, amount: null, at: null, name: null });
    expect(() => conformRows([{ id: 1n, toString: 'x' }], schema)).toThrow(
      'column "toString" is not in the table schema (columns: id, amount, at, name); pass mergeSchema to add it',
    );
  });

  it('names a non-nullable column without a value', () => {
    expect(() => conformRows([{ id: 1n }, { name: 'x' }], schema)).toThrow('column "id" is not nullable');
  });
});

describe('writeParquetFile', () => {
  it('writes row groups whose values and merged statistics match the rows', async () => {
    const rows = conformRows(
      Array.from({ length: 2_500 }, (_, i) => ({
        id: BigInt(i - 1_000),
        amount: i % 7 === 0 ? null : `${i - 1_250}.${String(i % 100).padStart(2, '0')}`,
        at: new Date(Date.UTC(1969, 11, 31) + i * 3_600_000),
        name: i % 5 === 0 ? null : `név-${i % 13}`,
      })),
      schema,
    );
    const file = await writeParquetFile(schema.fields, rows, { rowGroupSize: 1_000 });
    const buffer = arrayBuffer(file.bytes);
    expect(parquetMetadata(buffer).row_groups.map((group) => Number(group.num_rows))).toEqual([
      1_000, 1_000, 500,
    ]);
    const read = await parquetReadObjects({ file: buffer, columns: ['id', 'at', 'name'] });
    expect(read.map((row) => row.id)).toEqual(rows.map((row) => row.id));
    expect(read.map((row) => (row.at as Date).getTime())).toEqual(
      rows.map((row) => (row.at as Date).getTime()),
    );
    expect(read.map((row) => row.name)).toEqual(rows.map((row) => row.name));
    expect(JSON.parse(file.stats)).toEqual({
      numRecords: 2_500,
      minValues: { id: -1000, amount: -1249.01, at: '1969-12-31T00:00:00.000Z', name: 'név-0' },
      // 2499 is a multiple of 7 (amount null there)
      maxValues: { id: 1499, amount: 1248.98, at: '1970-04-14T03:00:00.000Z', name: 'név-9' },
      nullCount: { id: 0, amount: 358, at: 0, name: 500 },
    });
  });

  it('writes an empty file for no rows', async () => {
    const file = await writeParquetFile(schema.fields, []);
    const buffer = arrayBuffer(file.bytes);
    expect(parquetMetadata(buffer).num_rows).toBe(0n);
    expect(JSON.parse(file.stats)).toEqual({
      numRecords: 0,
      minValues: {},
      maxValues: {},
      nullCount: { id: 0, amount: 0, at: 0, name: 0 },
    });
  });
});
