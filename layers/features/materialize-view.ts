/**
 * Materializing a registered feature view version from its lakehouse source table into the online
 * store, fully or incrementally from the last materialized table version. The table version reached
 * is recorded in the registry only after every write of the run succeeded, so a failed run is simply
 * run again.
 *
 *   first run ─────────── whole snapshot → newest row per entity → conditional writes
 *   incremental ───────── Delta log since the last run (lakehouse-source.ts)
 *     files added ─────── their rows → newest per entity → conditional writes
 *     files removed ───── their rows → the entities that lost rows → from the whole snapshot, each
 *                         one's latest remaining row replaces its item, or the item is deleted
 *   full (after a run) ── every entity of the snapshot and of the online store is corrected
 *
 * When a removed file can no longer be read (vacuumed before this run), which entities lost rows is
 * unknown, and the run corrects every entity, as a full run does. See `materialize.ts` for why
 * re-running or racing is safe.
 */

import type { Snapshot } from '../lakehouse/snapshot.ts';
import { loadSnapshot } from '../lakehouse/snapshot.ts';
import { fileRows, logChangesSince, type TableOpener } from './lakehouse-source.ts';
import { type CorrectionCounts, correctEntities, materializeRows } from './materialize.ts';
import { entityKeyOf, type OnlineStore } from './online-store.ts';
import type { FeatureRegistryStore } from './registry-store.ts';

export interface MaterializeViewRequest {
  readonly view: string;
  /** @default the latest version */
  readonly version?: number;
  /**
   * `incremental` follows the Delta log since the last run (the whole snapshot the first time);
   * `full` makes every online item of the view equal to the snapshot (a scan of the online store).
   * @default 'incremental'
   */
  readonly mode?: 'full' | 'incremental';
}

export interface MaterializeViewResult {
  readonly view: string;
  readonly viewVersion: number;
  readonly mode: 'full' | 'incremental';
  /** The table version materialized before this run, if any. */
  readonly fromTableVersion?: number;
  readonly toTableVersion: number;
  /** Data files read for added rows (the whole snapshot's on a full read). */
  readonly files: number;
  /** Data files the commits since the last run removed (deletes, overwrites, merges). */
  readonly removedFiles: number;
  readonly rowsRead: number;
  readonly entities: number;
  /** Items written with a newer row, or replaced by the latest remaining row after a delete. */
  readonly written: number;
  /** Items deleted because their entity has no source row left. */
  readonly deleted: number;
  /** Entities whose stored item was already as new or newer (or from a later table version). */
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
  const keyColumns = spec.joinKeys.map((key) => key.name);
  const columns = [
    ...keyColumns,
    spec.source.eventTimeColumn,
    ...(spec.source.createdTimeColumn ? [spec.source.createdTimeColumn] : []),
    ...spec.features.map((feature) => feature.name),
  ];
  const table = deps.openTable(spec.source.table);
  const state = await deps.registry.materialization(view.name, view.version);
  const store = deps.online;
  const snapshotRows = (snapshot: Snapshot) => fileRows(table, snapshot, snapshot.files, columns);
  const corrections = (snapshot: Snapshot, entityKeys: ReadonlySet<string> | 'all') =>
    snapshotRows(snapshot).then((batches) =>
      correctEntities({ view, entityKeys, batches, tableVersion: snapshot.version, store }),
    );

  let outcome: Omit<MaterializeViewResult, 'view' | 'viewVersion' | 'fromTableVersion'>;
  if (!state) {
    const snapshot = await loadSnapshot(table);
    const counts = await materializeRows({
      view,
      batches: await snapshotRows(snapshot),
      tableVersion: snapshot.version,
      store,
    });
    outcome = {
      mode: 'full',
      toTableVersion: snapshot.version,
      files: snapshot.files.length,
      removedFiles: 0,
      deleted: 0,
      ...counts,
    };
  } else if (request.mode === 'full') {
    const snapshot = await loadSnapshot(table);
    outcome = {
      mode: 'full',
      toTableVersion: snapshot.version,
      files: snapshot.files.length,
      removedFiles: 0,
      ...fromCorrections(await corrections(snapshot, 'all')),
    };
  } else {
    const changes = await logChangesSince(table, state.tableVersion);
    const { snapshot } = changes;
    const removedFiles = changes.removed.length + changes.unreadableRemovals;
    let affected: Set<string> | 'all' | undefined;
    if (changes.unreadableRemovals > 0) affected = 'all';
    else if (changes.removed.length > 0) {
      affected = new Set();
      for await (const batch of await fileRows(table, snapshot, changes.removed, keyColumns)) {
        for (const row of batch) {
          if (!spec.joinKeys.some((key) => row[key.name] === null || row[key.name] === undefined))
            affected.add(entityKeyOf(spec.joinKeys, row));
        }
      }
    }
    const corrected = affected ? fromCorrections(await corrections(snapshot, affected)) : undefined;
    const added =
      affected === 'all'
        ? undefined
        : await materializeRows({
            view,
            batches: await fileRows(table, snapshot, changes.added, columns),
            tableVersion: snapshot.version,
            store,
            ...(affected ? { exclude: affected } : {}),
          });
    outcome = {
      mode: 'incremental',
      toTableVersion: snapshot.version,
      files: changes.added.length,
      removedFiles,
      rowsRead: (added?.rowsRead ?? 0) + (corrected?.rowsRead ?? 0),
      entities: (added?.entities ?? 0) + (corrected?.entities ?? 0),
      written: (added?.written ?? 0) + (corrected?.written ?? 0),
      deleted: corrected?.deleted ?? 0,
      stale: (added?.stale ?? 0) + (corrected?.stale ?? 0),
    };
  }
  await deps.registry.recordMaterialization({
    view: view.name,
    viewVersion: view.version,
    tableVersion: outcome.toTableVersion,
    materializedAt: (deps.now?.() ?? new Date()).toISOString(),
  });
  return {
    view: view.name,
    viewVersion: view.version,
    ...(state ? { fromTableVersion: state.tableVersion } : {}),
    ...outcome,
  };
}

function fromCorrections(counts: CorrectionCounts) {
  return {
    rowsRead: counts.rowsRead,
    entities: counts.entities,
    written: counts.replaced,
    deleted: counts.deleted,
    stale: counts.stale,
  };
}
