/**
 * Building a training set locally: a feature service's point-in-time join over the current
 * lakehouse snapshots of its source tables, run by DuckDB, written as a lakehouse table, with a
 * manifest of exactly what went in.
 *
 *   registry ── service version → view versions → source table URIs
 *   lakehouse ── each source table's current snapshot (version recorded) → temp dir
 *   entities  ── CSV / Parquet file, or a lakehouse table (version recorded) → temp dir
 *   DuckDB    ── point-in-time SQL (point-in-time-sql.ts) → Parquet
 *   lakehouse ── result overwrites the output table; manifest beside it at
 *                `<out>/_mlops/training-set-<table version>.json`
 *
 * The manifest is what the model registry records as lineage: its `lineageTags` are the
 * `mlops.lineage.*` tags a run or model version carries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnDefinition } from '../lakehouse/schema.ts';
import { tableExists } from '../lakehouse/snapshot.ts';
import { createTable, overwrite } from '../lakehouse/write.ts';
import { featureColumn } from './definitions.ts';
import {
  type LocalEntityTable,
  type LocalViewSource,
  openDuckDb,
  writeTrainingSetParquet,
} from './duckdb-executor.ts';
import { FeatureDataError } from './errors.ts';
import { downloadSnapshot, type TableOpener } from './lakehouse-source.ts';
import { quoteLiteral } from './point-in-time-sql.ts';
import type { FeatureRegistryStore, StoredObject } from './registry-store.ts';

export type EntitySource =
  | { readonly kind: 'file'; readonly path: string; readonly format: 'csv' | 'parquet' }
  | { readonly kind: 'table'; readonly uri: string };

export interface TrainingSetRequest {
  readonly service: string;
  /** @default the latest version */
  readonly serviceVersion?: number;
  readonly entities: EntitySource;
  /** Lakehouse table URI the training set is written to (overwritten when it exists). */
  readonly out: string;
  /** @default 'event_timestamp' */
  readonly timestampColumn?: string;
}

export interface TrainingSetManifest {
  readonly featureService: { readonly name: string; readonly version: number };
  readonly featureViews: readonly { readonly name: string; readonly version: number }[];
  readonly sourceTables: readonly {
    readonly table: string;
    readonly version: number;
    /**
     * How `version` was read. Absent: exactly that snapshot. `'query-start'`: the version current
     * when an Athena query started (Athena cannot read a Delta table at a version); a commit that
     * landed while the query ran may be partly in the result, and `versionAfterQuery` then says so.
     */
    readonly pinning?: 'query-start';
    readonly versionAfterQuery?: number;
  }[];
  readonly entities:
    | { readonly file: string }
    | {
        readonly table: string;
        readonly version: number;
        readonly pinning?: 'query-start';
        readonly versionAfterQuery?: number;
      };
  readonly output: { readonly table: string; readonly version: number };
  readonly rows: number;
  readonly columns: readonly string[];
  readonly createdAt: string;
  /** The `mlops.lineage.*` tags to put on the run or model version trained on this set. */
  readonly lineageTags: Readonly<Record<string, string>>;
}

export interface TrainingSetDeps {
  readonly registry: FeatureRegistryStore;
  readonly openTable: TableOpener;
  readonly now?: () => Date;
}

/** Where a training set's manifest is kept, relative to its table root. */
export function manifestKey(version: number): string {
  return `_mlops/training-set-${String(version).padStart(20, '0')}.json`;
}

/** What the point-in-time step read and wrote. */
export interface PointInTimeResult {
  readonly file: string;
  readonly rows: number;
  readonly columns: readonly string[];
  readonly featureViews: TrainingSetManifest['featureViews'];
  readonly sourceTables: TrainingSetManifest['sourceTables'];
  readonly entities: TrainingSetManifest['entities'];
}

/**
 * The point-in-time join of a stored feature service version over the current snapshots of its
 * source tables, written to `<dir>/point-in-time.parquet` (shared by training sets and batch scoring).
 */
