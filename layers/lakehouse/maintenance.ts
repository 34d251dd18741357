/**
 * Table maintenance: history (commitInfo per version), VACUUM (delete data files no snapshot within
 * the retention window can reference) and OPTIMIZE (bin-pack small files into large ones in one
 * commit whose actions all carry `dataChange: false`, so readers and streaming consumers see no
 * change in content).
 */

import { InvalidParameterError } from '../runtime/errors.ts';
import type { AddFile, CommitInfo } from './actions.ts';
import { checkpointInterval } from './checkpoint.ts';
import { compactFiles } from './compaction.ts';
import { putDataFile, ROW_GROUP_ROWS, writeDataFiles } from './data-files.ts';
import { scanPlanBatches } from './scan.ts';
import type { Row } from './schema.ts';
import { assertWritable, fileKey, loadSnapshot, readCommitInfos, type TableHandle } from './snapshot.ts';
import { retentionMillis } from './table-config.ts';
import { type CommitResult, commit } from './transaction.ts';

export interface HistoryEntry {
  readonly version: number;
  readonly timestamp: Date;
  readonly operation: string;
  readonly operationParameters: Readonly<Record<string, unknown>>;
  readonly operationMetrics: Readonly<Record<string, unknown>>;
  readonly readVersion?: number;
  readonly isBlindAppend?: boolean;
  readonly engineInfo?: string;
}

/** The commit history, newest first (versions whose commit files still exist). */
export async function history(table: TableHandle, options: { limit?: number } = {}): Promise<HistoryEntry[]> {
  const infos = await readCommitInfos(table);
  const entries = infos.map(({ version, commitInfo, lastModified }) =>
    toEntry(version, commitInfo, lastModified),
  );
  entries.reverse();
  return options.limit === undefined ? entries : entries.slice(0, options.limit);
}

function toEntry(version: number, info: CommitInfo, lastModified: Date): HistoryEntry {
  return {
    version,
    timestamp: new Date(typeof info.timestamp === 'number' ? info.timestamp : lastModified.getTime()),
    operation: info.operation ?? 'UNKNOWN',
    operationParameters: info.operationParameters ?? {},
    operationMetrics: info.operationMetrics ?? {},
    ...(typeof info.readVersion === 'number' ? { readVersion: info.readVersion } : {}),
    ...(typeof info.isBlindAppend === 'boolean' ? { isBlindAppend: info.isBlindAppend } : {}),
    ...(typeof info.engineInfo === 'string' ? { engineInfo: info.engineInfo } : {}),
  };
}

export interface VacuumOptions {
  /** List what would be deleted without deleting. @default false */
  readonly dryRun?: boolean;
  /**
   * Retention in hours; files removed (or written and never committed) more recently are kept.
   * @default the table's `delta.deletedFileRetentionDuration` (7 days when unset)
   */
  readonly retentionHours?: number;
  /** @default Date.now() */
  readonly now?: number;
}

export interface VacuumResult {
  readonly dryRun: boolean;
  /** Keys (relative to the table root) deleted, or that a dry run would delete. */
  readonly files: readonly string[];
}

/**
 * Deletes data files that the current snapshot does not reference and that were removed (by a
 * tombstone's `deletionTimestamp`) or last modified (untracked files) before the retention cutoff.
 * Never touches `_delta_log/` or other `_`/`.`-prefixed folders.
 */
