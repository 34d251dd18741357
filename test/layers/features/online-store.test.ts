import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb, writeTrainingSetParquet } from '../../../layers/features/duckdb-executor.ts';
import { materializeRows } from '../../../layers/features/materialize.ts';
import { readOnlineFeatures, viewId } from '../../../layers/features/online-read.ts';
import { DynamoDbOnlineStore, itemId, type OnlineItem } from '../../../layers/features/online-store.ts';
import { quoteLiteral } from '../../../layers/features/point-in-time-sql.ts';
import type { ViewSpec } from '../../../layers/features/registry-store.ts';
import { type LocalFeatureTables, startFeatureTables } from './local-tables.ts';
import { type GeneratedData, generateData, random } from './pit-data.ts';

let tables: LocalFeatureTables;
let dir: string;
let data: GeneratedData;

beforeAll(async () => {
  tables = await startFeatureTables();
  dir = mkdtempSync(join(tmpdir(), 'mlops-online-'));
  data = generateData(dir, 11);
});
afterAll(async () => {
  await tables.close();
  rmSync(dir, { recursive: true, force: true });
});

const store = () => new DynamoDbOnlineStore(tables.documents, tables.onlineTable);

function serviceOf(views: GeneratedData['views']) {
  return {
    features: views.flatMap((view) => view.features),
    views: new Map(views.map((view) => [viewId(view.spec.name, 1), view.spec])),
  };
}

