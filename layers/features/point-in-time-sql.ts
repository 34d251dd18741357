/**
 * The point-in-time join as SQL: one generator, two dialects (DuckDB locally, Athena in AWS).
 *
 * For every row of the entity table (join keys, an event time, labels) and every feature view, the
 * result carries the view's features from the source row that is the latest for the row's keys
 * with `event time <= row time`, the latest meaning the greatest (event time, created time); when
 * that row's event time is not newer than `row time - ttl` (or there is no such row) the features
 * are NULL. A later-arriving row never leaks into an earlier entity row, whatever order the rows
 * were written in.
 *
 * The join is computed without a range join, so it stays O(n log n) in both engines:
 *
 *   source rows ─ rank r by (event time, created time) per key ─┐
 *   entity rows (r = NULL) ─────────────────────────────────────┴─ UNION ALL
 *       ─ per key, ordered by (time, entity rows after source rows at the same time):
 *         running MAX(r)  →  for an entity row, the rank of the latest source row with time <= its time
 *       ─ join back to the source row with that rank, keeping it only if newer than time - ttl
 *
 * The running maximum is the latest source row because ranks grow with (event time, created time)
 * and every source row with time <= T sorts before the entity row at T. Rows tied on both times
 * get neighbouring ranks, so either evaluation of the rank picks a row of the tied group.
 *
 * The SQL uses only what DuckDB and Trino (Athena engine 3) share: CTEs, UNION ALL, ROW_NUMBER and
 * MAX window functions with ROWS frames, CAST, `INTERVAL '<n>' SECOND` and double-quoted
 * identifiers. Only the relations the SQL reads and the statement that writes the result differ.
 */
import type { FeatureType, JoinKey, JoinKeyType } from './definitions.ts';
import { FeatureDataError } from './errors.ts';

export type SqlDialect = 'duckdb' | 'athena';

export interface EntityRelation {
  /** A SQL relation: `read_parquet([...])`, `"db"."entities"`. */
  readonly relation: string;
  /** Every column of the entity table, in order; join keys and the time column are cast. */
  readonly columns: readonly string[];
  readonly timestampColumn: string;
}

export interface ViewRelation {
  readonly name: string;
  readonly relation: string;
  readonly joinKeys: readonly JoinKey[];
  readonly eventTimeColumn: string;
  readonly createdTimeColumn?: string;
  /** Seconds; 0 = no limit. */
  readonly ttlSeconds: number;
  /** Source column and output column of each feature, in the order of the output. */
  readonly features: readonly {
    readonly name: string;
    readonly type: FeatureType;
    readonly column: string;
  }[];
}

export interface PointInTimeQuery {
  readonly entities: EntityRelation;
  readonly views: readonly ViewRelation[];
}

/** Quotes an identifier the way both dialects accept it. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted SQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const KEY_SQL_TYPE: Record<JoinKeyType, string> = { string: 'VARCHAR', int64: 'BIGINT' };

/** The SQL type of each feature type, the same in both dialects. */
export const FEATURE_SQL_TYPE: Record<FeatureType, string> = {
  string: 'VARCHAR',
  int64: 'BIGINT',
  int32: 'INTEGER',
  float64: 'DOUBLE',
  float32: 'REAL',
  bool: 'BOOLEAN',
};

/**
 * An empty relation with a view's columns, for a source table that has no data files yet
 * (DuckDB cannot read an empty file list).
 */
export function emptyViewRelation(view: Omit<ViewRelation, 'relation'>): string {
  const q = quoteIdentifier;
  const columns = [
    ...view.joinKeys.map((key) => `CAST(NULL AS ${KEY_SQL_TYPE[key.type]}) AS ${q(key.name)}`),
    `CAST(NULL AS TIMESTAMP) AS ${q(view.eventTimeColumn)}`,
    ...(view.createdTimeColumn ? [`CAST(NULL AS TIMESTAMP) AS ${q(view.createdTimeColumn)}`] : []),
    ...view.features.map(
      (feature) => `CAST(NULL AS ${FEATURE_SQL_TYPE[feature.type]}) AS ${q(feature.name)}`,
    ),
  ];
  return `(SELECT ${columns.join(', ')} WHERE 1 = 0)`;
}

