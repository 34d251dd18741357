/**
 * Snapshot reconstruction (PROTOCOL.md "Action Reconciliation"): the newest checkpoint at or before
 * the wanted version, then the JSON commits after it, in order, with no gap.
 *
 * - the latest `protocol` and `metaData` win; the latest `txn` per appId wins;
 * - per (URI-decoded) path the newest add/remove wins: surviving adds are the live files,
 *   surviving removes the tombstones (kept for VACUUM);
 * - a snapshot without protocol or metadata, a version gap, or a protocol the kit cannot read is an
 *   error — a table is never read wrongly.
 *
 * The latest version of a kit table comes from the log store (DynamoDB), which repairs an
 * unfinished commit first; tables other engines wrote are found by listing `_delta_log/`.
 */
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import {
  type Action,
  type AddFile,
  type CommitInfo,
  commitFileName,
  LOG_DIR,
  type Metadata,
  type Protocol,
  parseCommit,
  type RemoveFile,
} from './actions.ts';
import { CorruptTableError, TableNotFoundError, UnsupportedFeatureError } from './errors.ts';
import {
  type CheckpointRef,
  type LogListing,
  listLog,
  mapLimit,
  readLastCheckpointVersion,
} from './log-files.ts';
import type { LogStore } from './log-store.ts';
import type { ObjectStore } from './object-store.ts';
import { objectAsyncBuffer } from './parquet-read.ts';
import { parseSchemaString, type StructType } from './schema.ts';

/** A table: where its objects live and how its commits are made. */
export interface TableHandle {
  readonly objects: ObjectStore;
  readonly log: LogStore;
}

export interface Snapshot {
  readonly version: number;
  readonly protocol: Protocol;
  readonly metadata: Metadata;
  readonly schema: StructType;
  /** Live data files (paths as in the log; see `fileKey`). */
  readonly files: readonly AddFile[];
  readonly tombstones: readonly RemoveFile[];
  /** Latest idempotent-write version per application id. */
  readonly txns: ReadonlyMap<string, number>;
}

export interface SnapshotOptions {
  /** Read this version instead of the latest. */
  readonly version?: number;
  /** Read the latest version committed at or before this instant. */
  readonly asOf?: Date;
}

/** Reader features the kit implements (none beyond the base protocol yet). */
const SUPPORTED_READER_FEATURES = new Set<string>();

/** The key of a data file relative to the table root (paths in the log are URI-encoded). */
export function fileKey(objects: ObjectStore, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    const root = `${objects.root}/`;
    if (!path.startsWith(root)) {
      throw new UnsupportedFeatureError(`data file ${path} lies outside the table root ${objects.root}`);
    }
    return decodeURIComponent(path.slice(root.length));
  }
  return decodeURIComponent(path);
}

/** The newest version of a table, repairing an unfinished kit commit first. */
export async function latestVersion(table: TableHandle): Promise<number> {
  const fromLogStore = await table.log.latestVersion();
  if (fromLogStore !== undefined) return fromLogStore;
  const listing = await listLog(table.objects);
  const versions = [...listing.commits.keys(), ...listing.checkpoints.map((c) => c.version)];
  if (versions.length === 0) throw new TableNotFoundError(`no Delta table at ${table.objects.root}`);
  return Math.max(...versions);
}

/** Whether a Delta table exists at the location. */
export async function tableExists(table: TableHandle): Promise<boolean> {
  try {
    await latestVersion(table);
    return true;
  } catch (error) {
    if (error instanceof TableNotFoundError) return false;
    throw error;
  }
}

/** Loads the snapshot at the latest version, a given version, or as of a timestamp. */
export async function loadSnapshot(table: TableHandle, options: SnapshotOptions = {}): Promise<Snapshot> {
  const latest = await latestVersion(table);
  let target = options.version ?? latest;
  if (options.asOf) target = await versionAsOf(table, options.asOf, latest);
  if (!Number.isInteger(target) || target < 0 || target > latest) {
    throw new TableNotFoundError(
      `version ${target} of ${table.objects.root} does not exist (latest is ${latest})`,
    );
  }
  const lastCheckpoint = await readLastCheckpointVersion(table.objects);
  let listing: LogListing | undefined;
  if (lastCheckpoint !== undefined && lastCheckpoint <= target) {
    listing = await listLog(table.objects, lastCheckpoint);
    if (!listing.checkpoints.some((c) => c.version === lastCheckpoint)) listing = undefined;
  }
  listing ??= await listLog(table.objects);
  const checkpoint = [...listing.checkpoints].reverse().find((c) => c.version <= target);
  const first = checkpoint ? checkpoint.version + 1 : 0;
  for (let version = first; version <= target; version++) {
    if (!listing.commits.has(version)) {
      if (listing.commits.size === 0 && !checkpoint)
        throw new TableNotFoundError(`no Delta table at ${table.objects.root}`);
      throw new CorruptTableError(
        `the log of ${table.objects.root} is not contiguous: commit ${version} is missing` +
          (checkpoint ? ` after checkpoint ${checkpoint.version}` : ''),
      );
    }
  }
  const state = new ReplayState();
  if (checkpoint) for (const action of await readCheckpoint(table.objects, checkpoint)) state.apply(action);
  const versions = Array.from({ length: target - first + 1 }, (_, i) => first + i);
  const commits = await mapLimit(versions, 8, (version) => readCommit(table.objects, version));
  for (const actions of commits) for (const action of actions) state.apply(action);
  return state.finish(target, table.objects.root);
}

