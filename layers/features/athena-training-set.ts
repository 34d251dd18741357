/**
 * Building a training set in the cloud: the same point-in-time SQL as the local path
 * (`point-in-time-sql.ts`, Athena dialect), run by Athena over the Glue-registered Delta tables,
 * its Parquet output committed as the Delta training-set table with the same manifest as
 * `buildTrainingSet`.
 *
 *   registry ── service version → view versions → source table URIs → Glue tables
 *   lakehouse ─ each source table's (and the entity table's) latest version, read just before the query
 *   Athena ──── UNLOAD (point-in-time SELECT) TO '<out>/staging/<id>/' (Parquet)
 *   lakehouse ─ one commit on the output table: remove its current files, add the staged files
 *               (paths relative to the table, so the files never move); manifest beside it at
 *               `<out>/_mlops/training-set-<table version>.json`
 *
 * Versions: Athena reads a Delta table's latest snapshot and has no time travel for Delta tables, so
 * a source table cannot be pinned to a version. Each table's version is read right before the query
 * starts and recorded with `pinning: 'query-start'`; when a table has moved on by the time the query
 * finished, `versionAfterQuery` records the version then, since rows committed meanwhile may be in
 * the result. Build from tables that are not being written to for an exact record.
 *
 * A failed or cancelled query leaves nothing committed; its partial files stay unreferenced under
 * the staging prefix, where VACUUM of the output table deletes them.
 */
import { randomUUID } from 'node:crypto';
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type QueryExecutionState,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { Action, AddFile } from '../lakehouse/actions.ts';
import type { CatalogStore } from '../lakehouse/catalog.ts';
import { encodePath } from '../lakehouse/data-files.ts';
import { openParquetFile, parquetFileFields } from '../lakehouse/parquet-read.ts';
import { fileKey, loadSnapshot, type TableHandle, tableExists } from '../lakehouse/snapshot.ts';
import { commit } from '../lakehouse/transaction.ts';
import { createTable } from '../lakehouse/write.ts';
import { KitError } from '../runtime/errors.ts';
import { FeatureDataError } from './errors.ts';
import {
  type PointInTimeQuery,
  pointInTimeStatement,
  relationFor,
  type ViewRelation,
} from './point-in-time-sql.ts';
import type { StoredObject } from './registry-store.ts';
import {
  manifestKey,
  type TrainingSetDeps,
  type TrainingSetManifest,
  type TrainingSetRequest,
  trainingSetManifest,
} from './training-set.ts';

/** The Glue table Athena reads a lakehouse table through. */
export interface GlueTableRef {
  readonly database: string;
  readonly table: string;
}

export interface AthenaTrainingSetDeps extends TrainingSetDeps {
  readonly athena: AthenaClient;
  /** The workgroup the query runs in (engine version 3, the one that reads Delta tables). */
  readonly workGroup: string;
  /** The Glue table of a lakehouse table URI (see `glueTablesFromCatalog`). */
  readonly glueTable: (uri: string) => Promise<GlueTableRef>;
  /** Wait between two GetQueryExecution calls. @default 2000 */
  readonly pollIntervalMs?: number;
  /** Stop waiting for the query after this long (the query is left to Athena's own limits). @default 30 minutes */
  readonly timeoutMs?: number;
  /** Names the staging folder of one build. @default a random UUID */
  readonly newId?: () => string;
}

/** Athena failed, cancelled or did not finish the training-set query in time. */
export class TrainingSetQueryError extends KitError {
  override readonly name = 'TrainingSetQueryError';
  readonly queryExecutionId: string;
  constructor(
    message: string,
    queryExecutionId: string,
    options?: ConstructorParameters<typeof KitError>[2],
  ) {
    super('INTERNAL_ERROR', message, options);
    this.queryExecutionId = queryExecutionId;
  }
}

/** Resolves lakehouse table URIs to the Glue tables the kit's catalog registered them as. */
export function glueTablesFromCatalog(catalog: CatalogStore): (uri: string) => Promise<GlueTableRef> {
  return async (uri) => {
    const location = uri.replace(/\/+$/, '');
    const entry = (await catalog.list()).find((e) => e.location.replace(/\/+$/, '') === location);
    if (!entry) {
      throw new FeatureDataError(
        `table ${uri} is not registered in the Glue catalog, so Athena cannot read it; register it first`,
      );
    }
    return { database: entry.database, table: entry.table };
  };
}

