/**
 * Table writes: create, append, overwrite (whole table or `replaceWhere`), merge (upsert by keys).
 * Each is one Delta commit; data files are written first, so a failed commit leaves only
 * unreferenced files (removed by VACUUM) and the table unchanged.
 *
 * New tables are protocol (1, 2) with no table features, readable by Athena, Spark, Trino and
 * delta-rs of any version.
 */

import { InvalidParameterError } from '../runtime/errors.ts';
import type { Action, AddFile, Metadata, RemoveFile } from './actions.ts';
import { checkpointInterval } from './checkpoint.ts';
import { conformRows, writeDataFiles } from './data-files.ts';
import {
  CommitConflictError,
  SchemaMismatchError,
  TableExistsError,
  UnsupportedFeatureError,
} from './errors.ts';
import { inferColumns } from './infer.ts';
import {
  bindPredicate,
  evaluate,
  mightMatch,
  type Predicate,
  parsePredicate,
  predicateColumns,
} from './predicate.ts';
import { fileFacts, readTable, scanPlanBatches } from './scan.ts';
import {
  buildSchema,
  type ColumnDefinition,
  type Row,
  type StructField,
  type StructType,
  serializeSchema,
} from './schema.ts';
import {
  assertWritable,
  fileKey,
  loadSnapshot,
  type Snapshot,
  type TableHandle,
  tableExists,
} from './snapshot.ts';
import { isAppendOnly } from './table-config.ts';
import { type CommitResult, commit } from './transaction.ts';

export interface CreateTableOptions {
  readonly columns: readonly ColumnDefinition[];
  /** @default [] */
  readonly partitionColumns?: readonly string[];
  readonly name?: string;
  readonly description?: string;
  /** Table properties, e.g. `delta.deletedFileRetentionDuration`. @default {} */
  readonly configuration?: Readonly<Record<string, string>>;
}

export interface WriteOptions {
  /** Idempotent write: skipped when this appId already committed this version or a later one. */
  readonly txn?: { readonly appId: string; readonly version: number };
  /** Add new nullable columns found in the rows instead of failing. @default false */
  readonly mergeSchema?: boolean;
  /** Rows per data file. @default 1_000_000 */
  readonly targetFileRows?: number;
  /** Rows per Parquet row group (the unit a scan streams). @default 100_000 */
  readonly rowGroupSize?: number;
}

export interface WriteResult extends CommitResult {
  readonly addedFiles: number;
  readonly removedFiles: number;
  readonly rows: number;
}

