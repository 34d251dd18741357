import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeView } from '../../../layers/features/materialize-view.ts';
import { readOnlineFeatures, viewId } from '../../../layers/features/online-read.ts';
import { DynamoDbOnlineStore } from '../../../layers/features/online-store.ts';
import { DynamoDbFeatureRegistryStore, type ViewSpec } from '../../../layers/features/registry-store.ts';
import { append, createTable, openTable, overwrite } from '../../../layers/lakehouse/index.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { type LocalLakehouse, startLocalLakehouse } from '../lakehouse/local-lakehouse.ts';

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

  it('falls back to a full read when a commit since the last run removed data', async () => {
    const table = openTable(local.lake, spec.source.table);
    await overwrite(table, [{ account: 'a', ts: at(20), balance: 200 }]);
    const result = await materializeView(deps(), { view: 'balances' });
    expect(result).toMatchObject({
      mode: 'full',
      fromTableVersion: 3,
      toTableVersion: 4,
      rowsRead: 1,
      written: 1,
    });
    expect(await balances(['a'])).toEqual([200]);
  });
});
