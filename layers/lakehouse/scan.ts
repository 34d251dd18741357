/**
 * Reading a snapshot: file skipping (partition values, then min/max/nullCount), projection, and
 * row streaming one row group at a time, so a scan holds at most one row group per file in memory.
 */

import { InvalidParameterError } from '../runtime/errors.ts';
import type { AddFile } from './actions.ts';
import { parseStats } from './actions.ts';
import { candidateRows } from './page-index.ts';
import { openParquetFile, type ParquetFile, readParquetColumns, readParquetRows } from './parquet-read.ts';
import {
  bindPredicate,
  evaluate,
  type FileFacts,
  mightMatch,
  type Predicate,
  parsePredicate,
  predicateColumns,
} from './predicate.ts';
import type { Row, StructField } from './schema.ts';
import { fileKey, loadSnapshot, type Snapshot, type SnapshotOptions, type TableHandle } from './snapshot.ts';
import { parsePartitionValue } from './values.ts';

export interface ScanOptions extends SnapshotOptions {
  /** Columns to return, in this order. @default all columns of the schema */
  readonly columns?: readonly string[];
  /** Rows to keep: a Predicate or its text form (`"country = 'FR' AND amount > 10"`). */
  readonly where?: Predicate | string;
  /** Stop after this many rows. */
  readonly limit?: number;
  /**
   * IANA time zone in which zone-less timestamp partition values are read (legacy Spark tables
   * wrote them in the session zone). @default 'UTC' (the kit writes UTC)
   */
  readonly partitionTimeZone?: string;
  /** Read from this snapshot instead of loading one. */
  readonly snapshot?: Snapshot;
}

/** What a scan planned: the snapshot and the files it will read after skipping. */
export interface ScanPlan {
  readonly snapshot: Snapshot;
  readonly files: readonly AddFile[];
  readonly skippedFiles: number;
  readonly columns: readonly StructField[];
  readonly predicate?: Predicate;
  readonly partitionTimeZone?: string;
}

/** Loads the snapshot, binds the predicate and drops the files that cannot match. */
export async function planScan(table: TableHandle, options: ScanOptions = {}): Promise<ScanPlan> {
  const snapshot = options.snapshot ?? (await loadSnapshot(table, options));
  const schema = snapshot.schema;
  const wanted = options.columns ?? schema.fields.map((field) => field.name);
  const columns = wanted.map((name) => {
    const field = schema.fields.find((f) => f.name === name);
    if (!field) {
      throw new InvalidParameterError(
        `unknown column "${name}" (columns: ${schema.fields.map((f) => f.name).join(', ')})`,
      );
    }
    return field;
  });
  const predicate =
    options.where === undefined
      ? undefined
      : bindPredicate(
          typeof options.where === 'string' ? parsePredicate(options.where) : options.where,
          schema,
        );
  const zone = options.partitionTimeZone;
  const files = predicate
    ? snapshot.files.filter((file) => mightMatch(predicate, fileFacts(snapshot, file, zone), schema))
    : snapshot.files;
  return {
    snapshot,
    files,
    skippedFiles: snapshot.files.length - files.length,
    columns,
    ...(predicate ? { predicate } : {}),
    ...(zone ? { partitionTimeZone: zone } : {}),
  };
}

/** The partition values (typed) and stats of a file. */
export function fileFacts(snapshot: Snapshot, file: AddFile, timeZone?: string): FileFacts {
  return { partitionValues: typedPartitionValues(snapshot, file, timeZone), stats: parseStats(file.stats) };
}

/** A file's partition values converted to the columns' types. */
export function typedPartitionValues(snapshot: Snapshot, file: AddFile, timeZone?: string): Row {
  const values: Row = {};
  for (const column of snapshot.metadata.partitionColumns) {
    const field = snapshot.schema.fields.find((f) => f.name === column);
    values[column] = parsePartitionValue(
      file.partitionValues?.[column],
      field?.type ?? 'string',
      column,
      timeZone,
    );
  }
  return values;
}

/**
 * Streams the matching rows in batches (one row group of one file at a time). Rows carry only the
 * requested columns.
 */
export async function* scanBatches(table: TableHandle, options: ScanOptions = {}): AsyncGenerator<Row[]> {
  const plan = await planScan(table, options);
  yield* scanPlanBatches(table, plan, options.limit);
}

