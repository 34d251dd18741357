/**
 * Compaction without decoding. The small files of an optimize bin are read into Arrow record batches
 * by parquet-wasm and streamed into one new file, so their values never become JS values; the new
 * file's log statistics are merged from the bin's own, exactly (from the log's text, so longs and
 * decimals keep every digit).
 *
 * It applies when every file of the bin has the Arrow shape the kit writes for the table's current
 * schema, and complete statistics — the kit's own files. Anything else (other writers' physical
 * types such as INT96 timestamps, files that predate an added column, files without statistics)
 * returns `undefined`, and optimize decodes and re-encodes those rows instead.
 */
import type * as ParquetWasm from 'parquet-wasm/esm';
import type { AddFile } from './actions.ts';
import { mapLimit } from './log-files.ts';
import type { ObjectStore } from './object-store.ts';
import { encodeParquet, parquetWasm } from './parquet-engine.ts';
import { decimalParts, type StructField } from './schema.ts';
import { decimalToUnscaled, normaliseDecimal } from './values.ts';

/** Data files fetched at once. */
const FETCH_CONCURRENCY = 16;

export interface CompactedFile {
  readonly bytes: Uint8Array;
  readonly numRecords: number;
  /** The `add.stats` JSON of the new file. */
  readonly stats: string;
}

/**
 * One file holding the rows of `files` (data columns `fields`, in order), or `undefined` when the
 * bin needs the decoding path.
 */
export async function compactFiles(
  objects: ObjectStore,
  fields: readonly StructField[],
  files: readonly AddFile[],
  keyOf: (file: AddFile) => string,
  rowGroupSize: number,
): Promise<CompactedFile | undefined> {
  const stats = mergeFileStats(fields, files);
  if (!stats) return undefined;
  const wasm = await parquetWasm();
  // Loaded on use, like the encoder: functions that never write do not parse Arrow at cold start.
  const arrow = await import('./arrow-columns.ts');
  const expected = arrow.schemaSignature(arrow.toArrowBatch(fields, []).ipc);
  // Fetched in parallel (as many as the log reader keeps in flight), checked before any is decoded.
  const fetched = await mapLimit(files, FETCH_CONCURRENCY, async (file) => {
    const bytes = await objects.get(keyOf(file));
    if (!bytes) return undefined;
    try {
      const shape = arrow.schemaSignature(wasm.readSchema(bytes).intoIPCStream());
      return shape === expected ? bytes : undefined;
    } catch {
      return undefined; // not readable here: the decoding path reports it
    }
  });
  if (fetched.some((bytes) => bytes === undefined)) return undefined;
  const bodies = fetched as Uint8Array[];
  function* batches(): Generator<ParquetWasm.RecordBatch> {
    for (const [index, bytes] of bodies.entries()) {
      const table = wasm.readParquet(bytes);
      bodies[index] = new Uint8Array(0); // let the source bytes go as soon as they are decoded
      try {
        yield* table.recordBatches();
      } finally {
        table.free();
      }
    }
  }
  const bytes = await encodeParquet(batches(), { rowGroupSize, fields });
  return { bytes, numRecords: stats.numRecords, stats: stats.json };
}

// ---- statistics -----------------------------------------------------------------------------

/** A statistic as written in the log: its JSON source text and a comparable value. */
interface Bound {
  readonly source: string;
  readonly key: number | bigint | string;
}

interface ColumnAccumulator {
  nulls: number;
  /** `null` once some file has values in the column but no bound for them. */
  min: Bound | undefined | null;
  max: Bound | undefined | null;
}

/** Parses stats JSON keeping each number's source text (JSON.parse source access, Node ≥ 21). */
function parseWithSource(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text, function (
      this: unknown,
      _key: string,
      value: unknown,
      context?: { source?: string },
    ) {
      return typeof value === 'number' && context?.source !== undefined
        ? { number: value, source: context.source }
        : value;
    } as (key: string, value: unknown) => unknown) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The comparable key of a logged statistic for a column, or undefined when it cannot be ordered. */
