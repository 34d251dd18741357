/**
 * The Delta log's actions (PROTOCOL.md "Actions") as a typed union, and the newline-delimited JSON
 * of a commit file. Unknown actions and fields are kept as they are and otherwise ignored, as the
 * protocol requires.
 */
import { CorruptTableError } from './errors.ts';

export interface Protocol {
  readonly minReaderVersion: number;
  readonly minWriterVersion: number;
  readonly readerFeatures?: readonly string[];
  readonly writerFeatures?: readonly string[];
}

export interface Metadata {
  readonly id: string;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly format: { readonly provider: string; readonly options: Readonly<Record<string, string>> };
  readonly schemaString: string;
  readonly partitionColumns: readonly string[];
  readonly configuration: Readonly<Record<string, string>>;
  readonly createdTime?: number | null;
}

export interface AddFile {
  readonly path: string;
  readonly partitionValues: Readonly<Record<string, string | null>>;
  readonly size: number;
  readonly modificationTime: number;
  readonly dataChange: boolean;
  /** Per-file statistics as a JSON string (numRecords, minValues, maxValues, nullCount). */
  readonly stats?: string | null;
  readonly tags?: Readonly<Record<string, string>> | null;
  readonly deletionVector?: unknown;
}

export interface RemoveFile {
  readonly path: string;
  readonly deletionTimestamp?: number | null;
  readonly dataChange: boolean;
  readonly extendedFileMetadata?: boolean;
  readonly partitionValues?: Readonly<Record<string, string | null>> | null;
  readonly size?: number | null;
  readonly deletionVector?: unknown;
}

export interface Txn {
  readonly appId: string;
  readonly version: number;
  readonly lastUpdated?: number | null;
}

export interface CommitInfo {
  readonly timestamp?: number;
  readonly operation?: string;
  readonly operationParameters?: Readonly<Record<string, unknown>>;
  readonly readVersion?: number;
  readonly isolationLevel?: string;
  readonly isBlindAppend?: boolean;
  readonly engineInfo?: string;
  readonly operationMetrics?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

export type Action =
  | { readonly protocol: Protocol }
  | { readonly metaData: Metadata }
  | { readonly add: AddFile }
  | { readonly remove: RemoveFile }
  | { readonly txn: Txn }
  | { readonly commitInfo: CommitInfo }
  | { readonly [other: string]: unknown };

/** `_delta_log/00000000000000000042.json` for version 42. */
export function commitFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}

export const LOG_DIR = '_delta_log';

/** Parses a commit file. Throws CorruptTableError naming the version on a bad line. */
export function parseCommit(text: string, version: number): Action[] {
  const actions: Action[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      actions.push(JSON.parse(line) as Action);
    } catch (error) {
      throw new CorruptTableError(`commit ${version} is not valid newline-delimited JSON`, { cause: error });
    }
  }
  return actions;
}

/** Serialises actions as a commit file: one JSON object per line, commitInfo first. */
export function serializeCommit(actions: readonly Action[]): string {
  return `${actions.map((action) => JSON.stringify(action, bigintReplacer)).join('\n')}\n`;
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Per-file statistics as the kit reads them from `add.stats`. */
export interface FileStats {
  readonly numRecords?: number;
  readonly minValues?: Readonly<Record<string, unknown>>;
  readonly maxValues?: Readonly<Record<string, unknown>>;
  readonly nullCount?: Readonly<Record<string, unknown>>;
}

/** Parses `add.stats`; undefined when absent or unreadable (stats are optional). */
export function parseStats(stats: string | null | undefined): FileStats | undefined {
  if (!stats) return undefined;
  try {
    return JSON.parse(stats) as FileStats;
  } catch {
    return undefined;
  }
}
