/**
 * What the feature store reads from the lakehouse: a table's current snapshot as local files (for
 * DuckDB, which cannot read `s3://` offline), a snapshot's rows, and the rows a range of commits
 * added (incremental materialization).
 *
 * Incremental reads follow the Delta log: the `add` actions with `dataChange: true` of the commits
 * after the last materialized version, restricted to files still live in the target snapshot. A
 * commit that removed data (`remove` with `dataChange: true`: an overwrite, a merge, a delete)
 * cannot be replayed as additions — rows may have disappeared — so the read reports it and the
 * caller falls back to the full snapshot. Compactions (`dataChange: false`) change no rows and
 * are skipped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AddFile, RemoveFile } from '../lakehouse/actions.ts';
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

export interface ChangedRows {
  /** The snapshot version the rows bring the reader up to. */
  readonly version: number;
  /** False when a commit in the range removed data: the caller must read the full snapshot. */
  readonly incremental: boolean;
  readonly addedFiles: number;
  readonly batches: AsyncIterable<Row[]>;
}

/** The rows of the whole snapshot. */
export async function snapshotRows(table: TableHandle, columns: readonly string[]): Promise<ChangedRows> {
  const plan = await planScan(table, { columns });
  return {
    version: plan.snapshot.version,
    incremental: false,
    addedFiles: plan.files.length,
    batches: scanPlanBatches(table, plan),
  };
}

/** The rows added after `fromVersion` up to the latest version, or `incremental: false`. */
export async function rowsAddedSince(
  table: TableHandle,
  fromVersion: number,
  columns: readonly string[],
): Promise<ChangedRows> {
  const snapshot = await loadSnapshot(table);
  if (fromVersion >= snapshot.version) {
    return { version: snapshot.version, incremental: true, addedFiles: 0, batches: empty() };
  }
  const live = new Map(snapshot.files.map((file) => [file.path, file]));
  const added: AddFile[] = [];
  for (let version = fromVersion + 1; version <= snapshot.version; version += 1) {
    for (const action of await readCommit(table.objects, version)) {
      const { add, remove } = action as { add?: AddFile; remove?: RemoveFile };
      if (remove?.dataChange) {
        return { version: snapshot.version, incremental: false, addedFiles: 0, batches: empty() };
      }
      if (add?.dataChange) {
        const file = live.get(add.path);
        if (file) added.push(file);
      }
    }
  }
  const plan = await planScan(table, { columns, snapshot });
  return {
    version: snapshot.version,
    incremental: true,
    addedFiles: added.length,
    batches: scanPlanBatches(table, { ...plan, files: added }),
  };
}

async function* empty(): AsyncGenerator<Row[]> {}