describe('online store', () => {
  it('serves after materialization exactly the values the offline point-in-time join gives at the same instant', async () => {
    for (const view of data.views) {
      const counts = await materializeRows({
        view: { name: view.spec.name, version: 1, spec: view.spec },
        batches: [view.rows],
        tableVersion: 3,
        store: store(),
      });
      expect(counts.rowsRead).toBe(view.rows.length);
    }
    // One instant after every event, close enough that part of the 600 s / 1200 s TTL views has expired.
    const lastEvent = Math.max(
      ...data.views.flatMap((view) => view.rows.map((row) => (row.event_ts as Date).getTime())),
    );
    const now = new Date(lastEvent + 700_000);
    const customers = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const entities = customers.flatMap((customer_id, i) => [
      { customer_id, merchant_id: (i % 12) + 1 },
      { customer_id, merchant_id: ((i + 5) % 12) + 1 },
    ]);

    const online = await readOnlineFeatures(store(), serviceOf(data.views), entities, now);

    const entityFile = join(dir, 'now.parquet');
    writeFileSync(
      entityFile,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'customer_id', type: 'STRING', data: entities.map((e) => e.customer_id) },
            { name: 'merchant_id', type: 'INT64', data: entities.map((e) => BigInt(e.merchant_id)) },
            { name: 'event_timestamp', type: 'TIMESTAMP', data: entities.map(() => now) },
          ],
        }),
      ),
    );
    const out = join(dir, 'offline-now.parquet');
    await writeTrainingSetParquet({ files: [entityFile], format: 'parquet' }, data.views, out);
    const db = await openDuckDb();
    const offline = (
      await db.connection.runAndReadAll(`SELECT * FROM read_parquet(${quoteLiteral(out)})`)
    ).getRowObjectsJS();
    db.close();

    const plain = (value: unknown) => (typeof value === 'bigint' ? Number(value) : value);
    const expected = offline.map((row) => online.featureNames.map((name) => plain(row[name])));
    expect(online.rows.map((row) => row.values)).toEqual(expected);
    const statuses = online.rows.flatMap((row) => row.statuses);
    expect(new Set(statuses)).toEqual(new Set(['PRESENT', 'MISSING', 'EXPIRED']));
  });

  it('never replaces a newer value with a late older row, with concurrent writers', async () => {
    const spec: ViewSpec = {
      name: 'race',
      entities: ['customer'],
      source: { table: 's3://b/race', eventTimeColumn: 'ts', createdTimeColumn: 'created' },
      ttl: 0,
      features: [{ name: 'value', type: 'int64' }],
      joinKeys: [{ name: 'customer_id', type: 'string' }],
      entityVersions: {},
    };
    const rand = random(3);
    const rows = Array.from({ length: 1200 }, (_, i) => {
      const ts = Math.floor(rand() * 50);
      return {
        customer_id: `k${i % 40}`,
        ts: new Date(ts * 1000),
        created: new Date((ts * 100 + (i % 7)) * 1000),
        value: i,
      };
    });
    const newest = new Map<string, { ts: number; created: number; value: number }>();
    for (const row of rows) {
      const seen = newest.get(row.customer_id);
      const ts = row.ts.getTime();
      const created = row.created.getTime();
      if (!seen || seen.ts < ts || (seen.ts === ts && seen.created < created)) {
        newest.set(row.customer_id, { ts, created, value: row.value });
      }
    }
    // Six writers, each with a shuffled slice of the rows (late and out of order), all at once.
    const shuffled = [...rows].sort(() => rand() - 0.5);
    const slices = Array.from({ length: 6 }, (_, w) => shuffled.filter((_, i) => i % 6 === w));
    const view = { name: 'race', version: 1, spec };
    await Promise.all(
      slices.map((slice) =>
        materializeRows({ view, batches: [slice], tableVersion: 1, store: store(), concurrency: 8 }),
      ),
    );
    // A late batch of old rows afterwards changes nothing.
    const late = await materializeRows({
      view,
      batches: [rows.filter((row) => row.ts.getTime() < 10_000)],
      tableVersion: 2,
      store: store(),
    });
    expect(late.written).toBe(0);
    expect(late.stale).toBe(late.entities);

    const read = await readOnlineFeatures(
      store(),
      {
        features: [{ view: 'race', viewVersion: 1, feature: 'value', type: 'int64', column: 'race__value' }],
        views: new Map([[viewId('race', 1), spec]]),
      },
      [...newest.keys()].map((customer_id) => ({ customer_id })),
      new Date(),
    );
    expect(read.rows.map((row) => [row.values[0], row.eventTimes[0]])).toEqual(
      [...newest.values()].map((entry) => [entry.value, entry.ts]),
    );
  });

  it('reports stale for an older row and writes an equal one again (idempotent re-materialization)', async () => {
    const item: OnlineItem = {
      entityKey: 'customer_id=solo',
      view: 'solo',
      viewVersion: 1,
      eventTime: 5000,
      createdTime: 10,
      values: { a: 1 },
      tableVersion: 1,
    };
    expect(await store().writeLatest(item)).toBe('written');
    expect(await store().writeLatest({ ...item, eventTime: 4999, values: { a: 0 } })).toBe('stale');
    expect(await store().writeLatest({ ...item, createdTime: 9, values: { a: 0 } })).toBe('stale');
    expect(await store().writeLatest(item)).toBe('written');
    expect(await store().writeLatest({ ...item, createdTime: 11, values: { a: 2 } })).toBe('written');
  });

  it('stores the values as one JSON string and still reads items written with a values map', async () => {
    const key = { entityKey: 'customer_id=m1', view: 'legacy', viewVersion: 1 };
    await store().writeLatest({
      ...key,
      eventTime: 5,
      createdTime: 0,
      values: { a: 1.5, b: null, c: 'x' },
      tableVersion: 1,
    });
    const raw = await tables.documents.send(
      new GetCommand({ TableName: tables.onlineTable, Key: { pk: key.entityKey, sk: 'legacy#v1' } }),
    );
    expect(raw.Item?.values).toBe('{"a":1.5,"b":null,"c":"x"}');
    await tables.documents.send(
      new PutCommand({
        TableName: tables.onlineTable,
        Item: {
          pk: 'customer_id=m2',
          sk: 'legacy#v1',
          eventTime: 6,
          createdTime: 0,
          values: { a: 2.5, b: null },
          tableVersion: 1,
        },
      }),
    );
    const read = await store().read([key, { ...key, entityKey: 'customer_id=m2' }]);
    expect(read.items.get(itemId(key))?.values).toEqual({ a: 1.5, b: null, c: 'x' });
    expect(read.items.get(itemId({ ...key, entityKey: 'customer_id=m2' }))?.values).toEqual({
      a: 2.5,
      b: null,
    });
  });

  it('reads in BatchGetItem chunks of 100 and retries unprocessed keys', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => ({
      entityKey: `customer_id=x${i}`,
      view: 'solo',
      viewVersion: 1,
    }));
    const real = await store().read(keys);
    expect(real.calls).toBe(3);

    const documents = DynamoDBDocumentClient.from(tables.client);
    const mock = mockClient(documents);
    mock
      .on(BatchGetCommand)
      .callsFakeOnce((input: { RequestItems: Record<string, { Keys: unknown[] }> }) => ({
        Responses: { t: [] },
        UnprocessedKeys: { t: { Keys: input.RequestItems.t?.Keys.slice(50) } },
      }))
      .resolves({ Responses: { t: [] }, UnprocessedKeys: {} });
    const faulty = new DynamoDbOnlineStore(documents, 't', { readConcurrency: 1 });
    const result = await faulty.read(keys.slice(0, 100));
    expect(result.calls).toBe(2);
    const second = mock.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.t?.Keys;
    expect(second).toHaveLength(50);
    mock.restore();
  });
});
