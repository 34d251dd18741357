import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  append,
  createTable,
  history,
  loadSnapshot,
  openTable,
  optimize,
  overwrite,
  planScan,
  type Row,
  readTable,
  vacuum,
} from '../../../layers/lakehouse/index.ts';
import { objectAsyncBuffer } from '../../../layers/lakehouse/parquet-read.ts';
import { type LocalLakehouse, startLocalLakehouse } from './local-lakehouse.ts';

let local: LocalLakehouse;

beforeAll(async () => {
  local = await startLocalLakehouse();
});

afterAll(async () => {
  await local?.stop();
});

describe('history', () => {
  it('lists commitInfo per version, newest first', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    await append(table, [{ id: 1n }]);
    await overwrite(table, [{ id: 2n }]);
    const entries = await history(table);
    expect(entries.map((e) => [e.version, e.operation, e.operationParameters.mode ?? null])).toEqual([
      [2, 'WRITE', 'Overwrite'],
      [1, 'WRITE', 'Append'],
      [0, 'CREATE TABLE', null],
    ]);
    expect(entries[1]?.isBlindAppend).toBe(true);
    expect(entries[0]?.readVersion).toBe(1);
  });
});

describe('time travel', () => {
  it('reads the version current at a timestamp', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    await append(table, [{ id: 1n }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const between = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await append(table, [{ id: 2n }]);
    expect((await readTable(table, { asOf: between })).rows).toEqual([{ id: 1n }]);
    expect((await readTable(table, { asOf: new Date() })).rows).toHaveLength(2);
    await expect(readTable(table, { asOf: new Date('2000-01-01') })).rejects.toThrow(/has no version as of/);
    await expect(readTable(table, { version: 7 })).rejects.toThrow('does not exist (latest is 2)');
  });
});

describe('file skipping', () => {
  it('skips files by partition value and by min/max/nullCount statistics', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, {
      columns: [
        { name: 'id', type: 'long' },
        { name: 'day', type: 'date' },
        { name: 'score', type: 'double' },
        { name: 'tag', type: 'string' },
      ],
      partitionColumns: ['day'],
    });
    for (let batch = 0; batch < 4; batch++) {
      const rows = Array.from({ length: 10 }, (_, i) => ({
        id: BigInt(batch * 10 + i),
        day: `2026-01-0${1 + (batch % 2)}`,
        score: batch * 10 + i + 0.5,
        tag: batch === 3 ? null : `t${batch}`,
      }));
      await append(table, rows);
    }
    const count = async (where: string) => {
      const plan = await planScan(table, { where });
      const { rows } = await readTable(table, { where });
      return { files: plan.files.length, rows: rows.length };
    };
    expect(await count("day = '2026-01-01'")).toEqual({ files: 2, rows: 20 });
    expect(await count('id = 25')).toEqual({ files: 1, rows: 1 });
    expect(await count('id >= 30')).toEqual({ files: 1, rows: 10 });
    expect(await count('id > 39')).toEqual({ files: 0, rows: 0 });
    expect(await count('id < 10')).toEqual({ files: 1, rows: 10 });
    expect(await count('id <= 10')).toEqual({ files: 2, rows: 11 });
    expect(await count('id IN (1, 35)')).toEqual({ files: 2, rows: 2 });
    expect(await count('tag IS NULL')).toEqual({ files: 1, rows: 10 });
    expect(await count("tag IS NOT NULL AND day = '2026-01-02'")).toEqual({ files: 1, rows: 10 });
    expect(await count("id = 5 OR tag = 't2'")).toEqual({ files: 2, rows: 11 });
    expect(await count('score > 100')).toEqual({ files: 0, rows: 0 });
  });
});

describe('vacuum', () => {
  it('lists in a dry run, then deletes only unreferenced files older than the retention', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    await append(table, [{ id: 1n }]);
    await overwrite(table, [{ id: 2n }]);
    const oldFile = (await loadSnapshot(table, { version: 1 })).files[0]!.path;
    expect(await vacuum(table, { dryRun: true })).toEqual({ dryRun: true, files: [] });
    const later = Date.now() + 8 * 24 * 3_600_000;
    const dry = await vacuum(table, { dryRun: true, now: later });
    expect(dry.files).toEqual([oldFile]);
    expect(await table.objects.head(oldFile)).toBeDefined();
    const done = await vacuum(table, { retentionHours: 0 });
    expect(done.files).toEqual([oldFile]);
    expect(await table.objects.head(oldFile)).toBeUndefined();
    expect((await readTable(table)).rows).toEqual([{ id: 2n }]);
  });
});

describe('optimize', () => {
  it('bin-packs small files in one dataChange:false commit with the same rows', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, {
      columns: [
        { name: 'id', type: 'long' },
        { name: 'p', type: 'string' },
      ],
      partitionColumns: ['p'],
    });
    for (let i = 0; i < 6; i++) await append(table, [{ id: BigInt(i), p: i % 2 === 0 ? 'a' : 'b' }]);
    const before = await readTable(table);
    const result = await optimize(table);
    expect(result).toMatchObject({ version: 7, removedFiles: 6, addedFiles: 2, decodedBins: 0 });
    const snapshot = await loadSnapshot(table);
    expect(snapshot.files).toHaveLength(2);
    expect(snapshot.files.every((file) => file.dataChange === false)).toBe(true);
    const after = await readTable(table);
    expect(after.rows.map((r) => r.id).sort()).toEqual(before.rows.map((r) => r.id).sort());
    const entry = (await history(table, { limit: 1 }))[0];
    expect(entry?.operation).toBe('OPTIMIZE');
    expect((await optimize(table)).skipped).toBe(true);
  });
});

