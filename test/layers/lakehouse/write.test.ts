import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  append,
  createTable,
  loadSnapshot,
  merge,
  openTable,
  overwrite,
  readTable,
  SchemaMismatchError,
  TableExistsError,
  TableNotFoundError,
} from '../../../layers/lakehouse/index.ts';
import { type LocalLakehouse, startLocalLakehouse } from './local-lakehouse.ts';

let local: LocalLakehouse;

beforeAll(async () => {
  local = await startLocalLakehouse();
});

afterAll(async () => {
  await local?.stop();
});

const COLUMNS = [
  { name: 'id', type: 'long', nullable: false },
  { name: 'country', type: 'string' },
  { name: 'amount', type: 'decimal(10,2)' },
  { name: 'at', type: 'timestamp' },
] as const;

describe('createTable / append / readTable', () => {
  it('creates a (1,2) table with no features and reads appended rows back', async () => {
    const table = openTable(local.lake, local.uri());
    const created = await createTable(table, { columns: COLUMNS, partitionColumns: ['country'] });
    expect(created.version).toBe(0);
    const at = new Date('2026-01-02T03:04:05.678Z');
    const result = await append(table, [
      { id: 1n, country: 'FR', amount: '12.50', at },
      { id: 2, country: 'DE', amount: 3, at },
      { id: 3, country: null, amount: null, at: null },
    ]);
    expect(result).toMatchObject({ version: 1, skipped: false, addedFiles: 3, rows: 3 });
    const snapshot = await loadSnapshot(table);
    expect(snapshot.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(snapshot.metadata.partitionColumns).toEqual(['country']);
    const { rows } = await readTable(table);
    expect(rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1n, country: 'FR', amount: '12.50', at },
      { id: 2n, country: 'DE', amount: '3.00', at },
      { id: 3n, country: null, amount: null, at: null },
    ]);
  });

  it('throws TableExistsError when creating over an existing table', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: COLUMNS });
    await expect(createTable(table, { columns: COLUMNS })).rejects.toThrow(TableExistsError);
  });

  it('throws TableNotFoundError when reading a location without a table', async () => {
    const table = openTable(local.lake, local.uri('missing'));
    await expect(readTable(table)).rejects.toThrow(TableNotFoundError);
    await expect(append(table, [{ id: 1n }])).rejects.toThrow(TableNotFoundError);
  });

  it('rejects a row with an unknown column, naming it, and leaves the table unchanged', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: COLUMNS });
    await append(table, [{ id: 1n }]);
    const error = await append(table, [{ id: 2n, colour: 'red' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect((error as SchemaMismatchError).column).toBe('colour');
    expect((error as Error).message).toContain('"colour"');
    expect((await loadSnapshot(table)).version).toBe(1);
  });

  it('rejects a value of the wrong type, naming the column', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: COLUMNS });
    await expect(append(table, [{ id: 'x' }])).rejects.toThrow('column "id" expects long, got string "x"');
    await expect(append(table, [{ country: 'FR' }])).rejects.toThrow('column "id" is not nullable');
    expect((await loadSnapshot(table)).version).toBe(0);
  });

  it('adds new nullable columns only with mergeSchema', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    await append(table, [{ id: 1n }]);
    await append(table, [{ id: 2n, score: 0.5 }], { mergeSchema: true });
    const { rows, schema } = await readTable(table);
    expect(schema.fields.map((f) => [f.name, f.type, f.nullable])).toEqual([
      ['id', 'long', true],
      ['score', 'double', true],
    ]);
    expect(rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1n, score: null },
      { id: 2n, score: 0.5 },
    ]);
  });

  it('commits nothing for a repeated (appId, version) write', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    const first = await append(table, [{ id: 1n }], { txn: { appId: 'ingest', version: 7 } });
    const again = await append(table, [{ id: 1n }], { txn: { appId: 'ingest', version: 7 } });
    const older = await append(table, [{ id: 1n }], { txn: { appId: 'ingest', version: 6 } });
    expect(first.skipped).toBe(false);
    expect(again).toMatchObject({ skipped: true, version: 1 });
    expect(older.skipped).toBe(true);
    expect((await readTable(table)).rows).toHaveLength(1);
    expect((await loadSnapshot(table)).txns.get('ingest')).toBe(7);
  });
});

describe('overwrite and merge', () => {
  it('replaces the whole table', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: COLUMNS, partitionColumns: ['country'] });
    await append(table, [
      { id: 1n, country: 'FR' },
      { id: 2n, country: 'DE' },
    ]);
    const result = await overwrite(table, [{ id: 9n, country: 'IT' }]);
    expect(result.removedFiles).toBe(2);
    expect((await readTable(table, { columns: ['id', 'country'] })).rows).toEqual([
      { id: 9n, country: 'IT' },
    ]);
    expect((await readTable(table, { version: 1, columns: ['id'] })).rows).toHaveLength(2);
  });

  it('replaces only the partitions matching replaceWhere', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: COLUMNS, partitionColumns: ['country'] });
    await append(table, [
      { id: 1n, country: 'FR' },
      { id: 2n, country: 'DE' },
    ]);
    await overwrite(table, [{ id: 3n, country: 'FR' }], { replaceWhere: "country = 'FR'" });
    const { rows } = await readTable(table, { columns: ['id', 'country'] });
    expect(rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 2n, country: 'DE' },
      { id: 3n, country: 'FR' },
    ]);
    await expect(
      overwrite(table, [{ id: 4n, country: 'DE' }], { replaceWhere: "country = 'FR'" }),
    ).rejects.toThrow(SchemaMismatchError);
    await expect(overwrite(table, [{ id: 4n, country: 'FR' }], { replaceWhere: 'id = 4' })).rejects.toThrow(
      'replaceWhere may only use partition columns; "id" is not one',
    );
  });

  it('upserts by key: updates matches and inserts the rest', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: COLUMNS });
    await append(table, [
      { id: 1n, country: 'FR', amount: '1.00' },
      { id: 2n, country: 'DE', amount: '2.00' },
    ]);
    await append(table, [{ id: 10n, country: 'ES', amount: '10.00' }]);
    const result = await merge(
      table,
      [
        { id: 2n, country: 'DE', amount: '20.00' },
        { id: 3n, country: 'IT', amount: '3.00' },
      ],
      { on: ['id'] },
    );
    expect(result).toMatchObject({ updated: 1, inserted: 1, removedFiles: 1 });
    const { rows } = await readTable(table, { columns: ['id', 'amount'] });
    expect(rows.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1n, amount: '1.00' },
      { id: 2n, amount: '20.00' },
      { id: 3n, amount: '3.00' },
      { id: 10n, amount: '10.00' },
    ]);
  });
});