/** Reads and parses commit N. */
export async function readCommit(objects: ObjectStore, version: number): Promise<Action[]> {
  const body = await objects.get(`${LOG_DIR}/${commitFileName(version)}`);
  if (!body) throw new CorruptTableError(`commit ${version} of ${objects.root} is missing`);
  return parseCommit(new TextDecoder().decode(body), version);
}

/** The commitInfo of each version, oldest first (from the JSON commits that still exist). */
export async function readCommitInfos(
  table: TableHandle,
  upTo?: number,
): Promise<{ version: number; commitInfo: CommitInfo; lastModified: Date }[]> {
  const latest = upTo ?? (await latestVersion(table));
  const listing = await listLog(table.objects);
  const versions = [...listing.commits.keys()].filter((v) => v <= latest).sort((a, b) => a - b);
  return mapLimit(versions, 8, async (version) => {
    const actions = await readCommit(table.objects, version);
    const info = actions.find((a): a is { commitInfo: CommitInfo } => 'commitInfo' in a)?.commitInfo ?? {};
    return { version, commitInfo: info, lastModified: listing.commits.get(version)!.lastModified };
  });
}

/**
 * The latest version committed at or before `asOf`. Commit times are `commitInfo.timestamp` (the
 * object's modification time when absent), made strictly increasing as Spark does.
 */
async function versionAsOf(table: TableHandle, asOf: Date, latest: number): Promise<number> {
  const infos = await readCommitInfos(table, latest);
  let previous = Number.NEGATIVE_INFINITY;
  let found: number | undefined;
  for (const { version, commitInfo, lastModified } of infos) {
    let ts = typeof commitInfo.timestamp === 'number' ? commitInfo.timestamp : lastModified.getTime();
    if (ts <= previous) ts = previous + 1;
    previous = ts;
    if (ts <= asOf.getTime()) found = version;
  }
  if (found === undefined) {
    throw new TableNotFoundError(
      `${table.objects.root} has no version as of ${asOf.toISOString()} (its first commit is later)`,
    );
  }
  return found;
}

async function readCheckpoint(objects: ObjectStore, checkpoint: CheckpointRef): Promise<Action[]> {
  const actions: Action[] = [];
  for (const key of checkpoint.keys) {
    const info = await objects.head(key);
    if (!info) throw new CorruptTableError(`checkpoint part ${key} of ${objects.root} is missing`);
    let rows: Record<string, unknown>[];
    try {
      rows = (await parquetReadObjects({
        file: objectAsyncBuffer(objects, key, info.size),
        columns: ['txn', 'add', 'remove', 'metaData', 'protocol'],
        compressors,
      })) as Record<string, unknown>[];
    } catch (error) {
      // Some writers omit columns they never use; read whatever the file has.
      rows = (await parquetReadObjects({
        file: objectAsyncBuffer(objects, key, info.size),
        compressors,
      }).catch((inner: unknown) => {
        throw new CorruptTableError(`checkpoint ${key} of ${objects.root} is not readable`, {
          cause: inner ?? error,
        });
      })) as Record<string, unknown>[];
    }
    for (const row of rows) {
      const action = checkpointRowToAction(row);
      if (action) actions.push(action);
    }
  }
  return actions;
}

function num(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'bigint' ? Number(value) : (value as number);
}

function checkpointRowToAction(row: Record<string, unknown>): Action | undefined {
  const add = row.add as Record<string, unknown> | null | undefined;
  if (add?.path) {
    return {
      add: {
        ...(add as unknown as AddFile),
        partitionValues: (add.partitionValues as Record<string, string | null>) ?? {},
        size: num(add.size) ?? 0,
        modificationTime: num(add.modificationTime) ?? 0,
      },
    };
  }
  const remove = row.remove as Record<string, unknown> | null | undefined;
  if (remove?.path) {
    return {
      remove: {
        ...(remove as unknown as RemoveFile),
        deletionTimestamp: num(remove.deletionTimestamp) ?? null,
        size: num(remove.size) ?? null,
      },
    };
  }
  const metaData = row.metaData as Record<string, unknown> | null | undefined;
  if (metaData?.id || metaData?.schemaString) {
    return {
      metaData: {
        ...(metaData as unknown as Metadata),
        partitionColumns: (metaData.partitionColumns as string[]) ?? [],
        configuration: (metaData.configuration as Record<string, string>) ?? {},
        createdTime: num(metaData.createdTime) ?? null,
      },
    };
  }
  const protocol = row.protocol as Record<string, unknown> | null | undefined;
  if (protocol && protocol.minReaderVersion !== null && protocol.minReaderVersion !== undefined) {
    return {
      protocol: {
        minReaderVersion: num(protocol.minReaderVersion) ?? 1,
        minWriterVersion: num(protocol.minWriterVersion) ?? 2,
        ...(protocol.readerFeatures ? { readerFeatures: protocol.readerFeatures as string[] } : {}),
        ...(protocol.writerFeatures ? { writerFeatures: protocol.writerFeatures as string[] } : {}),
      },
    };
  }
  const txn = row.txn as Record<string, unknown> | null | undefined;
  if (txn?.appId) {
    return {
      txn: {
        appId: txn.appId as string,
        version: num(txn.version) ?? 0,
        lastUpdated: num(txn.lastUpdated) ?? null,
      },
    };
  }
  return undefined;
}

