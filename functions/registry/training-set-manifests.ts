/**
 * Lineage below the training set, read from the data itself: a training set built by the feature
 * store is a lakehouse table with a manifest per table version at
 * `<table>/_mlops/training-set-<version, 20 digits>.json`, naming the feature service, the feature
 * views and the source tables (each at the version that was read). A table without a manifest
 * (built some other way) contributes nothing here; its lineage is what the tags declared.
 */
import { manifestKey } from '../../layers/features/training-set.ts';
import type { LakehouseContext } from '../../layers/lakehouse/index.ts';
import { openTable } from '../../layers/lakehouse/index.ts';
import type { TableLineage, TableSourceLookup } from './lineage-service.ts';
import type { TableRef } from './registry-types.ts';

interface Manifest {
  readonly featureService?: { name: string; version: number };
  readonly featureViews?: readonly { name: string; version: number }[];
  readonly sourceTables?: readonly { table: string; version: number }[];
}

export class TrainingSetManifests implements TableSourceLookup {
  readonly #lake: LakehouseContext;

  constructor(lake: LakehouseContext) {
    this.#lake = lake;
  }

  async describe(table: TableRef): Promise<TableLineage | undefined> {
    if (table.version === undefined || !table.table.startsWith('s3://')) return undefined;
    let bytes: Uint8Array | undefined;
    try {
      bytes = await openTable(this.#lake, table.table).objects.get(manifestKey(table.version));
    } catch (error) {
      // A table outside the lakehouse bucket (or an unreadable one) has no manifest we may read.
      if ((error as { name?: string }).name === 'InvalidTableLocationError') return undefined;
      throw error;
    }
    if (!bytes) return undefined;
    const manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as Manifest;
    return {
      sourceTables: (manifest.sourceTables ?? []).map((source) => ({
        table: source.table,
        version: source.version,
      })),
      featureViews: (manifest.featureViews ?? []).map((view) => ({ name: view.name, version: view.version })),
      ...(manifest.featureService ? { featureService: manifest.featureService } : {}),
    };
  }
}