export async function vacuum(table: TableHandle, options: VacuumOptions = {}): Promise<VacuumResult> {
  const snapshot = await loadSnapshot(table);
  const retention =
    options.retentionHours !== undefined
      ? options.retentionHours * 3_600_000
      : retentionMillis(snapshot.metadata.configuration);
  if (!(retention >= 0))
    throw new InvalidParameterError(`retentionHours must be zero or more, got ${options.retentionHours}`);
  const cutoff = (options.now ?? Date.now()) - retention;
  const live = new Set(snapshot.files.map((file) => fileKey(table.objects, file.path)));
  const removedAt = new Map<string, number>();
  for (const tombstone of snapshot.tombstones) {
    removedAt.set(fileKey(table.objects, tombstone.path), tombstone.deletionTimestamp ?? 0);
  }
  const doomed: string[] = [];
  for await (const object of table.objects.list('')) {
    if (object.key.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'))) continue;
    if (live.has(object.key)) continue;
    const since = removedAt.get(object.key) ?? object.lastModified.getTime();
    if (since < cutoff) doomed.push(object.key);
  }
  if (!options.dryRun && doomed.length > 0) await table.objects.delete(doomed);
  return { dryRun: options.dryRun ?? false, files: doomed };
}

export interface OptimizeOptions {
  /** Target file size in bytes; files at least this big are left alone. @default 128 MiB */
  readonly targetSizeBytes?: number;
  /** Only compact partitions with at least this many small files. @default 2 */
  readonly minFiles?: number;
}

export interface OptimizeResult extends CommitResult {
  readonly removedFiles: number;
  readonly addedFiles: number;
  /**
   * Bins whose rows had to be decoded and re-encoded (files of other writers or of an older schema,
   * files without statistics); the others were copied batch by batch (`compaction.ts`).
   */
  readonly decodedBins: number;
}

/**
 * Bin-packs the small files of each partition into files of about `targetSizeBytes`, in one commit
 * (`dataChange: false` on every add and remove). A concurrent append does not conflict; a concurrent
 * writer that removed one of the compacted files does (CommitConflictError).
 */
export async function optimize(table: TableHandle, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  const snapshot = await loadSnapshot(table);
  assertWritable(snapshot.protocol, table.objects.root);
  const target = options.targetSizeBytes ?? 128 * 1024 * 1024;
  const minFiles = options.minFiles ?? 2;
  const byPartition = new Map<string, AddFile[]>();
  for (const file of snapshot.files) {
    if (file.size >= target) continue;
    const id = JSON.stringify(file.partitionValues ?? {});
    byPartition.set(id, [...(byPartition.get(id) ?? []), file]);
  }
  const bins: AddFile[][] = [];
  for (const files of byPartition.values()) {
    if (files.length < minFiles) continue;
    files.sort((a, b) => a.size - b.size);
    let bin: AddFile[] = [];
    let size = 0;
    for (const file of files) {
      if (size + file.size > target && bin.length > 0) {
        bins.push(bin);
        bin = [];
        size = 0;
      }
      bin.push(file);
      size += file.size;
    }
    if (bin.length > 0) bins.push(bin);
  }
  const compacted = bins.filter((bin) => bin.length >= minFiles);
  if (compacted.length === 0)
    return { version: snapshot.version, skipped: true, removedFiles: 0, addedFiles: 0, decodedBins: 0 };
  const adds: AddFile[] = [];
  const removes: AddFile[] = [];
  const partitions = new Set(snapshot.metadata.partitionColumns);
  const dataFields = snapshot.schema.fields.filter((field) => !partitions.has(field.name));
  let decodedBins = 0;
  for (const bin of compacted) {
    // Keep the bin's partition values exactly as logged (a re-serialisation could differ in form).
    const partitionValues = (bin[0] as AddFile).partitionValues;
    const direct = await compactFiles(
      table.objects,
      dataFields,
      bin,
      (file) => fileKey(table.objects, file.path),
      ROW_GROUP_ROWS,
    );
    if (direct) {
      adds.push(
        await putDataFile(table.objects, snapshot.metadata.partitionColumns, partitionValues, direct, false),
      );
    } else {
      decodedBins++;
      const rows: Row[] = [];
      const plan = { snapshot, files: bin, skippedFiles: 0, columns: snapshot.schema.fields };
      for await (const batch of scanPlanBatches(table, plan)) rows.push(...batch);
      const written = await writeDataFiles(
        table.objects,
        snapshot.schema,
        snapshot.metadata.partitionColumns,
        rows,
        { dataChange: false, targetFileRows: Number.MAX_SAFE_INTEGER, rowGroupSize: ROW_GROUP_ROWS },
      );
      for (const add of written) adds.push({ ...add, partitionValues });
    }
    removes.push(...bin);
  }
  const now = Date.now();
  const result = await commit(table, {
    readVersion: snapshot.version,
    actions: [
      ...removes.map((file) => ({
        remove: {
          path: file.path,
          deletionTimestamp: now,
          dataChange: false,
          extendedFileMetadata: true,
          partitionValues: file.partitionValues,
          size: file.size,
        },
      })),
      ...adds.map((add) => ({ add })),
    ],
    operation: 'OPTIMIZE',
    operationParameters: { predicate: '[]', targetSize: String(target) },
    operationMetrics: { numRemovedFiles: String(removes.length), numAddedFiles: String(adds.length) },
    isBlindAppend: false,
    readFiles: new Set(removes.map((file) => fileKey(table.objects, file.path))),
    readsAdded: () => false,
    checkpointInterval: checkpointInterval(snapshot.metadata.configuration),
  });
  return { ...result, removedFiles: removes.length, addedFiles: adds.length, decodedBins };
}
