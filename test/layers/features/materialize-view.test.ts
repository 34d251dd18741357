import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeView } from '../../../layers/features/materialize-view.ts';
import { readOnlineFeatures, viewId } from '../../../layers/features/online-read.ts';
import { DynamoDbOnlineStore } from '../../../layers/features/online-store.ts';
import { DynamoDbFeatureRegistryStore, type ViewSpec } from '../../../layers/features/registry-store.ts';
import { append, createTable, loadSnapshot, openTable, overwrite } from '../../../layers/lakehouse/index.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { type LocalLakehouse, startLocalLakehouse } from '../lakehouse/local-lakehouse.ts';
import { deleteRows } from './lakehouse-fixtures.ts';

let local: LocalLakehouse;
let registry: DynamoDbFeatureRegistryStore;
let online: DynamoDbOnlineStore;
let spec: ViewSpec;

const at = (minute: number) => new Date(Date.UTC(2024, 0, 1, 0, minute));

beforeAll(async () => {
  local = await startLocalLakehouse();
  const documents = createDocumentClient(createDynamoDbClient(local.platform.config));
  registry = new DynamoDbFeatureRegistryStore(documents, 'mlops_feature_registry');
  online = new DynamoDbOnlineStore(documents, 'mlops_online_store');
  const uri = local.uri('balances');
  await createTable(openTable(local.lake, uri), {
    columns: [
      { name: 'account', type: 'string' },
      { name: 'ts', type: 'timestamp' },
      { name: 'balance', type: 'double' },
    ],
  });
  spec = {
    name: 'balances',
    entities: ['account'],
    source: { table: uri, eventTimeColumn: 'ts' },
    ttl: 0,
    features: [{ name: 'balance', type: 'float64' }],
    joinKeys: [{ name: 'account', type: 'string' }],
    entityVersions: {},
  };
  const now = new Date().toISOString();
  await registry.createVersion({
    kind: 'featureView',
    name: 'balances',
    version: 1,
    revision: 1,
    spec,
    createdAt: now,
    updatedAt: now,
  });
});
afterAll(async () => {
  await local.stop();
});

const deps = () => ({ registry, online, openTable: (uri: string) => openTable(local.lake, uri) });

async function balances(accounts: string[]) {
  const read = await readOnlineFeatures(
    online,
    {
      features: [
        {
          view: 'balances',
          viewVersion: 1,
          feature: 'balance',
          type: 'float64',
          column: 'balances__balance',
        },
      ],
      views: new Map([[viewId('balances', 1), spec]]),
    },
    accounts.map((account) => ({ account })),
    new Date(),
  );
  return read.rows.map((row) => row.values[0]);
}

describe('materializeView', () => {
  it('materializes fully first, then only the files added since, never letting a late row win', async () => {
    const table = openTable(local.lake, spec.source.table);
    await append(table, [
      { account: 'a', ts: at(1), balance: 10 },
      { account: 'a', ts: at(5), balance: 50 },
      { account: 'b', ts: at(2), balance: 20 },
    ]);
    const first = await materializeView(deps(), { view: 'balances' });
    expect(first).toMatchObject({ mode: 'full', toTableVersion: 1, rowsRead: 3, entities: 2, written: 2 });
    expect(await balances(['a', 'b', 'c'])).toEqual([50, 20, null]);

    // A late row for a (older than what is online) and a newer row for b, in two commits.
    await append(table, [{ account: 'a', ts: at(3), balance: 30 }]);
    await append(table, [
      { account: 'b', ts: at(9), balance: 90 },
      { account: 'c', ts: at(9), balance: 99 },
    ]);
    const second = await materializeView(deps(), { view: 'balances' });
    expect(second).toMatchObject({
      mode: 'incremental',
      fromTableVersion: 1,
      toTableVersion: 3,
      files: 2,
      rowsRead: 3,
      written: 2,
      stale: 1,
    });
    expect(await balances(['a', 'b', 'c'])).toEqual([50, 90, 99]);

    const nothing = await materializeView(deps(), { view: 'balances' });
    expect(nothing).toMatchObject({ mode: 'incremental', rowsRead: 0, toTableVersion: 3 });
    expect(await registry.materialization('balances', 1)).toMatchObject({ tableVersion: 3 });
  });

  it('removes the entities an overwrite dropped and replaces the rest with the new content', async () => {
    const table = openTable(local.lake, spec.source.table);
    await overwrite(table, [{ account: 'a', ts: at(20), balance: 200 }]);
    const result = await materializeView(deps(), { view: 'balances' });
    expect(result).toMatchObject({
      mode: 'incremental',
      fromTableVersion: 3,
      toTableVersion: 4,
      removedFiles: 3,
      rowsRead: 2,
      written: 1,
      deleted: 2,
    });
    expect(await balances(['a', 'b', 'c'])).toEqual([200, null, null]);
  });
});

