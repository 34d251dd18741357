/** Generated feature data loaded into lakehouse tables and registered, for the lakehouse-backed tests. */

import type { FeatureType } from '../../../layers/features/definitions.ts';
import type { FeatureRegistryStore, StoredObject } from '../../../layers/features/registry-store.ts';
import type { Action } from '../../../layers/lakehouse/actions.ts';
import { writeDataFiles } from '../../../layers/lakehouse/data-files.ts';
import {
  append,
  createTable,
  type LakehouseContext,
  loadSnapshot,
  openTable,
  planScan,
  type Row,
  scanPlanBatches,
  type TableHandle,
} from '../../../layers/lakehouse/index.ts';
import { commit } from '../../../layers/lakehouse/transaction.ts';
import type { GeneratedData } from './pit-data.ts';

const DELTA: Record<FeatureType | 'int64key' | 'stringkey', string> = {
  string: 'string',
  int64: 'long',
  int32: 'integer',
  float64: 'double',
  float32: 'float',
  bool: 'boolean',
  int64key: 'long',
  stringkey: 'string',
};

/** Creates one table per generated view (rows appended in three commits) and registers the views and a service. */
export async function loadGeneratedData(
  lake: LakehouseContext,
  registry: FeatureRegistryStore,
  data: GeneratedData,
  uri: (name: string) => string,
): Promise<{ tables: Record<string, string>; service: string }> {
  const tables: Record<string, string> = {};
  const now = new Date().toISOString();
  for (const view of data.views) {
    const tableUri = uri(view.spec.name);
    tables[view.spec.name] = tableUri;
    const table = openTable(lake, tableUri);
    await createTable(table, {
      columns: [
        ...view.spec.joinKeys.map((key) => ({ name: key.name, type: DELTA[key.type] })),
        { name: 'event_ts', type: 'timestamp' },
        ...(view.spec.source.createdTimeColumn ? [{ name: 'created_ts', type: 'timestamp' }] : []),
        ...view.spec.features.map((feature) => ({ name: feature.name, type: DELTA[feature.type] })),
      ],
    });
    const third = Math.ceil(view.rows.length / 3);
    for (let part = 0; part < 3; part += 1) {
      await append(table, view.rows.slice(part * third, (part + 1) * third));
    }
    const stored: StoredObject<'featureView'> = {
      kind: 'featureView',
      name: view.spec.name,
      version: 1,
      revision: 1,
      spec: { ...view.spec, source: { ...view.spec.source, table: tableUri } },
      createdAt: now,
      updatedAt: now,
    };
    await registry.createVersion(stored);
  }
  await registry.createVersion({
    kind: 'featureService',
    name: 'generated',
    version: 1,
    revision: 1,
    spec: {
      name: 'generated',
      features: data.views.map((view) => ({ view: view.spec.name })),
      resolved: data.views.flatMap((view) => view.features),
    },
    createdAt: now,
    updatedAt: now,
  });
  return { tables, service: 'generated' };
}

/**
 * Deletes the rows matching `where` as Delta writers without deletion vectors do (copy-on-write):
 * one commit that removes every file holding a matching row and adds a file with its other rows.
 */
export async function deleteRows(table: TableHandle, where: (row: Row) => boolean): Promise<number> {
  const snapshot = await loadSnapshot(table);
  const plan = await planScan(table, { snapshot });
  const removes: Action[] = [];
  const adds: Action[] = [];
  for (const file of snapshot.files) {
    const rows: Row[] = [];
    for await (const batch of scanPlanBatches(table, { ...plan, files: [file] })) rows.push(...batch);
    const kept = rows.filter((row) => !where(row));
    if (kept.length === rows.length) continue;
    removes.push({ remove: { path: file.path, deletionTimestamp: Date.now(), dataChange: true } });
    if (kept.length > 0) {
      const written = await writeDataFiles(
        table.objects,
        snapshot.schema,
        snapshot.metadata.partitionColumns,
        kept,
      );
      adds.push(...written.map((add) => ({ add })));
    }
  }
  const result = await commit(table, {
    readVersion: snapshot.version,
    actions: [...removes, ...adds],
    operation: 'DELETE',
    isBlindAppend: false,
  });
  return result.version;
}
