/**
 * The local executor of the point-in-time SQL: DuckDB over local Parquet (and CSV) files — the
 * lakehouse snapshot files downloaded to a temporary directory. DuckDB runs offline here: known
 * extensions are never auto-installed (httpfs and delta are not available), so every input is a
 * local file, and the session time zone is UTC so that zoned and plain timestamps compare alike.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ResolvedFeature } from './definitions.ts';
import { FeatureDataError } from './errors.ts';
import {
  emptyViewRelation,
  type PointInTimeQuery,
  pointInTimeStatement,
  quoteLiteral,
  relationFor,
  type ViewRelation,
} from './point-in-time-sql.ts';
import type { ViewSpec } from './registry-store.ts';

/** Opens an in-memory DuckDB connection configured for offline use. */
export async function openDuckDb(options: { threads?: number } = {}): Promise<{
  connection: DuckDBConnection;
  close(): void;
}> {
  // Loaded on use: Lambda bundles leave the native binary out unless the function installs it.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run("SET autoinstall_known_extensions = false; SET TimeZone = 'UTC'");
  if (options.threads) await connection.run(`SET threads = ${options.threads}`);
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

export interface LocalEntityTable {
  readonly files: readonly string[];
  readonly format: 'parquet' | 'csv';
  /** @default 'event_timestamp' */
  readonly timestampColumn?: string;
}

export interface LocalViewSource {
  readonly spec: Pick<ViewSpec, 'name' | 'joinKeys' | 'source' | 'ttl'>;
  /** The current snapshot's data files, downloaded. */
  readonly files: readonly string[];
  /** The service's features of this view, in output order. */
  readonly features: readonly ResolvedFeature[];
  /** Whether the files sit in `col=value/` partition directories. @default false */
  readonly hivePartitioned?: boolean;
}

/** A DuckDB relation over an entity table's local files. */
export function entityRelation(table: LocalEntityTable): string {
  if (table.files.length === 0) throw new FeatureDataError('the entity table has no data files');
  const files = `[${table.files.map(quoteLiteral).join(', ')}]`;
  return table.format === 'csv' ? `read_csv(${files}, header = true)` : `read_parquet(${files})`;
}

/** The point-in-time query over local files, as DuckDB runs it. */
export async function localPointInTimeQuery(
  connection: DuckDBConnection,
  entities: LocalEntityTable,
  views: readonly LocalViewSource[],
): Promise<PointInTimeQuery> {
  const relation = entityRelation(entities);
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  const columns = described.getRowObjectsJS().map((row) => String(row.column_name));
  return {
    entities: { relation, columns, timestampColumn: entities.timestampColumn ?? 'event_timestamp' },
    views: views.map((view) => viewRelation(view)),
  };
}

function viewRelation(view: LocalViewSource): ViewRelation {
  const base: Omit<ViewRelation, 'relation'> = {
    name: view.spec.name,
    joinKeys: view.spec.joinKeys,
    eventTimeColumn: view.spec.source.eventTimeColumn,
    ...(view.spec.source.createdTimeColumn ? { createdTimeColumn: view.spec.source.createdTimeColumn } : {}),
    ttlSeconds: view.spec.ttl,
    features: view.features.map((feature) => ({
      name: feature.feature,
      type: feature.type,
      column: feature.column,
    })),
  };
  return {
    ...base,
    relation:
      view.files.length === 0
        ? emptyViewRelation(base)
        : relationFor('duckdb', { files: view.files, hivePartitioned: view.hivePartitioned ?? false }),
  };
}

/** Runs the point-in-time join over local files and writes the result to a Parquet file. */
export async function writeTrainingSetParquet(
  entities: LocalEntityTable,
  views: readonly LocalViewSource[],
  outFile: string,
): Promise<{ rows: number; columns: string[] }> {
  const db = await openDuckDb();
  try {
    const query = await localPointInTimeQuery(db.connection, entities, views);
    await db.connection.run(pointInTimeStatement(query, 'duckdb', outFile));
    const counted = await db.connection.runAndReadAll(
      `SELECT COUNT(*) AS n FROM read_parquet(${quoteLiteral(outFile)})`,
    );
    const described = await db.connection.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(outFile)})`,
    );
    return {
      rows: Number(counted.getRowObjectsJS()[0]?.n ?? 0),
      columns: described.getRowObjectsJS().map((row) => String(row.column_name)),
    };
  } catch (error) {
    if (error instanceof FeatureDataError) throw error;
    throw translateDuckDbError(error);
  } finally {
    db.close();
  }
}

/** DuckDB's binder and conversion errors name the offending column; they are bad input, not bugs. */
function translateDuckDbError(error: unknown): unknown {
  const message = (error as Error).message ?? '';
  if (/Binder Error|Conversion Error|Invalid Input Error/.test(message)) {
    return new FeatureDataError(`the data does not fit the feature definitions: ${message.split('\n')[0]}`, {
      cause: error,
    });
  }
  return error;
}
