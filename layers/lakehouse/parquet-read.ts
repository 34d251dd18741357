/**
 * One Parquet data file → rows of the table's schema, read with hyparquet through an AsyncBuffer
 * over ranged reads, so only the footer and the selected column chunks are fetched.
 *
 * hyparquet turns DECIMAL into JS numbers, which loses digits; the kit wants exact decimal strings,
 * so the decimal columns' logical annotation is removed from the parsed footer before decoding and
 * the raw unscaled integers are converted here. Binary columns are kept as bytes (`utf8: false`).
 */
import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetReadObjects,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { CorruptTableError } from './errors.ts';
import type { ObjectStore } from './object-store.ts';
import { decimalParts, type Row, type StructField } from './schema.ts';
import { bytesToBigInt, unscaledToDecimal } from './values.ts';

/** An AsyncBuffer over an object: each slice is one ranged read, the footer read is cached. */
export function objectAsyncBuffer(store: ObjectStore, key: string, size: number): AsyncBuffer {
  const cache = new Map<string, Promise<ArrayBuffer>>();
  return {
    byteLength: size,
    slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end ?? size;
      const id = `${start}-${stop}`;
      let hit = cache.get(id);
      if (!hit) {
        hit = store.getRange(key, start, stop).then((bytes) => {
          const copy = new Uint8Array(bytes.byteLength);
          copy.set(bytes);
          return copy.buffer;
        });
        if (stop === size) cache.set(id, hit);
      }
      return hit;
    },
  };
}

export interface ParquetFile {
  readonly buffer: AsyncBuffer;
  readonly metadata: FileMetaData;
  /** Top-level column names present in the file. */
  readonly columns: ReadonlySet<string>;
  /** Decimal scale per top-level decimal column whose annotation was removed. */
  readonly decimalScales: ReadonlyMap<string, number>;
}

