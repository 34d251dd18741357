import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import { buildTrainingSet, manifestKey } from '../../../layers/features/training-set.ts';
import { append, createTable, openTable, readTable } from '../../../layers/lakehouse/index.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { type LocalLakehouse, startLocalLakehouse } from '../lakehouse/local-lakehouse.ts';
import { loadGeneratedData } from './lakehouse-fixtures.ts';
import { type GeneratedData, generateData, referenceJoin } from './pit-data.ts';

let local: LocalLakehouse;
let registry: DynamoDbFeatureRegistryStore;
let dir: string;
let data: GeneratedData;
let tables: Record<string, string>;

beforeAll(async () => {
  local = await startLocalLakehouse();
  const client = createDynamoDbClient(local.platform.config);
  registry = new DynamoDbFeatureRegistryStore(createDocumentClient(client), 'mlops_feature_registry');
  dir = mkdtempSync(join(tmpdir(), 'mlops-training-set-test-'));
  data = generateData(dir, 5, 150);
  ({ tables } = await loadGeneratedData(local.lake, registry, data, (name) => local.uri(name)));
});
afterAll(async () => {
  await local.stop();
  rmSync(dir, { recursive: true, force: true });
});

const deps = () => ({ registry, openTable: (uri: string) => openTable(local.lake, uri) });
const plain = (rows: Record<string, unknown>[]) =>
  rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [
        key,
        value instanceof Date ? value.getTime() : typeof value === 'bigint' ? Number(value) : value,
      ]),
    ),
  );

describe('buildTrainingSet', () => {
  it('writes the point-in-time join of the current snapshots as a lakehouse table, with a manifest of every input version', async () => {
    const entityUri = local.uri('entities');
    const entityTable = openTable(local.lake, entityUri);
    await createTable(entityTable, {
      columns: [
        { name: 'customer_id', type: 'string' },
        { name: 'merchant_id', type: 'long' },
        { name: 'event_timestamp', type: 'timestamp' },
        { name: 'label', type: 'integer' },
      ],
    });
    await append(entityTable, data.entityRows);
    const out = local.uri('training');

    const manifest = await buildTrainingSet(deps(), {
      service: 'generated',
      entities: { kind: 'table', uri: entityUri },
      out,
    });

    expect(manifest.featureService).toEqual({ name: 'generated', version: 1 });
    expect(manifest.sourceTables).toEqual(Object.values(tables).map((table) => ({ table, version: 3 })));
    expect(manifest.entities).toEqual({ table: entityUri, version: 1 });
    expect(manifest.output).toEqual({ table: out, version: 1 });
    expect(manifest.lineageTags['mlops.lineage.feature_service']).toBe('generated@1');
    expect(manifest.lineageTags['mlops.lineage.training_set']).toBe(`${out}@1`);
    expect(manifest.lineageTags['mlops.lineage.source_tables']).toBe(
      Object.values(tables)
        .map((table) => `${table}@3`)
        .join(','),
    );

    const { rows, version } = await readTable(openTable(local.lake, out));
    expect(version).toBe(1);
    const key = (row: Record<string, unknown>) => JSON.stringify(row);
    expect(plain(rows).map(key).sort()).toEqual(plain(referenceJoin(data)).map(key).sort());
    const stored = await openTable(local.lake, out).objects.get(manifestKey(1));
    expect(JSON.parse(Buffer.from(stored as Uint8Array).toString('utf8'))).toEqual(manifest);
  });

  it('reads a CSV entity file and overwrites the output table on a second run', async () => {
    const csv = join(dir, 'entities.csv');
    writeFileSync(
      csv,
      'customer_id,merchant_id,event_timestamp,label\nc1,3,2024-01-01T01:00:00Z,1\nc99,1,2024-01-01T01:00:00Z,0\n',
    );
    const out = local.uri('training-csv');
    await buildTrainingSet(deps(), {
      service: 'generated',
      entities: { kind: 'file', path: csv, format: 'csv' },
      out,
    });
    const second = await buildTrainingSet(deps(), {
      service: 'generated',
      entities: { kind: 'file', path: csv, format: 'csv' },
      out,
    });
    expect(second.output.version).toBe(2);
    expect(second.entities).toEqual({ file: csv });
    const { rows } = await readTable(openTable(local.lake, out));
    expect(rows).toHaveLength(2);
    const expected = referenceJoin({
      ...data,
      entityRows: [
        { customer_id: 'c1', merchant_id: 3, event_timestamp: new Date('2024-01-01T01:00:00Z'), label: 1 },
        { customer_id: 'c99', merchant_id: 1, event_timestamp: new Date('2024-01-01T01:00:00Z'), label: 0 },
      ],
    });
    const byCustomer = (list: Record<string, unknown>[]) =>
      plain(list).sort((a, b) => String(a.customer_id).localeCompare(String(b.customer_id)));
    expect(byCustomer(rows)).toEqual(byCustomer(expected));
  });
});
