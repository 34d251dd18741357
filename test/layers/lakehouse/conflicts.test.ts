import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  append,
  CommitConflictError,
  type CommitStep,
  createTable,
  loadSnapshot,
  openTable,
  optimize,
  overwrite,
  readTable,
  scanBatches,
} from '../../../layers/lakehouse/index.ts';
import { type LocalLakehouse, startLocalLakehouse } from './local-lakehouse.ts';

let local: LocalLakehouse;

beforeAll(async () => {
  local = await startLocalLakehouse();
});

afterAll(async () => {
  await local?.stop();
});

/** A table handle whose next commit runs `race` once, after writing its temp file (before its commit point). */
function racing(uri: string, race: () => Promise<unknown>) {
  let done = false;
  return openTable(
    {
      ...local.lake,
      afterStep: async (step: CommitStep) => {
        if (step === 'temp-written' && !done) {
          done = true;
          await race();
        }
      },
    },
    uri,
  );
}

describe('conflict detection', () => {
  it('fails a read-then-overwrite that lost the race with CommitConflictError, leaving the winner intact', async () => {
    const uri = local.uri('race-overwrite');
    const plain = openTable(local.lake, uri);
    await createTable(plain, { columns: [{ name: 'id', type: 'long' }] });
    await append(plain, [{ id: 1n }]);
    const loser = racing(uri, () => overwrite(plain, [{ id: 2n }]));
    const error = await overwrite(loser, [{ id: 3n }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitConflictError);
    expect((error as Error).message).toMatch(
      /^concurrent commit 2 removed .*, which this write read; re-read the table and retry$/,
    );
    expect((await readTable(plain)).rows).toEqual([{ id: 2n }]);
    expect((await loadSnapshot(plain)).version).toBe(2);
  });

  it('retries a blind append that lost the race at the next version', async () => {
    const uri = local.uri('race-append');
    const plain = openTable(local.lake, uri);
    await createTable(plain, { columns: [{ name: 'id', type: 'long' }] });
    const loser = racing(uri, () => append(plain, [{ id: 1n }]));
    const result = await append(loser, [{ id: 2n }]);
    expect(result.version).toBe(2);
    expect((await readTable(plain)).rows.map((r) => r.id).sort()).toEqual([1n, 2n]);
  });

  it('lets an optimize commit over a concurrent blind append, keeping both', async () => {
    const uri = local.uri('race-optimize');
    const plain = openTable(local.lake, uri);
    await createTable(plain, { columns: [{ name: 'id', type: 'long' }] });
    await append(plain, [{ id: 1n }]);
    await append(plain, [{ id: 2n }]);
    const compactor = racing(uri, () => append(plain, [{ id: 3n }]));
    const result = await optimize(compactor);
    expect(result).toMatchObject({ version: 4, removedFiles: 2, addedFiles: 1 });
    expect((await readTable(plain)).rows.map((r) => r.id).sort()).toEqual([1n, 2n, 3n]);
    expect((await loadSnapshot(plain)).files).toHaveLength(2);
  });

  it('fails an optimize whose files a concurrent overwrite removed', async () => {
    const uri = local.uri('race-optimize-overwrite');
    const plain = openTable(local.lake, uri);
    await createTable(plain, { columns: [{ name: 'id', type: 'long' }] });
    await append(plain, [{ id: 1n }]);
    await append(plain, [{ id: 2n }]);
    const compactor = racing(uri, () => overwrite(plain, [{ id: 9n }]));
    await expect(optimize(compactor)).rejects.toThrow(CommitConflictError);
    expect((await readTable(plain)).rows).toEqual([{ id: 9n }]);
  });

  it('skips a retried idempotent write whose twin committed while it was in flight', async () => {
    const uri = local.uri('race-txn');
    const plain = openTable(local.lake, uri);
    await createTable(plain, { columns: [{ name: 'id', type: 'long' }] });
    const txn = { appId: 'step-functions', version: 4 };
    const loser = racing(uri, () => append(plain, [{ id: 1n }], { txn }));
    const result = await append(loser, [{ id: 1n }], { txn });
    expect(result).toMatchObject({ skipped: true, version: 1 });
    expect((await readTable(plain)).rows).toEqual([{ id: 1n }]);
  });
});

describe('streaming', () => {
  it('yields one row group at a time instead of the whole table', async () => {
    const table = openTable(local.lake, local.uri('stream'));
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    await append(
      table,
      Array.from({ length: 1000 }, (_, i) => ({ id: BigInt(i) })),
      { rowGroupSize: 100 },
    );
    const sizes: number[] = [];
    for await (const batch of scanBatches(table)) sizes.push(batch.length);
    expect(sizes).toEqual(Array.from({ length: 10 }, () => 100));
    const limited: number[] = [];
    for await (const batch of scanBatches(table, { limit: 150 })) limited.push(batch.length);
    expect(limited).toEqual([100, 50]);
  });
});