export async function pointInTimeParquet(
  deps: Pick<TrainingSetDeps, 'registry' | 'openTable'>,
  service: StoredObject<'featureService'>,
  entitySource: EntitySource,
  dir: string,
  timestampColumn?: string,
): Promise<PointInTimeResult> {
  const byView = new Map<string, LocalViewSource>();
  const sourceTables: { table: string; version: number }[] = [];
  const featureViews: { name: string; version: number }[] = [];
  for (const feature of service.spec.resolved) {
    const id = `${feature.view}#${feature.viewVersion}`;
    let source = byView.get(id);
    if (!source) {
      const view = await deps.registry.get('featureView', feature.view, feature.viewVersion);
      const downloaded = await downloadSnapshot(
        deps.openTable(view.spec.source.table),
        join(dir, `view-${byView.size}`),
      );
      if (
        downloaded.partitionColumns.some((column) => view.spec.joinKeys.some((key) => key.name === column))
      ) {
        throw new FeatureDataError(
          `source table ${view.spec.source.table} is partitioned by a join key; partition it by a time or category column`,
        );
      }
      source = {
        spec: view.spec,
        files: downloaded.files,
        features: [],
        hivePartitioned: downloaded.partitionColumns.length > 0,
      };
      byView.set(id, source);
      featureViews.push({ name: view.name, version: view.version });
      sourceTables.push({ table: view.spec.source.table, version: downloaded.version });
    }
    (source.features as (typeof feature)[]).push(feature);
  }

  let entityTable: LocalEntityTable;
  let entities: TrainingSetManifest['entities'];
  const timestamp = timestampColumn ? { timestampColumn } : {};
  if (entitySource.kind === 'file') {
    entityTable = { files: [entitySource.path], format: entitySource.format, ...timestamp };
    entities = { file: entitySource.path };
  } else {
    const downloaded = await downloadSnapshot(deps.openTable(entitySource.uri), join(dir, 'entities'));
    if (downloaded.files.length === 0)
      throw new FeatureDataError(`entity table ${entitySource.uri} is empty`);
    entityTable = { files: downloaded.files, format: 'parquet', ...timestamp };
    entities = { table: entitySource.uri, version: downloaded.version };
  }
  const file = join(dir, 'point-in-time.parquet');
  const written = await writeTrainingSetParquet(entityTable, [...byView.values()], file);
  return { file, rows: written.rows, columns: written.columns, featureViews, sourceTables, entities };
}

/** Builds the training set and writes it with its manifest; see the module comment. */
export async function buildTrainingSet(
  deps: TrainingSetDeps,
  request: TrainingSetRequest,
): Promise<TrainingSetManifest> {
  const service = await deps.registry.get('featureService', request.service, request.serviceVersion);
  const dir = mkdtempSync(join(tmpdir(), 'mlops-training-set-'));
  try {
    const {
      file: outFile,
      featureViews,
      sourceTables,
      entities,
      ...written
    } = await pointInTimeParquet(deps, service, request.entities, dir, request.timestampColumn);
    const { rows, columns } = await readParquetRows(outFile);
    const out = deps.openTable(request.out);
    if (!(await tableExists(out))) {
      await createTable(out, {
        columns,
        description: `training set of feature service ${service.name} v${service.version}`,
      });
    }
    const result = await overwrite(out, rows);
    const manifest = trainingSetManifest({
      service,
      featureViews,
      sourceTables,
      entities,
      output: { table: request.out, version: result.version },
      rows: written.rows,
      columns: written.columns,
      createdAt: (deps.now?.() ?? new Date()).toISOString(),
    });
    await out.objects.put(manifestKey(result.version), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A training set's manifest, with the lineage tags derived from what went in and came out. */
export function trainingSetManifest(
  parts: Omit<TrainingSetManifest, 'featureService' | 'lineageTags'> & {
    readonly service: StoredObject<'featureService'>;
  },
): TrainingSetManifest {
  const { service, ...rest } = parts;
  return {
    featureService: { name: service.name, version: service.version },
    ...rest,
    lineageTags: {
      'mlops.lineage.training_set': `${parts.output.table}@${parts.output.version}`,
      'mlops.lineage.feature_service': `${service.name}@${service.version}`,
      'mlops.lineage.feature_views': parts.featureViews
        .map((view) => `${view.name}@${view.version}`)
        .join(','),
      'mlops.lineage.source_tables': parts.sourceTables
        .map((table) => `${table.table}@${table.version}`)
        .join(','),
      'mlops.features.columns': service.spec.resolved
        .map((feature) => featureColumn(feature.view, feature.feature))
        .join(','),
    },
  };
}

/** Reads the training-set rows back from Parquet with Delta column types for the output table. */
export async function readParquetRows(
  file: string,
): Promise<{ rows: Record<string, unknown>[]; columns: ColumnDefinition[] }> {
  const db = await openDuckDb();
  try {
    const result = await db.connection.runAndReadAll(`SELECT * FROM read_parquet(${quoteLiteral(file)})`);
    const types = result.columnTypes().map((type) => type.toString());
    const columns = result
      .columnNames()
      .map((name, index) => ({ name, type: deltaType(types[index] as string) }));
    return { rows: result.getRowObjectsJS() as Record<string, unknown>[], columns };
  } finally {
    db.close();
  }
}

const DELTA_TYPES: Readonly<Record<string, string>> = {
  VARCHAR: 'string',
  BIGINT: 'long',
  INTEGER: 'integer',
  SMALLINT: 'short',
  TINYINT: 'byte',
  DOUBLE: 'double',
  FLOAT: 'float',
  BOOLEAN: 'boolean',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
  'TIMESTAMP WITH TIME ZONE': 'timestamp',
};

function deltaType(duckdbType: string): string {
  const type = DELTA_TYPES[duckdbType];
  if (!type)
    throw new FeatureDataError(
      `a training-set column has type ${duckdbType}, which the lakehouse does not store`,
    );
  return type;
}