/** The UNLOAD statement of a build and what it was built from (the first half of a build). */
export interface AthenaTrainingSetQuery {
  readonly sql: string;
  /** `s3://…/<out>/staging/<id>/`: where UNLOAD writes, inside the output table's location. */
  readonly destination: string;
  /** The destination relative to the output table's root. */
  readonly stagingKey: string;
  readonly service: StoredObject<'featureService'>;
  readonly featureViews: TrainingSetManifest['featureViews'];
  readonly sourceTables: TrainingSetManifest['sourceTables'];
  readonly entities: Extract<TrainingSetManifest['entities'], { table: string }>;
}

/** Builds the training set on Athena; see the module comment. Same request and manifest as `buildTrainingSet`. */
export async function buildTrainingSetOnAthena(
  deps: AthenaTrainingSetDeps,
  request: TrainingSetRequest,
): Promise<TrainingSetManifest> {
  const query = await athenaTrainingSetQuery(deps, request);
  const started = await deps.athena.send(
    new StartQueryExecutionCommand({ QueryString: query.sql, WorkGroup: deps.workGroup }),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new Error('Athena started the query without a QueryExecutionId');
  await waitForQuery(deps, id);
  return commitAthenaTrainingSet(deps, request, query);
}

/** Resolves the service, reads each table's current version, and writes the UNLOAD statement. */
export async function athenaTrainingSetQuery(
  deps: AthenaTrainingSetDeps,
  request: TrainingSetRequest,
): Promise<AthenaTrainingSetQuery> {
  if (request.entities.kind !== 'table') {
    throw new FeatureDataError(
      `on Athena the entities must be a lakehouse table registered in Glue, not the file ${request.entities.path}`,
    );
  }
  const service = await deps.registry.get('featureService', request.service, request.serviceVersion);
  const views: ViewRelation[] = [];
  const featureViews: { name: string; version: number }[] = [];
  const sourceTables: TrainingSetManifest['sourceTables'][number][] = [];
  const seen = new Map<string, ViewRelation & { features: ViewRelation['features'][number][] }>();
  for (const feature of service.spec.resolved) {
    const id = `${feature.view}#${feature.viewVersion}`;
    let relation = seen.get(id);
    if (!relation) {
      const view = await deps.registry.get('featureView', feature.view, feature.viewVersion);
      const source = view.spec.source;
      const version = (await loadSnapshot(deps.openTable(source.table))).version;
      relation = {
        name: view.name,
        relation: relationFor('athena', await deps.glueTable(source.table)),
        joinKeys: view.spec.joinKeys,
        eventTimeColumn: source.eventTimeColumn,
        ...(source.createdTimeColumn ? { createdTimeColumn: source.createdTimeColumn } : {}),
        ttlSeconds: view.spec.ttl,
        features: [],
      };
      seen.set(id, relation);
      views.push(relation);
      featureViews.push({ name: view.name, version: view.version });
      sourceTables.push({ table: source.table, version, pinning: 'query-start' });
    }
    relation.features.push({ name: feature.feature, type: feature.type, column: feature.column });
  }
  const entityUri = request.entities.uri;
  const entitySnapshot = await loadSnapshot(deps.openTable(entityUri));
  const query: PointInTimeQuery = {
    entities: {
      relation: relationFor('athena', await deps.glueTable(entityUri)),
      columns: entitySnapshot.schema.fields.map((field) => field.name),
      timestampColumn: request.timestampColumn ?? 'event_timestamp',
    },
    views,
  };
  const stagingKey = `staging/${deps.newId?.() ?? randomUUID()}/`;
  const destination = `${request.out.replace(/\/+$/, '')}/${stagingKey}`;
  return {
    sql: pointInTimeStatement(query, 'athena', destination),
    destination,
    stagingKey,
    service,
    featureViews,
    sourceTables,
    entities: { table: entityUri, version: entitySnapshot.version, pinning: 'query-start' },
  };
}

/** Polls the query until it succeeded; TrainingSetQueryError when it failed, was cancelled or timed out. */
async function waitForQuery(deps: AthenaTrainingSetDeps, id: string): Promise<void> {
  const deadline = Date.now() + (deps.timeoutMs ?? 30 * 60_000);
  for (;;) {
    const { QueryExecution } = await deps.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const state: QueryExecutionState | undefined = QueryExecution?.Status?.State;
    if (state === 'SUCCEEDED') return;
    if (state === 'FAILED' || state === 'CANCELLED') {
      throw new TrainingSetQueryError(
        `the training-set query ${id} ${state.toLowerCase()}: ${QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`,
        id,
      );
    }
    if (Date.now() >= deadline) {
      throw new TrainingSetQueryError(`the training-set query ${id} did not finish in time (${state})`, id);
    }
    await new Promise((resolve) => setTimeout(resolve, deps.pollIntervalMs ?? 2000));
  }
}

/**
 * Commits the staged Parquet files of a succeeded query as the output table's new content (one
 * commit: every current file removed, every staged file added) and writes the manifest.
 */
export async function commitAthenaTrainingSet(
  deps: AthenaTrainingSetDeps,
  request: TrainingSetRequest,
  query: AthenaTrainingSetQuery,
): Promise<TrainingSetManifest> {
  const out = deps.openTable(request.out);
  const staged = await stagedFiles(out, query.stagingKey);
  if (staged.length === 0) {
    throw new FeatureDataError(`the training-set query wrote no files under ${query.destination}`);
  }
  const first = staged[0] as (typeof staged)[number];
  const columns = first.fields;
  for (const file of staged) {
    if (JSON.stringify(file.fields) !== JSON.stringify(columns)) {
      throw new FeatureDataError(`the staged files under ${query.destination} disagree on their columns`);
    }
  }
  if (!(await tableExists(out))) {
    await createTable(out, {
      columns: columns.map((field) => ({ name: field.name, type: field.type as string })),
      description: `training set of feature service ${query.service.name} v${query.service.version}`,
    });
  }
  const snapshot = await loadSnapshot(out);
  const shape = (fields: readonly { name: string; type: unknown }[]) =>
    JSON.stringify(fields.map((field) => [field.name, field.type]));
  if (shape(snapshot.schema.fields) !== shape(columns) || snapshot.metadata.partitionColumns.length > 0) {
    throw new FeatureDataError(
      `${request.out} already holds a table with other columns or partitions; write this training set to a new table`,
    );
  }
  const now = Date.now();
  const actions: Action[] = [
    ...snapshot.files.map((file) => ({
      remove: {
        path: file.path,
        deletionTimestamp: now,
        dataChange: true,
        extendedFileMetadata: true,
        partitionValues: file.partitionValues,
        size: file.size,
      },
    })),
    ...staged.map(({ add }) => ({ add })),
  ];
  const result = await commit(out, {
    readVersion: snapshot.version,
    actions,
    operation: 'WRITE',
    operationParameters: { mode: 'Overwrite', partitionBy: '[]' },
    operationMetrics: {
      numFiles: String(staged.length),
      numRemovedFiles: String(snapshot.files.length),
      numOutputRows: String(staged.reduce((sum, file) => sum + file.rows, 0)),
    },
    isBlindAppend: false,
    readFiles: new Set(snapshot.files.map((file) => fileKey(out.objects, file.path))),
    readsAdded: () => true,
  });
  const moved = async <T extends { table: string; version: number }>(entry: T): Promise<T> => {
    const latest = (await loadSnapshot(deps.openTable(entry.table))).version;
    return latest === entry.version ? entry : { ...entry, versionAfterQuery: latest };
  };
  const manifest = trainingSetManifest({
    service: query.service,
    featureViews: query.featureViews,
    sourceTables: await Promise.all(query.sourceTables.map(moved)),
    entities: await moved(query.entities),
    output: { table: request.out, version: result.version },
    rows: staged.reduce((sum, file) => sum + file.rows, 0),
    columns: columns.map((field) => field.name),
    createdAt: (deps.now?.() ?? new Date()).toISOString(),
  });
  await out.objects.put(manifestKey(result.version), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The data files UNLOAD wrote under the staging prefix, as add actions with their row counts. */
async function stagedFiles(out: TableHandle, stagingKey: string) {
  const files = [];
  for await (const info of out.objects.list(stagingKey)) {
    const name = info.key.slice(stagingKey.length);
    // Athena writes only data files there; skip markers and hidden files all the same.
    if (name === '' || name.endsWith('/') || name.startsWith('_') || name.startsWith('.')) continue;
    const parquet = await openParquetFile(out.objects, info.key, info.size);
    const rows = Number(parquet.metadata.num_rows);
    const add: AddFile = {
      path: encodePath(info.key),
      partitionValues: {},
      size: info.size,
      modificationTime: info.lastModified?.getTime() ?? Date.now(),
      dataChange: true,
      stats: JSON.stringify({ numRecords: rows }),
    };
    files.push({ add, rows, fields: parquetFileFields(parquet) });
  }
  return files.sort((a, b) => a.add.path.localeCompare(b.add.path));
}