function boundOf(field: StructField, raw: unknown): Bound | undefined {
  if (raw === null || raw === undefined) return undefined;
  const numeric =
    typeof raw === 'object' && raw !== null && 'source' in raw
      ? (raw as { number: number; source: string })
      : undefined;
  const decimal = decimalParts(field.type);
  if (decimal) {
    const text = numeric?.source ?? (typeof raw === 'string' ? raw : undefined);
    const canonical = text === undefined ? undefined : normaliseDecimal(text, decimal.scale);
    return canonical === undefined ? undefined : { source: canonical, key: decimalToUnscaled(canonical) };
  }
  switch (field.type) {
    case 'long':
      return numeric && /^-?\d+$/.test(numeric.source)
        ? { source: numeric.source, key: BigInt(numeric.source) }
        : undefined;
    case 'integer':
    case 'short':
    case 'byte':
    case 'double':
    case 'float':
      return numeric && !Number.isNaN(numeric.number)
        ? { source: numeric.source, key: numeric.number }
        : undefined;
    case 'date':
    case 'string':
      return typeof raw === 'string' ? { source: JSON.stringify(raw), key: raw } : undefined;
    case 'timestamp': {
      const time = typeof raw === 'string' ? new Date(raw).getTime() : Number.NaN;
      return Number.isNaN(time) ? undefined : { source: JSON.stringify(raw), key: time };
    }
    default:
      return undefined;
  }
}

/**
 * numRecords, per-column null counts and min/max over the files, as the new file's stats JSON; or
 * undefined when a file lacks numRecords or a column's null count (the rows must be decoded then).
 */
export function mergeFileStats(
  fields: readonly StructField[],
  files: readonly AddFile[],
): { numRecords: number; json: string } | undefined {
  let numRecords = 0;
  const columns = fields.map((): ColumnAccumulator => ({ nulls: 0, min: undefined, max: undefined }));
  for (const file of files) {
    const stats = file.stats ? parseWithSource(file.stats) : undefined;
    const records = (stats?.numRecords as { number?: number } | undefined)?.number;
    if (!stats || records === undefined) return undefined;
    numRecords += records;
    const nullCount = (stats.nullCount ?? {}) as Record<string, { number?: number } | undefined>;
    const minValues = (stats.minValues ?? {}) as Record<string, unknown>;
    const maxValues = (stats.maxValues ?? {}) as Record<string, unknown>;
    for (const [index, field] of fields.entries()) {
      const column = columns[index] as ColumnAccumulator;
      const nulls = nullCount[field.name]?.number;
      if (nulls === undefined) return undefined;
      column.nulls += nulls;
      if (nulls === records) continue; // all null here: no bounds to merge
      const min = boundOf(field, minValues[field.name]);
      const max = boundOf(field, maxValues[field.name]);
      column.min = min === undefined || column.min === null ? null : lower(column.min, min);
      column.max = max === undefined || column.max === null ? null : higher(column.max, max);
    }
  }
  const parts = (pick: (column: ColumnAccumulator) => Bound | undefined | null) =>
    fields
      .map((field, index) => {
        const bound = pick(columns[index] as ColumnAccumulator);
        return bound ? `${JSON.stringify(field.name)}:${bound.source}` : undefined;
      })
      .filter((part) => part !== undefined)
      .join(',');
  const nulls = fields.map(
    (field, index) => `${JSON.stringify(field.name)}:${(columns[index] as ColumnAccumulator).nulls}`,
  );
  const json = `{"numRecords":${numRecords},"minValues":{${parts((c) => c.min)}},"maxValues":{${parts((c) => c.max)}},"nullCount":{${nulls.join(',')}}}`;
  return { numRecords, json };
}

function lower(current: Bound | undefined, next: Bound): Bound {
  return current === undefined || next.key < current.key ? next : current;
}

function higher(current: Bound | undefined, next: Bound): Bound {
  return current === undefined || next.key > current.key ? next : current;
}