/** Streams the rows of a plan (see scanBatches). */
export async function* scanPlanBatches(
  table: TableHandle,
  plan: ScanPlan,
  limit?: number,
): AsyncGenerator<Row[]> {
  const { snapshot, predicate } = plan;
  const partitionColumns = new Set(snapshot.metadata.partitionColumns);
  const needed = new Set(plan.columns.map((field) => field.name));
  if (predicate) for (const column of predicateColumns(predicate)) needed.add(column);
  const dataFields = snapshot.schema.fields.filter(
    (f) => needed.has(f.name) && !partitionColumns.has(f.name),
  );
  const project = plan.columns.map((field) => field.name);
  const partitionColumnList = [...partitionColumns];
  // Rows are rebuilt only when their key order or set differs from the projection.
  const natural = [
    ...snapshot.schema.fields
      .filter((f) => needed.has(f.name) && !partitionColumns.has(f.name))
      .map((f) => f.name),
    ...partitionColumnList,
  ];
  const reshape = natural.length !== project.length || natural.some((name, i) => name !== project[i]);
  const filtered = predicate ? predicateColumns(predicate) : new Set<string>();
  const filterFields = dataFields.filter((field) => filtered.has(field.name));
  const restFields = dataFields.filter((field) => !filtered.has(field.name));
  let remaining = limit ?? Number.POSITIVE_INFINITY;
  for (const file of plan.files) {
    if (remaining <= 0) return;
    const parquet = await openParquetFile(
      table.objects,
      fileKey(table.objects, file.path),
      file.size || undefined,
    );
    const partitionValues = typedPartitionValues(snapshot, file, plan.partitionTimeZone);
    const fileReshape = reshape || dataFields.some((field) => !parquet.columns.has(field.name));
    let groupStart = 0;
    for (const group of parquet.metadata.row_groups) {
      if (remaining <= 0) return;
      const groupRows = Number(group.num_rows);
      if (predicate && filterFields.length > 0 && restFields.length > 0) {
        // Late materialisation: the predicate's columns first, the others only for matching rows.
        const out = await readMatching(
          parquet,
          group,
          { predicate, schema: snapshot.schema, filterFields, restFields, partitionValues, project },
          groupStart,
          remaining,
        );
        groupStart += groupRows;
        remaining -= out.length;
        if (out.length > 0) yield out;
        continue;
      }
      const rows = await readParquetRows(parquet, dataFields, groupStart, groupStart + groupRows);
      groupStart += groupRows;
      const out: Row[] = [];
      for (const row of rows) {
        for (const column of partitionColumnList) row[column] = partitionValues[column] ?? null;
        if (predicate && !evaluate(predicate, row, snapshot.schema)) continue;
        if (fileReshape) {
          const projected: Row = {};
          for (const name of project) projected[name] = row[name] ?? null;
          out.push(projected);
        } else out.push(row);
        if (--remaining <= 0) break;
      }
      if (out.length > 0) yield out;
    }
  }
}

interface MatchContext {
  readonly predicate: Predicate;
  readonly schema: Snapshot['schema'];
  /** Data columns the predicate reads. */
  readonly filterFields: readonly StructField[];
  /** The other data columns to return. */
  readonly restFields: readonly StructField[];
  readonly partitionValues: Row;
  readonly project: readonly string[];
}

/**
 * The projected rows of the row group starting at row `start` that satisfy the predicate (at most
 * `limit`): the predicate's columns are decoded for the rows the page index cannot rule out, the
 * other columns only over the span of the matching rows, and only matching rows become objects.
 */
async function readMatching(
  parquet: ParquetFile,
  group: ParquetFile['metadata']['row_groups'][number],
  context: MatchContext,
  start: number,
  limit: number,
): Promise<Row[]> {
  const { predicate, schema, partitionValues, project } = context;
  const ranges = await candidateRows(parquet, group, start, {
    predicate,
    schema,
    fields: context.filterFields,
    partitionValues,
  });
  // One row object, refilled per row: the predicate sees a row, no row is allocated.
  const probe: Row = { ...partitionValues };
  const candidates = new Map<string, unknown[]>(context.filterFields.map((field) => [field.name, []]));
  const matches: number[] = [];
  for (const [rangeStart, rangeEnd] of ranges) {
    if (matches.length >= limit) break;
    const columns = [...(await readParquetColumns(parquet, context.filterFields, rangeStart, rangeEnd))];
    for (let offset = 0; offset < rangeEnd - rangeStart && matches.length < limit; offset++) {
      for (const [name, values] of columns) probe[name] = values[offset] as Row[string];
      if (!evaluate(predicate, probe, schema)) continue;
      matches.push(rangeStart + offset - start);
      for (const [name, values] of columns) candidates.get(name)?.push(values[offset]);
    }
  }
  if (matches.length === 0) return [];
  const first = matches[0] as number;
  const rest = await readParquetRows(
    parquet,
    context.restFields,
    start + first,
    start + (matches[matches.length - 1] as number) + 1,
  );
  return matches.map((index, position) => {
    const other = rest[index - first] as Row;
    const row: Row = {};
    for (const name of project) {
      const values = candidates.get(name);
      row[name] = ((values ? values[position] : name in other ? other[name] : partitionValues[name]) ??
        null) as Row[string];
    }
    return row;
  });
}

/** Streams matching rows one by one. */
export async function* scanRows(table: TableHandle, options: ScanOptions = {}): AsyncGenerator<Row> {
  for await (const batch of scanBatches(table, options)) yield* batch;
}

/** Reads the matching rows into memory, with the version they come from. */
export async function readTable(
  table: TableHandle,
  options: ScanOptions = {},
): Promise<{ version: number; rows: Row[]; schema: Snapshot['schema']; skippedFiles: number }> {
  const plan = await planScan(table, options);
  const rows: Row[] = [];
  for await (const batch of scanPlanBatches(table, plan, options.limit)) rows.push(...batch);
  return {
    version: plan.snapshot.version,
    rows,
    schema: plan.snapshot.schema,
    skippedFiles: plan.skippedFiles,
  };
}
