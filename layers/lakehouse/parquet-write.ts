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
import { type CellValue, type DeltaType, decimalParts, type Row, type StructField } from './schema.ts';
import { compareValues, decimalByteLength, decimalToUnscaled } from './values.ts';

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
  const columnData: ColumnSource[] = fields.map((field) => ({
    name: field.name,
    data: columnValues(field, rows) as ColumnSource['data'],
    nullable: field.nullable,
  }));
  const buffer = parquetWriteBuffer({
    columnData,
    schema,
    rowGroupSize: options.rowGroupSize ?? 100_000,
    statistics: true,
    createdBy: 'mlops-kit lakehouse (hyparquet-writer)',
  });
  return { bytes: new Uint8Array(buffer), numRecords: rows.length, stats: computeStats(fields, rows) };
}

/** The `add.stats` JSON of rows: numRecords and per-column min, max and null count. */
export function computeStats(fields: readonly StructField[], rows: readonly Row[]): string {
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, number> = {};
  for (const field of fields) {
    let min: CellValue = null;
    let max: CellValue = null;
    let nulls = 0;
    const orderable = field.type !== 'binary' && field.type !== 'boolean' && typeof field.type === 'string';
    for (const row of rows) {
      const value = row[field.name];
      if (value === null || value === undefined) {
        nulls++;
        continue;
      }
      if (!orderable || (typeof value === 'number' && Number.isNaN(value))) continue;
      if (min === null || compareValues(value, min, field.type) < 0) min = value;
      if (max === null || compareValues(value, max, field.type) > 0) max = value;
    }
    nullCount[field.name] = nulls;
    if (min !== null) minValues[field.name] = statValue(min, field.type);
    if (max !== null) maxValues[field.name] = statValue(max, field.type);
  }
  return JSON.stringify(
    { numRecords: rows.length, minValues, maxValues, nullCount },
    (_key, value: unknown) => (typeof value === 'bigint' ? new RawNumber(value.toString()) : value),
  ).replace(/\{"raw":"(-?\d+(?:\.\d+)?)"\}/g, '$1');
}

/** JSON stats form of a value: dates `YYYY-MM-DD`, timestamps ISO with milliseconds, decimals as numbers. */
function statValue(value: CellValue, type: DeltaType): unknown {
  if (value instanceof Date) return type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString();
  if (decimalParts(type) && typeof value === 'string') return new RawNumber(value);
  return value;
}

/** A number written verbatim into JSON (bigints and decimals keep every digit). */
class RawNumber {
  constructor(readonly raw: string) {}
}
