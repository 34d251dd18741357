/**
 * Rows → one Parquet data file, with the Delta→Parquet type mapping of PROTOCOL.md ("Physical
 * Type Mapping") and the per-file `stats` JSON of the add action.
 *
 * `short`/`byte` carry only the legacy INT_16/INT_8 annotation: hyparquet-writer encodes the
 * IntType logical type's bitWidth with the wrong Thrift type, which DuckDB rejects.
 *
 * Every Parquet schema element is given explicitly: hyparquet-writer's default TIMESTAMP is
 * milliseconds, Delta's `timestamp` must be INT64 TIMESTAMP(isAdjustedToUTC, MICROS). Decimals
 * use INT32 up to precision 9, INT64 up to 18 and FIXED_LEN_BYTE_ARRAY above, as Spark does.
 * Statistics are written into the footer (every chunk's min/max/null_count) and, for the log,
 * computed from the values themselves so they are exact.
 */
import { type ColumnSource, parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import { type DeltaType, decimalParts, type Row, type StructField } from './schema.ts';
import { decimalByteLength, decimalToUnscaled, unscaledToDecimal } from './values.ts';

export interface WrittenFile {
  readonly bytes: Uint8Array;
  readonly numRecords: number;
  /** The `add.stats` JSON string. */
  readonly stats: string;
}

/** Parquet schema element of a Delta primitive column. */
export function parquetElement(field: StructField): SchemaElement {
  const repetition_type = field.nullable ? 'OPTIONAL' : 'REQUIRED';
  const base = { name: field.name, repetition_type } as const;
  const type = field.type as DeltaType;
  switch (type) {
    case 'string':
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'binary':
      return { ...base, type: 'BYTE_ARRAY' };
    case 'long':
      return { ...base, type: 'INT64' };
    case 'integer':
      return { ...base, type: 'INT32' };
    case 'short':
      return { ...base, type: 'INT32', converted_type: 'INT_16' };
    case 'byte':
      return { ...base, type: 'INT32', converted_type: 'INT_8' };
    case 'double':
      return { ...base, type: 'DOUBLE' };
    case 'float':
      return { ...base, type: 'FLOAT' };
    case 'boolean':
      return { ...base, type: 'BOOLEAN' };
    case 'date':
      return { ...base, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'timestamp':
      return {
        ...base,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      };
    default: {
      const decimal = decimalParts(type);
      if (!decimal) throw new Error(`cannot write column ${field.name} of type ${JSON.stringify(type)}`);
      const { precision, scale } = decimal;
      const physical =
        precision <= 9
          ? ({ type: 'INT32' } as const)
          : precision <= 18
            ? ({ type: 'INT64' } as const)
            : ({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalByteLength(precision) } as const);
      return {
        ...base,
        ...physical,
        converted_type: 'DECIMAL',
        scale,
        precision,
        logical_type: { type: 'DECIMAL', scale, precision },
      };
    }
  }
}

/** Column values as hyparquet-writer takes them for an element (decimals as unscaled bigints). */
function columnValues(field: StructField, rows: readonly Row[]): unknown[] {
  const out = new Array<unknown>(rows.length);
  const decimal = decimalParts(field.type);
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Row)[field.name];
    if (value === null || value === undefined) out[i] = null;
    else if (decimal) out[i] = decimalToUnscaled(value as string);
    else if (field.type === 'timestamp') out[i] = BigInt((value as Date).getTime()) * 1000n;
    else out[i] = value;
  }
  return out;
}

export interface WriteParquetOptions {
  /** Rows per row group. @default 100_000 */
  readonly rowGroupSize?: number;
}

