/**
 * Athena's local stand-in: DuckDB over the current snapshots of the catalog's tables, exposed under
 * the same `<database>.<table>` names as in Glue. DuckDB cannot read S3 offline, so the live data
 * files of each table the SQL mentions are copied to a temporary folder; partition values (not in
 * the files) are added as typed literal columns, and files written before an additive schema change
 * get the newer columns as nulls (`union_by_name`).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidParameterError } from '../runtime/errors.ts';
import type { CatalogEntry } from './catalog.ts';
import { type LakehouseContext, openTable } from './location.ts';
import { mapLimit } from './log-files.ts';
import { typedPartitionValues } from './scan.ts';
import { type CellValue, type DeltaType, decimalParts, type Row } from './schema.ts';
import { fileKey, loadSnapshot } from './snapshot.ts';

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly Row[];
}

/** The DuckDB SQL type of a Delta type. */
export function duckDbType(type: DeltaType): string {
  const decimal = decimalParts(type);
  if (decimal) return `DECIMAL(${decimal.precision},${decimal.scale})`;
  const map: Record<string, string> = {
    string: 'VARCHAR',
    long: 'BIGINT',
    integer: 'INTEGER',
    short: 'SMALLINT',
    byte: 'TINYINT',
    double: 'DOUBLE',
    float: 'FLOAT',
    boolean: 'BOOLEAN',
    date: 'DATE',
    timestamp: 'TIMESTAMPTZ',
    binary: 'BLOB',
  };
  return typeof type === 'string' ? (map[type] ?? 'VARCHAR') : 'JSON';
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteText = (text: string) => `'${text.replaceAll("'", "''")}'`;

function literal(value: CellValue, type: DeltaType): string {
  if (value === null || value === undefined) return `CAST(NULL AS ${duckDbType(type)})`;
  if (value instanceof Date)
    return `CAST(${quoteText(type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString())} AS ${duckDbType(type)})`;
  if (value instanceof Uint8Array) return `from_hex(${quoteText(Buffer.from(value).toString('hex'))})`;
  return `CAST(${quoteText(String(value))} AS ${duckDbType(type)})`;
}

/** Tables of the catalog whose `<database>.<table>` name appears in the SQL. */
export function referencedTables(sql: string, catalog: readonly CatalogEntry[]): CatalogEntry[] {
  const lower = sql.toLowerCase();
  return catalog.filter((entry) => {
    const name = `${entry.database}.${entry.table}`;
    return (
      new RegExp(`(^|[^a-z0-9_])"?${entry.database}"?\\s*\\.\\s*"?${entry.table}"?($|[^a-z0-9_])`).test(
        lower,
      ) || lower.includes(name)
    );
  });
}

/** Runs SQL in DuckDB over the current snapshots of the catalog's tables. */
export async function runLocalQuery(
  context: LakehouseContext,
  catalog: readonly CatalogEntry[],
  sql: string,
): Promise<QueryResult> {
  if (sql.trim() === '') throw new InvalidParameterError('the query is empty');
  const dir = await mkdtemp(join(tmpdir(), 'mlops-query-'));
  // Loaded on use: Lambda bundles leave the native binary out unless the function installs it.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    // Offline: fail fast instead of trying to download an extension.
    await connection.run('SET autoinstall_known_extensions = false');
    await connection.run("SET TimeZone = 'UTC'");
    for (const database of new Set(catalog.map((entry) => entry.database))) {
      await connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(database)}`);
    }
    for (const [index, entry] of referencedTables(sql, catalog).entries()) {
      await connection.run(await viewSql(context, entry, join(dir, String(index))));
    }
    let result: Awaited<ReturnType<typeof connection.runAndReadAll>>;
    try {
      result = await connection.runAndReadAll(sql);
    } catch (error) {
      throw new InvalidParameterError(`query failed: ${(error as Error).message}`, { cause: error });
    }
    return { columns: result.columnNames(), rows: result.getRowObjectsJS() as Row[] };
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

async function viewSql(context: LakehouseContext, entry: CatalogEntry, dir: string): Promise<string> {
  const table = openTable({ ...context, bucket: undefined } as LakehouseContext, entry.location);
  const snapshot = await loadSnapshot(table);
  const partitions = snapshot.metadata.partitionColumns;
  const fields = snapshot.schema.fields;
  const name = `${quoteIdent(entry.database)}.${quoteIdent(entry.table)}`;
  if (snapshot.files.length === 0) {
    const empty = fields
      .map((f) => `CAST(NULL AS ${duckDbType(f.type)}) AS ${quoteIdent(f.name)}`)
      .join(', ');
    return `CREATE VIEW ${name} AS SELECT ${empty} WHERE false`;
  }
  await mkdir(dir, { recursive: true });
  const selects = await mapLimit(
    snapshot.files.map((file, index) => ({ file, index })),
    8,
    async ({ file, index }) => {
      const bytes = await table.objects.get(fileKey(table.objects, file.path));
      if (!bytes) throw new InvalidParameterError(`data file ${file.path} of ${entry.location} is missing`);
      const path = join(dir, `${index}.parquet`);
      await writeFile(path, bytes);
      const values = typedPartitionValues(snapshot, file);
      const extra = partitions.map((column) => {
        const type = fields.find((f) => f.name === column)?.type ?? 'string';
        return `, ${literal(values[column] ?? null, type)} AS ${quoteIdent(column)}`;
      });
      return `SELECT *${extra.join('')} FROM read_parquet(${quoteText(path)})`;
    },
  );
  const casts = fields
    .map((f) => `CAST(${quoteIdent(f.name)} AS ${duckDbType(f.type)}) AS ${quoteIdent(f.name)}`)
    .join(', ');
  const empty = fields.map((f) => `CAST(NULL AS ${duckDbType(f.type)}) AS ${quoteIdent(f.name)}`).join(', ');
  // The typed empty row first fixes every column (also those absent from older files).
  const union = [`SELECT ${empty} WHERE false`, ...selects].join(' UNION ALL BY NAME ');
  return `CREATE VIEW ${name} AS SELECT ${casts} FROM (${union})`;
}