class ReplayState {
  protocol: Protocol | undefined;
  metadata: Metadata | undefined;
  readonly files = new Map<string, AddFile>();
  readonly tombstones = new Map<string, RemoveFile>();
  readonly txns = new Map<string, number>();

  apply(action: Action): void {
    if ('add' in action) {
      const add = action.add as AddFile;
      const key = decodeURIComponent(add.path);
      this.tombstones.delete(key);
      this.files.set(key, add);
    } else if ('remove' in action) {
      const remove = action.remove as RemoveFile;
      const key = decodeURIComponent(remove.path);
      this.files.delete(key);
      this.tombstones.set(key, remove);
    } else if ('metaData' in action) {
      this.metadata = action.metaData as Metadata;
    } else if ('protocol' in action) {
      this.protocol = action.protocol as Protocol;
    } else if ('txn' in action) {
      const txn = action.txn as { appId: string; version: number };
      this.txns.set(txn.appId, Number(txn.version));
    }
  }

  finish(version: number, root: string): Snapshot {
    if (!this.protocol)
      throw new CorruptTableError(`the log of ${root} has no protocol action at version ${version}`);
    if (!this.metadata)
      throw new CorruptTableError(`the log of ${root} has no metaData action at version ${version}`);
    assertReadable(this.protocol, root);
    if (!this.metadata.schemaString)
      throw new CorruptTableError(`the metaData of ${root} has no schemaString`);
    let schema: StructType;
    try {
      schema = parseSchemaString(this.metadata.schemaString);
    } catch (error) {
      throw new CorruptTableError(`the schema of ${root} is not valid: ${(error as Error).message}`, {
        cause: error,
      });
    }
    for (const file of this.files.values()) {
      if (file.deletionVector) {
        throw new UnsupportedFeatureError(
          `${root} uses deletion vectors (deletionVectors), which the kit cannot read`,
        );
      }
    }
    return {
      version,
      protocol: this.protocol,
      metadata: this.metadata,
      schema,
      files: [...this.files.values()],
      tombstones: [...this.tombstones.values()],
      txns: this.txns,
    };
  }
}

/** Throws UnsupportedFeatureError naming what the kit cannot read. */
export function assertReadable(protocol: Protocol, root: string): void {
  const reader = protocol.minReaderVersion;
  if (reader === 1) return;
  if (reader === 2) {
    throw new UnsupportedFeatureError(
      `${root} needs reader version 2 (columnMapping), which the kit does not implement`,
    );
  }
  if (reader === 3) {
    const missing = (protocol.readerFeatures ?? []).filter(
      (feature) => !SUPPORTED_READER_FEATURES.has(feature),
    );
    if (missing.length > 0) {
      throw new UnsupportedFeatureError(
        `${root} needs reader table features the kit does not implement: ${missing.join(', ')}`,
      );
    }
    return;
  }
  throw new UnsupportedFeatureError(
    `${root} needs Delta reader version ${reader}; the kit reads versions 1 and 3`,
  );
}

/** Writer features the kit honours when writing to a writer-7 table. */
const SUPPORTED_WRITER_FEATURES = new Set(['appendOnly', 'invariants']);

/** Throws UnsupportedFeatureError when the kit must not write this table. */
export function assertWritable(protocol: Protocol, root: string): void {
  assertReadable(protocol, root);
  const writer = protocol.minWriterVersion;
  if (writer <= 2) return;
  if (writer === 7) {
    const missing = (protocol.writerFeatures ?? []).filter(
      (feature) => !SUPPORTED_WRITER_FEATURES.has(feature),
    );
    if (missing.length === 0) return;
    throw new UnsupportedFeatureError(
      `${root} needs writer table features the kit does not implement: ${missing.join(', ')}`,
    );
  }
  throw new UnsupportedFeatureError(
    `${root} needs Delta writer version ${writer}; the kit writes versions 2 and 7`,
  );
}
