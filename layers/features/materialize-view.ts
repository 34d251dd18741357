/**
 * Materializing a registered feature view version from its lakehouse source table into the online
 * store, fully or incrementally from the last materialized table version (see
 * `lakehouse-source.ts` for when incremental falls back to full, and `materialize.ts` for why
 * re-running or racing is safe). The table version reached is recorded in the registry only after
 * every write of the batch succeeded, so a failed run is simply run again.
 */

import { rowsAddedSince, snapshotRows, type TableOpener } from './lakehouse-source.ts';
import { materializeRows } from './materialize.ts';
import type { OnlineStore } from './online-store.ts';
import type { FeatureRegistryStore } from './registry-store.ts';

export interface MaterializeViewRequest {
  readonly view: string;
  /** @default the latest version */
  readonly version?: number;
  /** @default 'incremental' (full when nothing was materialized yet) */
  readonly mode?: 'full' | 'incremental';
}

export interface MaterializeViewResult {
  readonly view: string;
  readonly viewVersion: number;
  readonly mode: 'full' | 'incremental';
  /** The table version materialized before this run, if any. */
  readonly fromTableVersion?: number;
  readonly toTableVersion: number;
  readonly files: number;
  readonly rowsRead: number;
  readonly entities: number;
  readonly written: number;
  readonly stale: number;
}

export async function materializeView(
  deps: {
    readonly registry: FeatureRegistryStore;
    readonly online: OnlineStore;
    readonly openTable: TableOpener;
    readonly now?: () => Date;
  },
  request: MaterializeViewRequest,
): Promise<MaterializeViewResult> {
  const view = await deps.registry.get('featureView', request.view, request.version);
  const { spec } = view;
  const columns = [
    ...spec.joinKeys.map((key) => key.name),
    spec.source.eventTimeColumn,
    ...(spec.source.createdTimeColumn ? [spec.source.createdTimeColumn] : []),
    ...spec.features.map((feature) => feature.name),
  ];
  const table = deps.openTable(spec.source.table);
  const state =
    (request.mode ?? 'incremental') === 'incremental'
      ? await deps.registry.materialization(view.name, view.version)
      : undefined;
  let changes = state ? await rowsAddedSince(table, state.tableVersion, columns) : undefined;
  if (!changes?.incremental) changes = await snapshotRows(table, columns);
  const counts = await materializeRows({
    view,
    batches: changes.batches,
    tableVersion: changes.version,
    store: deps.online,
  });
  await deps.registry.recordMaterialization({
    view: view.name,
    viewVersion: view.version,
    tableVersion: changes.version,
    materializedAt: (deps.now?.() ?? new Date()).toISOString(),
  });
  return {
    view: view.name,
    viewVersion: view.version,
    mode: changes.incremental ? 'incremental' : 'full',
    ...(state ? { fromTableVersion: state.tableVersion } : {}),
    toTableVersion: changes.version,
    files: changes.addedFiles,
    ...counts,
  };
}
