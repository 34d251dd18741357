/**
 * The lakehouse: Delta Lake tables on S3 with commits through DynamoDB (S3DynamoDBLogStore's
 * protocol), readable by Athena, Spark and delta-rs.
 *
 * ```ts
 * const lake = lakehouseContext(loadRuntimeConfig(process.env));
 * const table = openTable(lake, 's3://my-lakehouse/raw/orders');
 * await createTable(table, { columns: [{ name: 'id', type: 'long' }, { name: 'country', type: 'string' }], partitionColumns: ['country'] });
 * await append(table, [{ id: 1n, country: 'FR' }], { txn: { appId: 'ingest', version: 1 } });
 * const { rows } = await readTable(table, { where: "country = 'FR'", columns: ['id'] });
 * for await (const batch of scanBatches(table, { version: 3 })) { ... }
 * ```
 */
export type { Action, AddFile, CommitInfo, Metadata, Protocol, RemoveFile } from './actions.ts';
export {
  assertCatalogName,
  type CatalogEntry,
  type CatalogStore,
  DynamoDbCatalogStore,
  databaseForStage,
  tableNameFor,
} from './catalog.ts';
export { checkpointInterval, writeCheckpoint } from './checkpoint.ts';
export { type LakehouseClients, lakehouseContext } from './context.ts';
export { type CommitStep, DynamoDbLogStore, InjectedFault } from './dynamodb-log-store.ts';
export {
  CommitConflictError,
  CorruptTableError,
  InvalidTableLocationError,
  SchemaMismatchError,
  TableExistsError,
  TableNotFoundError,
  UnsupportedFeatureError,
} from './errors.ts';
export { FsObjectStore } from './fs-object-store.ts';
export { deltaTableInput, type GlueRegistration, registerInGlue } from './glue-catalog.ts';
export { inferColumns } from './infer.ts';
export { duckDbType, type QueryResult, runLocalQuery } from './local-query.ts';
export { type LakehouseContext, openLocalTable, openTable, parseTableUri } from './location.ts';
export { type LogStore, PutIfAbsentLogStore } from './log-store.ts';
export {
  type HistoryEntry,
  history,
  type OptimizeOptions,
  type OptimizeResult,
  optimize,
  type VacuumOptions,
  type VacuumResult,
  vacuum,
} from './maintenance.ts';
export type { ObjectInfo, ObjectStore } from './object-store.ts';
export { openParquetFile, parquetFileFields, readParquetRows } from './parquet-read.ts';
export { writeParquetFile } from './parquet-write.ts';
export { type Predicate, parsePredicate } from './predicate.ts';
export { type RegisterTableOptions, type Registration, registerTable } from './registration.ts';
export { S3ObjectStore } from './s3-object-store.ts';
export {
  planScan,
  readTable,
  type ScanOptions,
  type ScanPlan,
  scanBatches,
  scanPlanBatches,
  scanRows,
} from './scan.ts';
export type { CellValue, ColumnDefinition, DeltaType, Row, StructField, StructType } from './schema.ts';
export {
  latestVersion,
  loadSnapshot,
  readCommitInfos,
  type Snapshot,
  type SnapshotOptions,
  type TableHandle,
  tableExists,
} from './snapshot.ts';
export {
  cellText,
  formatAligned,
  formatCsv,
  formatJsonLines,
  inferCsvColumns,
  parseCsv,
  parseJsonLines,
  toJson,
} from './text-formats.ts';
export {
  append,
  type CreateTableOptions,
  createTable,
  type MergeOptions,
  merge,
  type OverwriteOptions,
  overwrite,
  type WriteOptions,
  type WriteResult,
} from './write.ts';