/** The SELECT producing the training set: the entity columns, then each view's features. */
export function pointInTimeSelect(query: PointInTimeQuery): string {
  const q = quoteIdentifier;
  const { entities, views } = query;
  const keyTypes = new Map<string, JoinKeyType>();
  for (const view of views) for (const key of view.joinKeys) keyTypes.set(key.name, key.type);
  for (const key of keyTypes.keys()) {
    if (!entities.columns.includes(key))
      throw new FeatureDataError(`the entity table has no join key column '${key}'`);
  }
  if (!entities.columns.includes(entities.timestampColumn)) {
    throw new FeatureDataError(`the entity table has no time column '${entities.timestampColumn}'`);
  }
  const entityColumns = entities.columns.map((column) => {
    const keyType = keyTypes.get(column);
    if (keyType) return `CAST(${q(column)} AS ${KEY_SQL_TYPE[keyType]}) AS ${q(column)}`;
    if (column === entities.timestampColumn) return `CAST(${q(column)} AS TIMESTAMP) AS ${q(column)}`;
    return q(column);
  });
  const ctes: string[] = [
    `"entity_rows" AS (\n  SELECT ${entityColumns.join(', ')}, ROW_NUMBER() OVER () AS "__row_id"\n  FROM ${entities.relation}\n)`,
  ];
  const rowTime = q(entities.timestampColumn);
  const joins: string[] = [];
  const outputs: string[] = entities.columns.map((column) => `"e".${q(column)}`);

  views.forEach((view, index) => {
    const keys = view.joinKeys.map((key) => q(key.name));
    const source = `"v${index}_source"`;
    const created = view.createdTimeColumn ? q(view.createdTimeColumn) : undefined;
    const rankOrder = [q(view.eventTimeColumn), ...(created ? [created] : [])].join(', ');
    const keyCasts = view.joinKeys.map(
      (key) => `CAST(${q(key.name)} AS ${KEY_SQL_TYPE[key.type]}) AS ${q(key.name)}`,
    );
    const featureColumns = view.features.map((feature) => `${q(feature.name)} AS ${q(feature.column)}`);
    ctes.push(
      `${source} AS (\n  SELECT ${keyCasts.join(', ')}, CAST(${q(view.eventTimeColumn)} AS TIMESTAMP) AS "__event_time", ${featureColumns.join(', ')},\n` +
        `    ROW_NUMBER() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${rankOrder}) AS "__rank"\n` +
        `  FROM ${view.relation}\n  WHERE ${q(view.eventTimeColumn)} IS NOT NULL\n)`,
      `"v${index}_timeline" AS (\n  SELECT ${keys.join(', ')}, ${rowTime} AS "__time", 1 AS "__is_entity", "__row_id", CAST(NULL AS BIGINT) AS "__rank"\n` +
        `  FROM "entity_rows"\n  WHERE ${[rowTime, ...keys].map((column) => `${column} IS NOT NULL`).join(' AND ')}\n` +
        `  UNION ALL\n` +
        `  SELECT ${keys.join(', ')}, "__event_time", 0, CAST(NULL AS BIGINT), "__rank"\n  FROM ${source}\n)`,
      `"v${index}_latest" AS (\n  SELECT "__row_id", "__is_entity", MAX("__rank") OVER (\n` +
        `    PARTITION BY ${keys.join(', ')} ORDER BY "__time", "__is_entity"\n` +
        `    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "__rank"\n  FROM "v${index}_timeline"\n)`,
    );
    const ttl =
      view.ttlSeconds > 0
        ? ` AND "s${index}"."__event_time" > "e".${rowTime} - INTERVAL '${view.ttlSeconds}' SECOND`
        : '';
    joins.push(
      `LEFT JOIN "v${index}_latest" AS "l${index}" ON "l${index}"."__row_id" = "e"."__row_id" AND "l${index}"."__is_entity" = 1`,
      `LEFT JOIN ${source} AS "s${index}" ON ${view.joinKeys
        .map((key) => `"s${index}".${q(key.name)} = "e".${q(key.name)}`)
        .join(' AND ')} AND "s${index}"."__rank" = "l${index}"."__rank"${ttl}`,
    );
    outputs.push(...view.features.map((feature) => `"s${index}".${q(feature.column)}`));
  });

  return (
    `WITH\n${ctes.join(',\n')}\n` +
    `SELECT ${outputs.join(',\n  ')}\nFROM "entity_rows" AS "e"\n${joins.join('\n')}\nORDER BY "e"."__row_id"`
  );
}

/** The statement writing the training set as Parquet: DuckDB `COPY ... TO`, Athena `UNLOAD ... TO`. */
export function pointInTimeStatement(
  query: PointInTimeQuery,
  dialect: SqlDialect,
  destination: string,
): string {
  const select = pointInTimeSelect(query);
  if (dialect === 'duckdb') {
    return `COPY (\n${select}\n) TO ${quoteLiteral(destination)} (FORMAT PARQUET, COMPRESSION SNAPPY)`;
  }
  if (!/^s3:\/\/[^/]+\/.+\/$/.test(destination)) {
    throw new Error(
      `an Athena UNLOAD destination must be an s3://bucket/prefix/ ending in /, got ${destination}`,
    );
  }
  // UNLOAD writes Parquet files under the prefix without creating a catalog table; the files are
  // then committed to the training-set Delta table.
  return `UNLOAD (\n${select}\n) TO ${quoteLiteral(destination)} WITH (format = 'PARQUET', compression = 'SNAPPY')`;
}

/** `read_parquet([...])` over local files (DuckDB), or an Athena table reference. */
export function relationFor(
  dialect: SqlDialect,
  source: { files?: readonly string[]; hivePartitioned?: boolean; table?: string; database?: string },
): string {
  if (dialect === 'duckdb') {
    if (!source.files || source.files.length === 0)
      throw new Error('a DuckDB relation needs at least one file');
    // Partition columns of a Delta table live only in the `col=value/` directories of its files.
    const hive = source.hivePartitioned ? ', hive_partitioning = true' : '';
    return `read_parquet([${source.files.map(quoteLiteral).join(', ')}]${hive})`;
  }
  if (!source.table) throw new Error('an Athena relation needs a table name');
  return source.database
    ? `${quoteIdentifier(source.database)}.${quoteIdentifier(source.table)}`
    : quoteIdentifier(source.table);
}