/** Creates an empty table (version 0). Throws TableExistsError when one is there. */
export async function createTable(table: TableHandle, options: CreateTableOptions): Promise<CommitResult> {
  const schema = buildSchema(options.columns);
  const partitionColumns = options.partitionColumns ?? [];
  for (const column of partitionColumns) {
    const field = schema.fields.find((f) => f.name === column);
    if (!field)
      throw new SchemaMismatchError(`partition column "${column}" is not a column of the table`, column);
    if (field.type === 'binary')
      throw new SchemaMismatchError(`partition column "${column}" cannot be binary`, column);
  }
  if (await tableExists(table))
    throw new TableExistsError(`a Delta table already exists at ${table.objects.root}`);
  const metaData: Metadata = {
    id: crypto.randomUUID(),
    ...(options.name ? { name: options.name } : {}),
    ...(options.description ? { description: options.description } : {}),
    format: { provider: 'parquet', options: {} },
    schemaString: serializeSchema(schema),
    partitionColumns: [...partitionColumns],
    configuration: { ...options.configuration },
    createdTime: Date.now(),
  };
  try {
    return await commit(table, {
      readVersion: -1,
      actions: [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }, { metaData }],
      operation: 'CREATE TABLE',
      operationParameters: {
        partitionBy: JSON.stringify(partitionColumns),
        description: options.description ?? null,
      },
      isBlindAppend: true,
    });
  } catch (error) {
    if (error instanceof CommitConflictError) {
      throw new TableExistsError(`a Delta table was created at ${table.objects.root} concurrently`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The schema after additive evolution with the rows' new columns (nullable), or the same schema. */
function evolveSchema(
  snapshot: Snapshot,
  rows: readonly Record<string, unknown>[],
  mergeSchema: boolean,
): StructType {
  // Without mergeSchema a new column is an error, which conformRows reports with the column named.
  if (!mergeSchema) return snapshot.schema;
  const known = new Set(snapshot.schema.fields.map((f) => f.name));
  const extra = new Set<string>();
  for (const row of rows)
    for (const key in row) if (!known.has(key) && row[key] !== undefined) extra.add(key);
  if (extra.size === 0) return snapshot.schema;
  const added = inferColumns(rows, [...extra]);
  const fields: StructField[] = [
    ...snapshot.schema.fields,
    ...added.map((column) => ({ name: column.name, type: column.type, nullable: true, metadata: {} })),
  ];
  return buildSchemaFrom(fields);
}

function buildSchemaFrom(fields: readonly StructField[]): StructType {
  const schema = buildSchema(
    fields
      .filter((f) => typeof f.type === 'string')
      .map((f) => ({ name: f.name, type: f.type, nullable: f.nullable })),
  );
  return schema.fields.length === fields.length ? schema : { type: 'struct', fields };
}

function txnActions(options: WriteOptions): Action[] {
  return options.txn
    ? [{ txn: { appId: options.txn.appId, version: options.txn.version, lastUpdated: Date.now() } }]
    : [];
}

function alreadyDone(snapshot: Snapshot, options: WriteOptions): boolean {
  if (!options.txn) return false;
  const done = snapshot.txns.get(options.txn.appId);
  return done !== undefined && done >= options.txn.version;
}

async function prepare(
  table: TableHandle,
  rows: readonly Record<string, unknown>[],
  options: WriteOptions,
): Promise<{ snapshot: Snapshot; schema: StructType; metadataAction: Action[]; conformed: Row[] }> {
  const snapshot = await loadSnapshot(table);
  assertWritable(snapshot.protocol, table.objects.root);
  const schema = evolveSchema(snapshot, rows, options.mergeSchema ?? false);
  const conformed = conformRows(rows, schema);
  const metadataAction: Action[] =
    schema === snapshot.schema
      ? []
      : [{ metaData: { ...snapshot.metadata, schemaString: serializeSchema(schema) } }];
  return { snapshot, schema, metadataAction, conformed };
}

/** Appends rows. A blind append: retried automatically when other writers commit first. */
export async function append(
  table: TableHandle,
  rows: readonly Record<string, unknown>[],
  options: WriteOptions = {},
): Promise<WriteResult> {
  const { snapshot, schema, metadataAction, conformed } = await prepare(table, rows, options);
  if (alreadyDone(snapshot, options))
    return { version: snapshot.version, skipped: true, addedFiles: 0, removedFiles: 0, rows: 0 };
  const adds = await writeDataFiles(
    table.objects,
    schema,
    snapshot.metadata.partitionColumns,
    conformed,
    options,
  );
  const result = await commit(table, {
    readVersion: snapshot.version,
    actions: [...metadataAction, ...txnActions(options), ...adds.map((add) => ({ add }))],
    operation: 'WRITE',
    operationParameters: { mode: 'Append', partitionBy: JSON.stringify(snapshot.metadata.partitionColumns) },
    operationMetrics: { numFiles: String(adds.length), numOutputRows: String(conformed.length) },
    isBlindAppend: metadataAction.length === 0,
    checkpointInterval: checkpointInterval(snapshot.metadata.configuration),
  });
  return {
    ...result,
    addedFiles: result.skipped ? 0 : adds.length,
    removedFiles: 0,
    rows: result.skipped ? 0 : conformed.length,
  };
}

export interface OverwriteOptions extends WriteOptions {
  /**
   * Replace only the rows where this predicate on partition columns holds; every new row must
   * satisfy it. @default the whole table is replaced
   */
  readonly replaceWhere?: Predicate | string;
}

function removeAction(file: AddFile, now: number, dataChange = true): { remove: RemoveFile } {
  return {
    remove: {
      path: file.path,
      deletionTimestamp: now,
      dataChange,
      extendedFileMetadata: true,
      partitionValues: file.partitionValues,
      size: file.size,
    },
  };
}

/** Replaces the table's content (or the partitions matching `replaceWhere`) with the rows. */
export async function overwrite(
  table: TableHandle,
  rows: readonly Record<string, unknown>[],
  options: OverwriteOptions = {},
): Promise<WriteResult> {
  const { snapshot, schema, metadataAction, conformed } = await prepare(table, rows, options);
  if (alreadyDone(snapshot, options))
    return { version: snapshot.version, skipped: true, addedFiles: 0, removedFiles: 0, rows: 0 };
  if (isAppendOnly(snapshot.metadata.configuration) && snapshot.files.length > 0) {
    throw new UnsupportedFeatureError(
      `${table.objects.root} is append-only (delta.appendOnly=true); overwrite is not allowed`,
    );
  }
  let removed = snapshot.files;
  let predicate: Predicate | undefined;
  if (options.replaceWhere !== undefined) {
    predicate = bindPredicate(
      typeof options.replaceWhere === 'string' ? parsePredicate(options.replaceWhere) : options.replaceWhere,
      schema,
    );
    const partitions = new Set(snapshot.metadata.partitionColumns);
    const bad = [...predicateColumns(predicate)].find((column) => !partitions.has(column));
    if (bad !== undefined) {
      throw new InvalidParameterError(`replaceWhere may only use partition columns; "${bad}" is not one`);
    }
    const where = predicate;
    const outside = conformed.find((row) => !evaluate(where, row, schema));
    if (outside) {
      throw new SchemaMismatchError(
        `a row does not satisfy replaceWhere (${typeof options.replaceWhere === 'string' ? options.replaceWhere : 'predicate'})`,
        [...predicateColumns(where)][0] ?? '',
      );
    }
    removed = snapshot.files.filter((file) => mightMatch(where, fileFacts(snapshot, file), schema));
  }
  const adds = await writeDataFiles(
    table.objects,
    schema,
    snapshot.metadata.partitionColumns,
    conformed,
    options,
  );
  const now = Date.now();
  const where = predicate;
  const result = await commit(table, {
    readVersion: snapshot.version,
    actions: [
      ...metadataAction,
      ...txnActions(options),
      ...removed.map((file) => removeAction(file, now)),
      ...adds.map((add) => ({ add })),
    ],
    operation: 'WRITE',
    operationParameters: {
      mode: 'Overwrite',
      partitionBy: JSON.stringify(snapshot.metadata.partitionColumns),
      ...(typeof options.replaceWhere === 'string' ? { predicate: options.replaceWhere } : {}),
    },
    operationMetrics: {
      numFiles: String(adds.length),
      numRemovedFiles: String(removed.length),
      numOutputRows: String(conformed.length),
    },
    isBlindAppend: false,
    readFiles: new Set(removed.map((file) => fileKey(table.objects, file.path))),
    readsAdded: where ? (file) => mightMatch(where, fileFacts(snapshot, file), schema) : () => true,
    checkpointInterval: checkpointInterval(snapshot.metadata.configuration),
  });
  return { ...result, addedFiles: adds.length, removedFiles: removed.length, rows: conformed.length };
}

export interface MergeOptions extends WriteOptions {
  /** Key columns: a source row replaces the target rows with equal keys, or is inserted. */
  readonly on: readonly string[];
}

/**
 * Upserts rows by key: target rows whose key matches a source row are replaced by it, other source
 * rows are inserted. Only files whose statistics or partitions may hold a source key are rewritten.
 */
export async function merge(
  table: TableHandle,
  rows: readonly Record<string, unknown>[],
  options: MergeOptions,
): Promise<WriteResult & { updated: number; inserted: number }> {
  const { snapshot, schema, metadataAction, conformed } = await prepare(table, rows, options);
  if (alreadyDone(snapshot, options)) {
    return {
      version: snapshot.version,
      skipped: true,
      addedFiles: 0,
      removedFiles: 0,
      rows: 0,
      updated: 0,
      inserted: 0,
    };
  }
  if (options.on.length === 0) throw new SchemaMismatchError('merge needs at least one key column', '');
  for (const key of options.on) {
    if (!schema.fields.some((f) => f.name === key))
      throw new SchemaMismatchError(`merge key "${key}" is not a column`, key);
  }
  if (isAppendOnly(snapshot.metadata.configuration)) {
    throw new UnsupportedFeatureError(
      `${table.objects.root} is append-only (delta.appendOnly=true); merge is not allowed`,
    );
  }
  const keyOf = (row: Row) => JSON.stringify(options.on.map((k) => normaliseKey(row[k])));
  const source = new Map<string, Row>();
  for (const row of conformed) source.set(keyOf(row), row);
  // Files that may hold a source key: by partition values and min/max of the first key column.
  const firstKey = options.on[0] as string;
  const keyValues = [...new Set([...source.values()].map((row) => row[firstKey]))].filter((v) => v !== null);
  const candidatePredicate: Predicate | undefined =
    keyValues.length > 0 && keyValues.length <= 10_000
      ? { op: 'in', column: firstKey, values: keyValues }
      : undefined;
  const touched = candidatePredicate
    ? snapshot.files.filter((file) => mightMatch(candidatePredicate, fileFacts(snapshot, file), schema))
    : snapshot.files;
  const kept: Row[] = [];
  let updated = 0;
  const plan = { snapshot, files: touched, skippedFiles: 0, columns: snapshot.schema.fields };
  for await (const batch of scanPlanBatches(table, plan)) {
    for (const row of batch) {
      if (source.has(keyOf(row))) updated++;
      else kept.push(row);
    }
  }
  const output = [...conformRows(kept, schema), ...source.values()];
  const adds = await writeDataFiles(
    table.objects,
    schema,
    snapshot.metadata.partitionColumns,
    output,
    options,
  );
  const now = Date.now();
  const result = await commit(table, {
    readVersion: snapshot.version,
    actions: [
      ...metadataAction,
      ...txnActions(options),
      ...touched.map((file) => removeAction(file, now)),
      ...adds.map((add) => ({ add })),
    ],
    operation: 'MERGE',
    operationParameters: { keys: JSON.stringify(options.on) },
    operationMetrics: {
      numTargetRowsUpdated: String(updated),
      numTargetRowsInserted: String(source.size - updated),
      numTargetFilesRemoved: String(touched.length),
      numTargetFilesAdded: String(adds.length),
    },
    isBlindAppend: false,
    readFiles: new Set(touched.map((file) => fileKey(table.objects, file.path))),
    readsAdded: candidatePredicate
      ? (file) => mightMatch(candidatePredicate, fileFacts(snapshot, file), schema)
      : () => true,
    checkpointInterval: checkpointInterval(snapshot.metadata.configuration),
  });
  return {
    ...result,
    addedFiles: adds.length,
    removedFiles: touched.length,
    rows: output.length,
    updated,
    inserted: source.size - updated,
  };
}

function normaliseKey(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return value.getTime();
  return value;
}

export { readTable };