/** Writes rows (already coerced to the schema) of the given data columns as one Parquet file. */
export function writeParquetFile(
  fields: readonly StructField[],
  rows: readonly Row[],
  options: WriteParquetOptions = {},
): WrittenFile {
  const elements = fields.map(parquetElement);
  const schema: SchemaElement[] = [{ name: 'spark_schema', num_children: fields.length }, ...elements];
  const columns = fields.map((field) => columnValues(field, rows));
  const columnData: ColumnSource[] = fields.map((field, index) => ({
    name: field.name,
    data: columns[index] as ColumnSource['data'],
    nullable: field.nullable,
    // Mostly-unique columns: trying a dictionary first costs more than it saves.
    ...(field.type === 'long' || field.type === 'timestamp' ? { encoding: 'PLAIN' as const } : {}),
  }));
  const buffer = parquetWriteBuffer({
    columnData,
    schema,
    rowGroupSize: options.rowGroupSize ?? 100_000,
    statistics: true,
    createdBy: 'mlops-kit lakehouse (hyparquet-writer)',
  });
  const stats = statsJson(
    rows.length,
    fields.map((field, index) => columnStats(field, columns[index] as unknown[])),
  );
  return { bytes: new Uint8Array(buffer), numRecords: rows.length, stats };
}

interface ColumnStats {
  readonly name: string;
  readonly nulls: number;
  readonly min?: unknown;
  readonly max?: unknown;
}

/**
 * Min, max and null count of a column in its Parquet form (numbers, bigints for long, timestamp
 * micros and decimal unscaled values, strings, Dates for dates), compared natively: the values of
 * one column all have one JS type, so `<` orders them as Parquet does.
 */
function columnStats(field: StructField, values: readonly unknown[]): ColumnStats {
  let nulls = 0;
  let min: unknown;
  let max: unknown;
  const orderable = field.type !== 'binary' && field.type !== 'boolean' && typeof field.type === 'string';
  const isDate = field.type === 'date';
  for (const value of values) {
    if (value === null || value === undefined) {
      nulls++;
      continue;
    }
    if (!orderable) continue;
    const key = isDate ? (value as Date).getTime() : value;
    if (typeof key === 'number' && Number.isNaN(key)) continue;
    if (min === undefined || (key as number) < (min as number)) min = key;
    if (max === undefined || (key as number) > (max as number)) max = key;
  }
  if (min === undefined) return { name: field.name, nulls };
  return { name: field.name, nulls, min: statValue(min, field.type), max: statValue(max, field.type) };
}

/** The `add.stats` JSON of rows: numRecords and per-column min, max and null count. */
export function computeStats(fields: readonly StructField[], rows: readonly Row[]): string {
  return statsJson(
    rows.length,
    fields.map((field) => columnStats(field, columnValues(field, rows))),
  );
}

function statsJson(numRecords: number, columns: readonly ColumnStats[]): string {
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, number> = {};
  for (const column of columns) {
    nullCount[column.name] = column.nulls;
    if (column.min !== undefined) minValues[column.name] = column.min;
    if (column.max !== undefined) maxValues[column.name] = column.max;
  }
  return JSON.stringify({ numRecords, minValues, maxValues, nullCount }, (_key, value: unknown) =>
    typeof value === 'bigint' ? new RawNumber(value.toString()) : value,
  ).replace(/\{"raw":"(-?\d+(?:\.\d+)?)"\}/g, '$1');
}

/**
 * JSON stats form of a Parquet-form value: dates `YYYY-MM-DD`, timestamps ISO with milliseconds,
 * decimals as exact numbers, longs as exact integers.
 */
function statValue(value: unknown, type: DeltaType): unknown {
  if (type === 'date') return new Date(value as number).toISOString().slice(0, 10);
  if (type === 'timestamp') return new Date(Number((value as bigint) / 1000n)).toISOString();
  const decimal = decimalParts(type);
  if (decimal) return new RawNumber(unscaledToDecimal(value as bigint, decimal.scale));
  return value;
}

/** A number written verbatim into JSON (bigints and decimals keep every digit). */
class RawNumber {
  constructor(readonly raw: string) {}
}
