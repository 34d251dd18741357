/**
 * Rows → one Parquet data file, with the Delta→Parquet type mapping of PROTOCOL.md ("Physical
 * Type Mapping", see `arrow-columns.ts`) and the per-file `stats` JSON of the add action.
 *
 * The rows are turned into Arrow record batches one row group at a time (`arrow-columns.ts`) and
 * streamed through parquet-wasm's encoder (`parquet-engine.ts`): snappy, statistics in the footer
 * for every column chunk, dictionaries for strings and binaries. Only one row group's columns exist
 * at a time, which bounds the memory a large write needs beyond its input. The log's statistics are
 * taken from the values themselves, so they are exact.
 */

import type * as ParquetWasm from 'parquet-wasm/esm';
import type { ColumnStats, StatValue } from './arrow-columns.ts';
import { encodeParquet, parquetWasm, recordBatchFromIpc } from './parquet-engine.ts';
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
  const rowGroupSize = Math.max(1, options.rowGroupSize ?? 100_000);
  let stats: ColumnStats[] | undefined;
  const wasm = await parquetWasm();
  // Loaded on use, like the encoder: functions that never write do not parse Arrow at cold start.
  const { toArrowBatch } = await import('./arrow-columns.ts');
  function* batches(): Generator<ParquetWasm.RecordBatch> {
    for (let start = 0; start === 0 || start < rows.length; start += rowGroupSize) {
      const batch = toArrowBatch(fields, rows.slice(start, start + rowGroupSize));
      stats = stats
        ? stats.map((column, index) => mergeStats(column, batch.stats[index] as ColumnStats))
        : [...batch.stats];
      yield recordBatchFromIpc(wasm, batch.ipc);
    }
  }
  const bytes = await encodeParquet(batches(), { rowGroupSize, fields });
  return { bytes, numRecords: rows.length, stats: statsJson(fields, rows.length, stats ?? []) };
}

function compare(a: StatValue, b: StatValue): number {
  const left = typeof a === 'object' ? a.unscaled : a;
  const right = typeof b === 'object' ? b.unscaled : b;
  return left < right ? -1 : left > right ? 1 : 0;
}

function mergeStats(a: ColumnStats, b: ColumnStats): ColumnStats {
  const nulls = a.nulls + b.nulls;
  if (a.min === undefined || a.max === undefined) return { ...b, nulls };
  if (b.min === undefined || b.max === undefined) return { ...a, nulls };
  return {
    name: a.name,
    nulls,
    min: compare(b.min, a.min) < 0 ? b.min : a.min,
    max: compare(b.max, a.max) > 0 ? b.max : a.max,
  };
}

/** A bare JSON number with every digit (longs, decimals). */
class RawNumber {
  constructor(readonly raw: string) {}
}

/** The JSON stats form of a value: dates `YYYY-MM-DD`, timestamps ISO with milliseconds. */
function statJson(field: StructField, value: StatValue): unknown {
  if (typeof value === 'object') return new RawNumber(value.text);
  if (typeof value === 'bigint') return new RawNumber(value.toString());
  if (field.type === 'date') return new Date((value as number) * 86_400_000).toISOString().slice(0, 10);
  if (field.type === 'timestamp') return new Date(value as number).toISOString();
  return value;
}

/**
 * The `add.stats` JSON: numRecords and per-column min, max and null count. Longs and decimals are
 * written as bare JSON numbers with every digit.
 */
export function statsJson(
  fields: readonly StructField[],
  numRecords: number,
  columns: readonly ColumnStats[],
): string {
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, number> = {};
  columns.forEach((column, index) => {
    const field = fields[index] as StructField;
    nullCount[column.name] = column.nulls;
    if (column.min !== undefined) minValues[column.name] = statJson(field, column.min);
    if (column.max !== undefined) maxValues[column.name] = statJson(field, column.max);
  });
  return JSON.stringify({ numRecords, minValues, maxValues, nullCount }).replace(
    /\{"raw":"(-?\d+(?:\.\d+)?)"\}/g,
    '$1',
  );
}
