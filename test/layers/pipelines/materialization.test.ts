import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipelineLocally } from '../../../infra/local/pipeline-runner.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { PIPELINES } from '../../../infra/platform/pipelines.ts';
import { readOnlineFeatures, viewId } from '../../../layers/features/online-read.ts';
import { DynamoDbOnlineStore } from '../../../layers/features/online-store.ts';
import { DynamoDbFeatureRegistryStore, type ViewSpec } from '../../../layers/features/registry-store.ts';
import {
  append,
  createTable,
  type LakehouseClients,
  lakehouseContext,
  openTable,
  readTable,
} from '../../../layers/lakehouse/index.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { requireTable } from '../../../layers/runtime/config.ts';

let platform: LocalPlatform;
let lake: LakehouseClients;
let registry: DynamoDbFeatureRegistryStore;
let online: DynamoDbOnlineStore;
const specs = new Map<string, ViewSpec>();

const at = (day: number, hour = 0) => new Date(Date.UTC(2024, 0, day, hour));

async function registerView(name: string, features: string[]): Promise<ViewSpec> {
  const uri = `s3://mlops-lakehouse/tables/${name}`;
  await createTable(openTable(lake, uri), {
    columns: [
      { name: 'customer_id', type: 'string', nullable: false },
      { name: 'event_ts', type: 'timestamp' },
      ...features.map((feature) => ({ name: feature, type: 'double' })),
    ],
  });
  const spec: ViewSpec = {
    name,
    entities: ['customer'],
    source: { table: uri, eventTimeColumn: 'event_ts' },
    ttl: 0,
    features: features.map((feature) => ({ name: feature, type: 'float64' as const })),
    joinKeys: [{ name: 'customer_id', type: 'string' }],
    entityVersions: {},
  };
  const now = new Date().toISOString();
  await registry.createVersion({
    kind: 'featureView',
    name,
    version: 1,
    revision: 1,
    spec,
    createdAt: now,
    updatedAt: now,
  });
  specs.set(name, spec);
  return spec;
}

function activity(customers: number, day: number) {
  return Array.from({ length: customers }, (_, i) => ({
    customer_id: `C${i}`,
    event_ts: at(day, i % 24),
    spend: day * 100 + i,
  }));
}

/** The newest row per customer of the view's source table, as the offline store holds it. */
async function offlineLatest(name: string, feature: string): Promise<Map<string, number>> {
  const spec = specs.get(name) as ViewSpec;
  const { rows } = await readTable(openTable(lake, spec.source.table));
  const latest = new Map<string, { ts: number; value: number }>();
  for (const row of rows) {
    const ts = (row.event_ts as Date).getTime();
    const seen = latest.get(row.customer_id as string);
    if (!seen || seen.ts < ts) latest.set(row.customer_id as string, { ts, value: row[feature] as number });
  }
  return new Map([...latest].map(([key, { value }]) => [key, value]));
}

async function onlineValues(name: string, feature: string, customers: string[]) {
  const spec = specs.get(name) as ViewSpec;
  const read = await readOnlineFeatures(
    online,
    {
      features: [{ view: name, viewVersion: 1, feature, type: 'float64', column: `${name}__${feature}` }],
      views: new Map([[viewId(name, 1), spec]]),
    },
    customers.map((customer_id) => ({ customer_id })),
    new Date(),
  );
  return read.rows.map((row) => row.values[0]);
}

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  lake = lakehouseContext(platform.config);
  const documents = createDocumentClient(createDynamoDbClient(platform.config));
  registry = new DynamoDbFeatureRegistryStore(documents, requireTable(platform.config, 'featureRegistry'));
  online = new DynamoDbOnlineStore(documents, requireTable(platform.config, 'onlineStore'));
  await registerView('customer_spend', ['spend']);
  await registerView('customer_untouched', ['spend']);
});

afterAll(async () => {
  lake.destroy();
  await platform.stop();
});

function run(input: Record<string, unknown>) {
  return runPipelineLocally({
    name: 'materialization',
    pipeline: PIPELINES.materialization!,
    env: platform.env,
    input,
  });
}

describe('materialization pipeline', () => {
  it('materializes a view so that the online values equal the offline latest, then only new rows', async () => {
    const table = openTable(lake, specs.get('customer_spend')!.source.table);
    await append(table, activity(50, 1));
    await append(table, activity(50, 2));

    const first = await run({ views: ['customer_spend'] });
    expect(first.status, first.cause).toBe('SUCCEEDED');
    expect(first.output).toEqual({
      views: [
        {
          view: 'customer_spend',
          viewVersion: 1,
          mode: 'full',
          tableVersion: 2,
          rowsRead: 100,
          rowsWritten: 50,
          deleted: 0,
          stale: 0,
        },
      ],
    });
    const customers = Array.from({ length: 50 }, (_, i) => `C${i}`);
    const expected = await offlineLatest('customer_spend', 'spend');
    expect(await onlineValues('customer_spend', 'spend', customers)).toEqual(
      customers.map((c) => expected.get(c)),
    );

    await append(table, activity(10, 3));
    const second = await run({ views: ['customer_spend@1'] });
    expect(second.status, second.cause).toBe('SUCCEEDED');
    expect(second.output).toEqual({
      views: [
        {
          view: 'customer_spend',
          viewVersion: 1,
          mode: 'incremental',
          fromTableVersion: 2,
          tableVersion: 3,
          rowsRead: 10,
          rowsWritten: 10,
          deleted: 0,
          stale: 0,
        },
      ],
    });
    const updated = await offlineLatest('customer_spend', 'spend');
    expect(await onlineValues('customer_spend', 'spend', customers)).toEqual(
      customers.map((c) => updated.get(c)),
    );
    expect(await onlineValues('customer_spend', 'spend', ['C3', 'C30'])).toEqual([303, 230]);
  });

  it('fails naming the unknown view, and writes nothing for the views it did know', async () => {
    await append(openTable(lake, specs.get('customer_untouched')!.source.table), activity(5, 1));
    const record = await run({ views: ['customer_untouched', 'no_such_view'] });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('FeatureObjectNotFoundError');
    expect(record.cause).toContain('no_such_view');
    expect(record.events.some((e) => e.type === 'StateEntered' && e.state === 'MaterializeView')).toBe(false);
    expect(await onlineValues('customer_untouched', 'spend', ['C0', 'C1'])).toEqual([null, null]);
    expect(await registry.materialization('customer_untouched', 1)).toBeUndefined();
  });

  it('refuses naming both views and a feature service', async () => {
    const record = await run({ views: ['customer_spend'], service: 'churn' });
    expect(record).toMatchObject({ status: 'FAILED', error: 'InvalidParameterError' });
    expect(record.cause).toContain('not both');
  });
});
