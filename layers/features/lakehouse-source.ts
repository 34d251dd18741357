/**
 * What the feature store reads from the lakehouse: a table's current snapshot as local files (for
 * DuckDB, which cannot read `s3://` offline), and what a range of commits changed (incremental
 * materialization).
 *
 * Incremental reads follow the Delta log: the `add` actions with `dataChange: true` of the commits
 * after the last materialized version, restricted to files still live in the target snapshot, and
 * the `remove` actions with `dataChange: true` (an overwrite, a merge, a delete), whose files are
 * still readable until VACUUM: their rows say which entities lost rows. Compactions
 * (`dataChange: false`) change no rows and are skipped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AddFile, RemoveFile } from '../lakehouse/actions.ts';
import { CorruptTableError, TableNotFoundError } from '../lakehouse/errors.ts';
import { planScan, scanPlanBatches } from '../lakehouse/scan.ts';
import type { Row } from '../lakehouse/schema.ts';
import { fileKey, loadSnapshot, readCommit, type Snapshot, type TableHandle } from '../lakehouse/snapshot.ts';

/** Opens a lakehouse table by URI (`openTable(context, uri)` bound to a context). */
export type TableOpener = (uri: string) => TableHandle;

export interface DownloadedSnapshot {
  readonly version: number;
  readonly files: readonly string[];
  /** Partition columns, which live in the directory names (`col=value/`), not in the files. */
  readonly partitionColumns: readonly string[];
  readonly snapshot: Snapshot;
}

/** Downloads the data files of a table's snapshot into `dir`, keeping their relative paths. */
export async function downloadSnapshot(
  table: TableHandle,
  dir: string,
  options: { version?: number; concurrency?: number } = {},
): Promise<DownloadedSnapshot> {
  const snapshot = await loadSnapshot(
    table,
    options.version === undefined ? {} : { version: options.version },
  );
  const keys = snapshot.files.map((file) => fileKey(table.objects, file.path));
  const files: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      const body = await table.objects.get(key);
      if (!body) throw new Error(`data file ${key} of ${table.objects.root} is missing`);
      const path = join(dir, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, body);
      files.push(path);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, keys.length) }, worker));
  return {
    version: snapshot.version,
    files: files.sort(),
    partitionColumns: snapshot.metadata.partitionColumns,
    snapshot,
  };
}

/**
 * What the commits after `fromVersion` up to the latest version did to the table's data: the files
 * they added that are still live, and the files they removed (`remove` with `dataChange: true`: a
 * delete, an overwrite, a merge), each described by the `add` action that brought it in, so that
 * its rows can still be read (Delta only deletes a removed file's object at VACUUM).
 */
export interface LogChanges {
  /** The latest snapshot, which the changes bring the reader up to. */
  readonly snapshot: Snapshot;
  readonly added: readonly AddFile[];
  readonly removed: readonly AddFile[];
  /**
   * Removed files whose rows cannot be read any more: their `add` is not in the log that remains,
   * or their object was vacuumed. The caller cannot tell which entities lost rows.
   */
  readonly unreadableRemovals: number;
}

/** Follows the Delta log from `fromVersion` (exclusive) to the latest version; see `LogChanges`. */
export async function logChangesSince(table: TableHandle, fromVersion: number): Promise<LogChanges> {
  const snapshot = await loadSnapshot(table);
  if (fromVersion >= snapshot.version) return { snapshot, added: [], removed: [], unreadableRemovals: 0 };
  const live = new Map(snapshot.files.map((file) => [file.path, file]));
  const addedInRange = new Map<string, AddFile>();
  const added: AddFile[] = [];
  const removedPaths: string[] = [];
  for (let version = fromVersion + 1; version <= snapshot.version; version += 1) {
    for (const action of await readCommit(table.objects, version)) {
      const { add, remove } = action as { add?: AddFile; remove?: RemoveFile };
      if (add) addedInRange.set(add.path, add);
      if (add?.dataChange) {
        const file = live.get(add.path);
        if (file) added.push(file);
      }
      // Compactions (dataChange: false) move rows between files without changing them.
      if (remove?.dataChange) removedPaths.push(remove.path);
    }
  }
  if (removedPaths.length === 0) return { snapshot, added, removed: [], unreadableRemovals: 0 };
  let before: ReadonlyMap<string, AddFile> = new Map();
  try {
    const old = await loadSnapshot(table, { version: fromVersion });
    before = new Map(old.files.map((file) => [file.path, file]));
  } catch (error) {
    // The log before a checkpoint may have been cleaned up; then only the range's own adds are known.
    if (!(error instanceof TableNotFoundError || error instanceof CorruptTableError)) throw error;
  }
  const removed: AddFile[] = [];
  let unreadableRemovals = 0;
  for (const path of new Set(removedPaths)) {
    const file = before.get(path) ?? addedInRange.get(path);
    if (file && (await table.objects.head(fileKey(table.objects, file.path)))) removed.push(file);
    else unreadableRemovals += 1;
  }
  return { snapshot, added, removed, unreadableRemovals };
}

/** The rows of some files of a table (added or removed ones), read with the current schema. */
export async function fileRows(
  table: TableHandle,
  snapshot: Snapshot,
  files: readonly AddFile[],
  columns: readonly string[],
): Promise<AsyncIterable<Row[]>> {
  const plan = await planScan(table, { columns, snapshot });
  return scanPlanBatches(table, { ...plan, files });
}
