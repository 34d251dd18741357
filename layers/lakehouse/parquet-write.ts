/**
 * Rows → one Parquet data file, with the Delta→Parquet type mapping of PROTOCOL.md ("Physical
 * Type Mapping", see `arrow-columns.ts`) and the per-file `stats` JSON of the add action.
 *
 * The rows become Arrow columns (`arrow-columns.ts`), which parquet-wasm encodes
 * (`parquet-engine.ts`): snappy, statistics in the footer for every column chunk, dictionaries
 * for strings and binaries. The log's statistics are taken from the values themselves, so they are
 * exact.
 */
import { type ColumnStats, toArrowBatch } from './arrow-columns.ts';
import { encodeParquet } from './parquet-engine.ts';
import type { Row, StructField } from './schema.ts';

export interface WrittenFile {
  readonly bytes: Uint8Array;
  readonly numRecords: number;
  /** The `add.stats` JSON string. */
  readonly stats: string;
}

export interface WriteParquetOptions {
  /** Rows per row group. @default 100_000 */
  readonly rowGroupSize?: number;
}

/** Writes rows (already coerced to the schema) of the given data columns as one Parquet file. */
export async function writeParquetFile(
  fields: readonly StructField[],
  rows: readonly Row[],
  options: WriteParquetOptions = {},
): Promise<WrittenFile> {
  const batch = toArrowBatch(fields, rows);
  const bytes = await encodeParquet(batch.ipc, {
    rowGroupSize: options.rowGroupSize ?? 100_000,
    dictionaryColumns: fields
      .filter((field) => field.type === 'string' || field.type === 'binary')
      .map((field) => field.name),
  });
  return { bytes, numRecords: rows.length, stats: statsJson(rows.length, batch.stats) };
}

/**
 * The `add.stats` JSON: numRecords and per-column min, max and null count. Longs and decimals are
 * written as bare JSON numbers with every digit.
 */
export function statsJson(numRecords: number, columns: readonly ColumnStats[]): string {
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, number> = {};
  for (const column of columns) {
    nullCount[column.name] = column.nulls;
    if (column.min !== undefined) minValues[column.name] = column.min;
    if (column.max !== undefined) maxValues[column.name] = column.max;
  }
  return JSON.stringify({ numRecords, minValues, maxValues, nullCount }, (_key, value: unknown) =>
    typeof value === 'bigint' ? { raw: value.toString() } : value,
  ).replace(/\{"(?:raw|decimal)":"(-?\d+(?:\.\d+)?)"\}/g, '$1');
}