describe('optimize without decoding', () => {
  const columns = [
    { name: 'l', type: 'long' },
    { name: 'd', type: 'double' },
    { name: 'day', type: 'date' },
    { name: 'ts', type: 'timestamp' },
    { name: 'big', type: 'decimal(30,5)' },
    { name: 'small', type: 'decimal(9,2)' },
    { name: 'name', type: 'string' },
    { name: 'flag', type: 'boolean' },
  ] as const;
  const rows = [
    {
      l: 9007199254740993n,
      d: -1.5,
      day: new Date('2026-02-28'),
      ts: new Date('2026-01-02T03:04:05.678Z'),
      big: '-1234567890123456789012345.12345',
      small: '-0.50',
      name: 'b',
      flag: true,
    },
    {
      l: -9007199254740995n,
      d: 2.5,
      day: new Date('1969-12-31'),
      ts: new Date('1960-06-01T00:00:00.001Z'),
      big: '1234567890123456789012345.00001',
      small: '1234567.89',
      name: 'é',
      flag: null,
    },
    { l: 0n, d: null, day: null, ts: null, big: null, small: null, name: null, flag: false },
  ];

  it("copies the kit's files batch by batch and merges their statistics exactly", async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns });
    for (const row of rows) await append(table, [row]);
    const reference = openTable(local.lake, local.uri());
    await createTable(reference, { columns });
    await append(reference, rows);

    const result = await optimize(table);
    expect(result).toMatchObject({ removedFiles: 3, addedFiles: 1, decodedBins: 0 });
    const [compacted] = (await loadSnapshot(table)).files;
    const [written] = (await loadSnapshot(reference)).files;
    // The same statistics as writing the rows in one go, digit for digit.
    expect(compacted?.stats).toBe(written?.stats);
    const byKey = (a: Row, b: Row) => ((a.l as bigint) < (b.l as bigint) ? -1 : 1);
    expect((await readTable(table)).rows.sort(byKey)).toEqual((await readTable(reference)).rows.sort(byKey));
  });

  it('decodes bins whose files predate an added column, filling it with nulls', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    await append(table, [{ id: 1n }]);
    await append(table, [{ id: 2n, note: 'x' }], { mergeSchema: true });
    const result = await optimize(table);
    expect(result).toMatchObject({ removedFiles: 2, addedFiles: 1, decodedBins: 1 });
    const { rows: after } = await readTable(table);
    expect(after.sort((a, b) => Number(a.id) - Number(b.id))).toEqual([
      { id: 1n, note: null },
      { id: 2n, note: 'x' },
    ]);
  });
});

describe('checkpoints', () => {
  it('writes a Spark-shaped checkpoint at version 10 and _last_checkpoint without parts', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    for (let i = 1; i <= 11; i++)
      await append(table, [{ id: BigInt(i) }], { txn: { appId: 'job', version: i } });
    const last = JSON.parse(new TextDecoder().decode(await table.objects.get('_delta_log/_last_checkpoint')));
    expect(last).toEqual({ version: 10, size: 13, sizeInBytes: expect.any(Number), numOfAddFiles: 10 });
    expect(last).not.toHaveProperty('parts');
    const key = '_delta_log/00000000000000000010.checkpoint.parquet';
    const size = (await table.objects.head(key))!.size;
    const buffer = objectAsyncBuffer(table.objects, key, size);
    const metadata = await parquetMetadataAsync(buffer);
    const topLevel: string[] = [];
    let index = 1;
    const skip = (i: number): number => {
      let next = i + 1;
      for (let c = 0; c < (metadata.schema[i]?.num_children ?? 0); c++) next = skip(next);
      return next;
    };
    while (index < metadata.schema.length) {
      topLevel.push(metadata.schema[index]!.name);
      index = skip(index);
    }
    expect(topLevel).toEqual(['txn', 'add', 'remove', 'metaData', 'protocol', 'domainMetadata']);
    const addFields = metadata.schema
      .slice(metadata.schema.findIndex((e) => e.name === 'add') + 1)
      .filter((e) =>
        [
          'path',
          'partitionValues',
          'size',
          'modificationTime',
          'dataChange',
          'tags',
          'deletionVector',
          'baseRowId',
          'defaultRowCommitVersion',
          'stats',
        ].includes(e.name),
      )
      .slice(0, 10)
      .map((e) => e.name);
    expect(addFields).toEqual([
      'path',
      'partitionValues',
      'size',
      'modificationTime',
      'dataChange',
      'tags',
      'deletionVector',
      'baseRowId',
      'defaultRowCommitVersion',
      'stats',
    ]);
    const rows = (await parquetReadObjects({ file: buffer })) as Record<
      string,
      Record<string, unknown> | null
    >[];
    expect(rows.filter((row) => row.add).length).toBe(10);
    expect(rows.find((row) => row.txn)?.txn).toMatchObject({ appId: 'job', version: 10n });
    expect(rows.some((row) => 'commitInfo' in row)).toBe(false);
    // A reader that starts from the checkpoint sees the same table.
    await table.objects.delete([
      '_delta_log/00000000000000000001.json',
      '_delta_log/00000000000000000005.json',
    ]);
    const { rows: read, version } = await readTable(table);
    expect(version).toBe(11);
    expect(read.map((row) => Number(row.id)).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    expect((await loadSnapshot(table)).txns.get('job')).toBe(11);
  });
});