describe('materializeView after deletes', () => {
  let ledger: ViewSpec;
  const service = () => ({
    features: [
      {
        view: 'ledger',
        viewVersion: 1,
        feature: 'balance',
        type: 'float64' as const,
        column: 'ledger__balance',
      },
    ],
    views: new Map([[viewId('ledger', 1), ledger]]),
  });
  const read = (accounts: string[]) =>
    readOnlineFeatures(
      online,
      service(),
      accounts.map((account) => ({ account })),
      new Date(),
    );

  beforeAll(async () => {
    const uri = local.uri('ledger');
    await createTable(openTable(local.lake, uri), {
      columns: [
        { name: 'account', type: 'string' },
        { name: 'ts', type: 'timestamp' },
        { name: 'balance', type: 'double' },
      ],
    });
    ledger = { ...spec, name: 'ledger', source: { table: uri, eventTimeColumn: 'ts' } };
    const now = new Date().toISOString();
    await registry.createVersion({
      kind: 'featureView',
      name: 'ledger',
      version: 1,
      revision: 1,
      spec: ledger,
      createdAt: now,
      updatedAt: now,
    });
  });

  it('answers no features for an entity whose rows were all deleted, and the previous row when only the latest was', async () => {
    const table = openTable(local.lake, ledger.source.table);
    await append(table, [
      { account: 'x', ts: at(1), balance: 1 },
      { account: 'x', ts: at(5), balance: 5 },
    ]);
    await append(table, [{ account: 'y', ts: at(2), balance: 2 }]);
    await append(table, [{ account: 'z', ts: at(3), balance: 3 }]);
    await materializeView(deps(), { view: 'ledger' });
    expect((await read(['x', 'y', 'z'])).rows.map((row) => row.values[0])).toEqual([5, 2, 3]);

    await deleteRows(table, (row) => row.account === 'x' && (row.ts as Date).getTime() === at(5).getTime());
    await deleteRows(table, (row) => row.account === 'y');
    await append(table, [{ account: 'z', ts: at(9), balance: 9 }]);
    const result = await materializeView(deps(), { view: 'ledger' });
    expect(result).toMatchObject({
      mode: 'incremental',
      fromTableVersion: 3,
      toTableVersion: 6,
      files: 2,
      removedFiles: 2,
      written: 2,
      deleted: 1,
      stale: 0,
    });
    const online = await read(['x', 'y', 'z']);
    expect(online.rows.map((row) => row.values[0])).toEqual([1, null, 9]);
    expect(online.rows.map((row) => row.statuses[0])).toEqual(['PRESENT', 'MISSING', 'PRESENT']);
    expect(online.rows[0]?.eventTimes[0]).toBe(at(1).getTime());
    expect(online.rows[1]?.eventTimes[0]).toBeNull();
  });

  it('corrects every entity when a removed file was vacuumed before the run', async () => {
    const table = openTable(local.lake, ledger.source.table);
    const before = await loadSnapshot(table);
    await deleteRows(table, (row) => row.account === 'z');
    const after = await loadSnapshot(table);
    const gone = before.files.filter((file) => !after.files.some((live) => live.path === file.path));
    await table.objects.delete(gone.map((file) => file.path));
    const result = await materializeView(deps(), { view: 'ledger' });
    expect(result).toMatchObject({ mode: 'incremental', removedFiles: 2, deleted: 1, stale: 0 });
    expect((await read(['x', 'y', 'z'])).rows.map((row) => row.values[0])).toEqual([1, null, null]);
  });

  it('makes the online items equal to the snapshot on a full run, deleting items of unknown entities', async () => {
    await online.writeLatest({
      entityKey: 'account=ghost',
      view: 'ledger',
      viewVersion: 1,
      eventTime: at(30).getTime(),
      createdTime: 0,
      values: { balance: 13 },
      tableVersion: 1,
    });
    expect((await read(['ghost'])).rows[0]?.values).toEqual([13]);
    const result = await materializeView(deps(), { view: 'ledger', mode: 'full' });
    expect(result).toMatchObject({ mode: 'full', deleted: 1, written: 1 });
    expect((await read(['x', 'ghost'])).rows.map((row) => row.values[0])).toEqual([1, null]);
  });

  it('never lets a correction from an older table version undo an item from a newer one', async () => {
    const key = { entityKey: 'account=w', view: 'ledger', viewVersion: 1 };
    const item = { ...key, eventTime: at(40).getTime(), createdTime: 0, values: { balance: 40 } };
    await online.replaceLatest({ ...item, tableVersion: 20 });
    expect(await online.replaceLatest({ ...item, values: { balance: 1 }, tableVersion: 19 })).toBe('stale');
    expect(await online.deleteLatest(key, 19)).toBe('stale');
    expect((await read(['w'])).rows[0]?.values).toEqual([40]);
    expect(await online.deleteLatest(key, 20)).toBe('deleted');
    expect(await online.deleteLatest(key, 20)).toBe('absent');
  });
});