/** Opens a Parquet file: reads and prepares its footer. Throws CorruptTableError for non-Parquet. */
export async function openParquetFile(store: ObjectStore, key: string, size?: number): Promise<ParquetFile> {
  const length = size ?? (await store.head(key))?.size;
  if (length === undefined) throw new CorruptTableError(`data file ${key} is missing from ${store.root}`);
  const buffer = objectAsyncBuffer(store, key, length);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new CorruptTableError(
      `data file ${key} in ${store.root} is not valid Parquet: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const columns = new Set<string>();
  const decimalScales = new Map<string, number>();
  const schema = metadata.schema;
  let index = 1;
  const rootChildren = schema[0]?.num_children ?? 0;
  for (let child = 0; child < rootChildren; child++) {
    const element = schema[index];
    if (!element) break;
    columns.add(element.name);
    if (
      !element.num_children &&
      (element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL')
    ) {
      const scale =
        element.scale ?? (element.logical_type?.type === 'DECIMAL' ? element.logical_type.scale : 0);
      decimalScales.set(element.name, scale ?? 0);
      element.converted_type = undefined;
      element.logical_type = undefined;
    }
    index = skipElement(schema, index);
  }
  return { buffer, metadata, columns, decimalScales };
}

function skipElement(schema: FileMetaData['schema'], index: number): number {
  const children = schema[index]?.num_children ?? 0;
  let next = index + 1;
  for (let i = 0; i < children; i++) next = skipElement(schema, next);
  return next;
}

/**
 * Reads rows `[rowStart, rowEnd)` of the given fields (columns absent from the file read as null).
 * Values are converted to the kit's row representation (see schema.ts).
 */
export async function readParquetRows(
  file: ParquetFile,
  fields: readonly StructField[],
  rowStart?: number,
  rowEnd?: number,
): Promise<Row[]> {
  const present = fields.filter((field) => file.columns.has(field.name));
  let raw: Record<string, unknown>[] = [];
  const total = Number(file.metadata.num_rows);
  const start = rowStart ?? 0;
  const end = Math.min(rowEnd ?? total, total);
  if (present.length > 0) {
    try {
      raw = (await parquetReadObjects({
        file: file.buffer,
        metadata: file.metadata,
        columns: present.map((field) => field.name),
        rowStart: start,
        rowEnd: end,
        utf8: false,
        compressors,
      })) as Record<string, unknown>[];
    } catch (error) {
      throw new CorruptTableError(`cannot decode Parquet data: ${(error as Error).message}`, {
        cause: error,
      });
    }
  } else {
    raw = Array.from({ length: Math.max(0, end - start) }, () => ({}));
  }
  // Records are fresh objects holding exactly the present columns: convert them in place.
  const converted = fields
    .map((field) => ({ name: field.name, convert: converter(file, field) }))
    .filter((entry) => entry.convert !== undefined) as {
    name: string;
    convert: (value: unknown) => unknown;
  }[];
  const absent = fields.filter((field) => !file.columns.has(field.name)).map((field) => field.name);
  for (const record of raw) {
    for (const { name, convert } of converted) record[name] = convert(record[name]);
    for (const name of absent) record[name] = null;
  }
  return raw as Row[];
}

/**
 * Reads rows `[rowStart, rowEnd)` of the given fields column by column: one array of converted
 * values per field (absent columns are all null), no row objects.
 */
export async function readParquetColumns(
  file: ParquetFile,
  fields: readonly StructField[],
  rowStart: number,
  rowEnd: number,
): Promise<Map<string, unknown[]>> {
  const length = Math.max(0, rowEnd - rowStart);
  const out = new Map<string, unknown[]>();
  const present = fields.filter((field) => file.columns.has(field.name));
  for (const field of fields) out.set(field.name, new Array<unknown>(length).fill(null));
  if (present.length > 0) {
    try {
      await parquetRead({
        file: file.buffer,
        metadata: file.metadata,
        columns: present.map((field) => field.name),
        rowStart,
        rowEnd,
        utf8: false,
        compressors,
        onChunk: ({ columnName, columnData, rowStart: chunkStart }) => {
          const target = out.get(columnName);
          if (!target) return;
          const from = Math.max(0, rowStart - chunkStart);
          const to = Math.min(columnData.length, rowEnd - chunkStart);
          for (let i = from; i < to; i++) target[chunkStart + i - rowStart] = columnData[i];
        },
      });
    } catch (error) {
      throw new CorruptTableError(`cannot decode Parquet data: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  for (const field of present) {
    const convert = converter(file, field);
    const values = out.get(field.name) as unknown[];
    for (let i = 0; i < values.length; i++) values[i] = convert ? convert(values[i]) : (values[i] ?? null);
  }
  return out;
}

/** The conversion of a column's decoded values, or undefined when they are already right. */
function converter(file: ParquetFile, field: StructField): ((value: unknown) => unknown) | undefined {
  if (!file.columns.has(field.name)) return undefined;
  const scale = file.decimalScales.get(field.name);
  const decimal = decimalParts(field.type);
  if (scale !== undefined) {
    const target = decimal?.scale ?? scale;
    return (value) => {
      if (value === null || value === undefined) return null;
      const unscaled =
        value instanceof Uint8Array
          ? bytesToBigInt(value)
          : typeof value === 'bigint'
            ? value
            : BigInt(value as number);
      if (target === scale) return unscaledToDecimal(unscaled, target);
      const scaled =
        target > scale ? unscaled * 10n ** BigInt(target - scale) : unscaled / 10n ** BigInt(scale - target);
      return unscaledToDecimal(scaled, target);
    };
  }
  switch (field.type) {
    case 'long':
      return (value) =>
        typeof value === 'bigint'
          ? value
          : value === null || value === undefined
            ? null
            : BigInt(value as number);
    case 'integer':
    case 'short':
    case 'byte':
      return (value) =>
        typeof value === 'number' ? value : value === null || value === undefined ? null : Number(value);
    case 'string':
      return (value) =>
        value === null || value === undefined
          ? null
          : value instanceof Uint8Array
            ? new TextDecoder().decode(value)
            : value;
    default:
      return (value) => (value === undefined ? null : value);
  }
}

/**
 * The Delta schema of a Parquet file's top-level primitive columns (for loading a Parquet file
 * into a table). Nested columns are refused with the column named.
 */
export function parquetFileFields(file: ParquetFile): StructField[] {
  const schema = file.metadata.schema;
  const fields: StructField[] = [];
  let index = 1;
  for (let child = 0; child < (schema[0]?.num_children ?? 0); child++) {
    const element = schema[index];
    if (!element) break;
    if (element.num_children) {
      throw new CorruptTableError(
        `column "${element.name}" of the Parquet input is nested; only flat columns load`,
      );
    }
    const scale = file.decimalScales.get(element.name);
    let type: string;
    if (scale !== undefined) type = `decimal(${element.precision ?? 38},${scale})`;
    else {
      const ctype = element.converted_type;
      const ltype = element.logical_type;
      switch (element.type) {
        case 'BOOLEAN':
          type = 'boolean';
          break;
        case 'INT32':
          type =
            ctype === 'DATE' ? 'date' : ctype === 'INT_16' ? 'short' : ctype === 'INT_8' ? 'byte' : 'integer';
          break;
        case 'INT64':
          type =
            ctype === 'TIMESTAMP_MICROS' || ctype === 'TIMESTAMP_MILLIS' || ltype?.type === 'TIMESTAMP'
              ? 'timestamp'
              : 'long';
          break;
        case 'INT96':
          type = 'timestamp';
          break;
        case 'FLOAT':
          type = 'float';
          break;
        case 'DOUBLE':
          type = 'double';
          break;
        default:
          type = ctype === 'UTF8' || ltype?.type === 'STRING' ? 'string' : 'binary';
      }
    }
    fields.push({ name: element.name, type, nullable: element.repetition_type !== 'REQUIRED', metadata: {} });
    index++;
  }
  return fields;
}
