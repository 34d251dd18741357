/**
 * Rows (already conformed to the schema) → Arrow columns, in one pass per column that also takes the
 * column's statistics for the Delta log. The Arrow types are chosen so that the Parquet writer
 * produces Delta's physical types (PROTOCOL.md "Physical Type Mapping"):
 *
 * | Delta           | Arrow                     | Parquet                                      |
 * |-----------------|---------------------------|----------------------------------------------|
 * | long            | Int64                     | INT64                                        |
 * | integer         | Int32                     | INT32                                        |
 * | short / byte    | Int16 / Int8              | INT32 with INT(16) / INT(8)                  |
 * | double / float  | Float64 / Float32         | DOUBLE / FLOAT                               |
 * | boolean         | Bool                      | BOOLEAN                                      |
 * | date            | Date32 (days)             | INT32 DATE                                   |
 * | timestamp       | Timestamp(µs, "UTC")      | INT64 TIMESTAMP(isAdjustedToUTC, MICROS)     |
 * | decimal(p,s)    | Decimal128(p,s)           | INT32 (p ≤ 9), INT64 (p ≤ 18), else FIXED    |
 * | string / binary | Utf8 / Binary             | BYTE_ARRAY (UTF8) / BYTE_ARRAY               |
 *
 * 64- and 128-bit values are written into their buffers as 32-bit words from plain numbers where
 * they fit (no BigInt per value), which is what keeps a 1M-row write cheap.
 */
import {
  Binary,
  Bool,
  type Data,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  tableToIPC,
  Utf8,
} from 'apache-arrow';
import { decimalParts, type Row, type StructField } from './schema.ts';

/**
 * Per-column statistics of a batch, as comparable values: numbers (integers, floats, a date's day
 * number, a timestamp's epoch milliseconds), bigints (longs), strings, and decimals as their
 * unscaled integer with their exact text.
 */
export interface ColumnStats {
  readonly name: string;
  readonly nulls: number;
  readonly min?: StatValue;
  readonly max?: StatValue;
}

export type StatValue = string | number | bigint | DecimalStat;

export interface DecimalStat {
  readonly unscaled: number | bigint;
  readonly text: string;
}

export interface ArrowBatch {
  /** The rows as one Arrow IPC stream (schema + one record batch). */
  readonly ipc: Uint8Array;
  readonly stats: readonly ColumnStats[];
}

const TWO_32 = 4_294_967_296;
const DAY_MS = 86_400_000;
const encoder = new TextEncoder();

/** Builds the Arrow IPC stream and the statistics of the rows' `fields` columns. */
export function toArrowBatch(fields: readonly StructField[], rows: readonly Row[]): ArrowBatch {
  const built = fields.map((field) => buildColumn(field, rows));
  const arrowFields = fields.map(
    (field, index) => new Field(field.name, built[index]!.data.type, field.nullable),
  );
  const struct = makeData({
    type: new Struct(arrowFields),
    length: rows.length,
    children: built.map((column) => column.data),
  });
  const table = new Table([new RecordBatch(new Schema(arrowFields), struct)]);
  return { ipc: tableToIPC(table, 'stream'), stats: built.map((column) => column.stats) };
}

interface BuiltColumn {
  readonly data: Data;
  readonly stats: ColumnStats;
}

/** Validity bitmap of a column; `undefined` when nothing is null. */
class Validity {
  readonly bits: Uint8Array;
  nulls = 0;
  constructor(length: number) {
    this.bits = new Uint8Array((length + 7) >> 3);
  }
  set(index: number): void {
    this.bits[index >> 3]! |= 1 << (index & 7);
  }
  /** The null count and bitmap properties of `makeData`. */
  props(): { nullCount: number; nullBitmap: Uint8Array | undefined } {
    return { nullCount: this.nulls, nullBitmap: this.nulls === 0 ? undefined : this.bits };
  }
}

function buildColumn(field: StructField, rows: readonly Row[]): BuiltColumn {
  const decimal = decimalParts(field.type);
  if (decimal) return decimalColumn(field, rows, decimal.precision, decimal.scale);
  switch (field.type) {
    case 'long':
      return longColumn(field, rows);
    case 'integer':
    case 'short':
    case 'byte':
    case 'double':
    case 'float':
      return numberColumn(field, rows);
    case 'boolean':
      return booleanColumn(field, rows);
    case 'date':
      return dateColumn(field, rows);
    case 'timestamp':
      return timestampColumn(field, rows);
    case 'string':
      return bytesColumn(field, rows, true);
    case 'binary':
      return bytesColumn(field, rows, false);
    default:
      throw new Error(`cannot write column ${field.name} of type ${JSON.stringify(field.type)}`);
  }
}

/** Fills a number column's values; returns its validity and statistics. */
function fillNumbers(
  field: StructField,
  rows: readonly Row[],
  values: Int8Array | Int16Array | Int32Array | Float32Array | Float64Array,
): { validity: Validity; stats: ColumnStats } {
  const validity = new Validity(rows.length);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Row)[field.name] as number | null | undefined;
    if (value === null || value === undefined) {
      validity.nulls++;
      continue;
    }
    validity.set(i);
    values[i] = value;
    // NaN takes part in neither (comparisons with NaN are false).
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const stats =
    min <= max
      ? { name: field.name, nulls: validity.nulls, min, max }
      : { name: field.name, nulls: validity.nulls };
  return { validity, stats };
}

function numberColumn(field: StructField, rows: readonly Row[]): BuiltColumn {
  const length = rows.length;
  switch (field.type) {
    case 'integer': {
      const data = new Int32Array(length);
      const { validity, stats } = fillNumbers(field, rows, data);
      return { data: makeData({ type: new Int32(), length, ...validity.props(), data }), stats };
    }
    case 'short': {
      const data = new Int16Array(length);
      const { validity, stats } = fillNumbers(field, rows, data);
      return { data: makeData({ type: new Int16(), length, ...validity.props(), data }), stats };
    }
    case 'byte': {
      const data = new Int8Array(length);
      const { validity, stats } = fillNumbers(field, rows, data);
      return { data: makeData({ type: new Int8(), length, ...validity.props(), data }), stats };
    }
    case 'float': {
      const data = new Float32Array(length);
      const { validity, stats } = fillNumbers(field, rows, data);
      return { data: makeData({ type: new Float32(), length, ...validity.props(), data }), stats };
    }
    default: {
      const data = new Float64Array(length);
      const { validity, stats } = fillNumbers(field, rows, data);
      return { data: makeData({ type: new Float64(), length, ...validity.props(), data }), stats };
    }
  }
}

function longColumn(field: StructField, rows: readonly Row[]): BuiltColumn {
  const validity = new Validity(rows.length);
  const values = new BigInt64Array(rows.length);
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Row)[field.name] as bigint | null | undefined;
    if (value === null || value === undefined) {
      validity.nulls++;
      continue;
    }
    validity.set(i);
    values[i] = value;
    if (min === undefined || value < min) min = value;
    if (max === undefined || value > max) max = value;
  }
  const data = makeData({
    type: new Int64(),
    length: rows.length,
    ...validity.props(),
    data: values,
  });
  return { data, stats: withRange(field.name, validity.nulls, min, max) };
}

function booleanColumn(field: StructField, rows: readonly Row[]): BuiltColumn {
  const validity = new Validity(rows.length);
  const bits = new Uint8Array((rows.length + 7) >> 3);
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Row)[field.name] as boolean | null | undefined;
    if (value === null || value === undefined) {
      validity.nulls++;
      continue;
    }
    validity.set(i);
    if (value) bits[i >> 3]! |= 1 << (i & 7);
  }
  const data = makeData({
    type: new Bool(),
    length: rows.length,
    ...validity.props(),
    data: bits,
  });
  return { data, stats: { name: field.name, nulls: validity.nulls } };
}

function dateColumn(field: StructField, rows: readonly Row[]): BuiltColumn {
  const validity = new Validity(rows.length);
  const days = new Int32Array(rows.length);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Row)[field.name] as Date | null | undefined;
    if (value === null || value === undefined) {
      validity.nulls++;
      continue;
    }
    validity.set(i);
    const day = Math.floor(value.getTime() / DAY_MS);
    days[i] = day;
    if (day < min) min = day;
    if (day > max) max = day;
  }
  const data = makeData({
    type: new DateDay(),
    length: rows.length,
    ...validity.props(),
    data: days,
  });
  return { data, stats: withRange(field.name, validity.nulls, min <= max ? min : undefined, max) };
}

/** Writes a safe integer as a little-endian two's-complement 64-bit value (two words). */
function setInt64Words(words: Int32Array | Uint32Array, offset: number, value: number): void {
  words[offset] = (value % TWO_32) >>> 0;
  words[offset + 1] = Math.floor(value / TWO_32) >>> 0;
}

function timestampColumn(field: StructField, rows: readonly Row[]): BuiltColumn {
  const validity = new Validity(rows.length);
  const words = new Int32Array(rows.length * 2);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Row)[field.name] as Date | null | undefined;
    if (value === null || value === undefined) {
      validity.nulls++;
      continue;
    }
    validity.set(i);
    const ms = value.getTime();
    // |ms| ≤ 8.64e15, so micros stay exact below 2^63 but not below 2^53: split before scaling.
    const micros = ms * 1000;
    if (Number.isSafeInteger(micros)) setInt64Words(words, i * 2, micros);
    else {
      const big = BigInt(ms) * 1000n;
      words[i * 2] = Number(BigInt.asUintN(32, big)) | 0;
      words[i * 2 + 1] = Number(BigInt.asIntN(32, big >> 32n));
    }
    if (ms < min) min = ms;
    if (ms > max) max = ms;
  }
  const data = makeData({
    type: new TimestampMicrosecond('UTC'),
    length: rows.length,
    ...validity.props(),
    data: words,
  });
  return { data, stats: withRange(field.name, validity.nulls, min <= max ? min : undefined, max) };
}

/**
 * Decimals arrive as exact text with `scale` digits after the point (conformRows made them so);
 * the unscaled integer is taken from the digits — as a number when it has at most 15 digits, else
 * as a BigInt — and written as 128-bit two's complement.
 */
function decimalColumn(
  field: StructField,
  rows: readonly Row[],
  precision: number,
  scale: number,
): BuiltColumn {
  const validity = new Validity(rows.length);
  const words = new Uint32Array(rows.length * 4);
  const small = precision <= 15;
  let minIndex = -1;
  let maxIndex = -1;
  let min: number | bigint = 0;
  let max: number | bigint = 0;
  for (let i = 0; i < rows.length; i++) {
    const text = (rows[i] as Row)[field.name] as string | null | undefined;
    if (text === null || text === undefined) {
      validity.nulls++;
      continue;
    }
    validity.set(i);
    let unscaled: number | bigint;
    if (small) {
      unscaled = parseUnscaled(text);
      setInt64Words(words, i * 4, unscaled);
      if (unscaled < 0) {
        words[i * 4 + 2] = 0xffffffff;
        words[i * 4 + 3] = 0xffffffff;
      }
    } else {
      const digits =
        scale > 0 ? text.slice(0, text.length - scale - 1) + text.slice(text.length - scale) : text;
      unscaled = BigInt(digits);
      const twos = BigInt.asUintN(128, unscaled);
      for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((twos >> BigInt(32 * w)) & 0xffffffffn);
    }
    if (minIndex < 0 || unscaled < min) {
      min = unscaled;
      minIndex = i;
    }
    if (maxIndex < 0 || unscaled > max) {
      max = unscaled;
      maxIndex = i;
    }
  }
  const data = makeData({
    type: new Decimal(scale, precision, 128),
    length: rows.length,
    ...validity.props(),
    data: words,
  });
  if (minIndex < 0) return { data, stats: { name: field.name, nulls: validity.nulls } };
  const statAt = (index: number, unscaled: number | bigint) => ({
    unscaled,
    text: (rows[index] as Row)[field.name] as string,
  });
  return {
    data,
    stats: {
      name: field.name,
      nulls: validity.nulls,
      min: statAt(minIndex, min),
      max: statAt(maxIndex, max),
    },
  };
}

/** The unscaled integer of a canonical decimal text of at most 15 digits. */
function parseUnscaled(text: string): number {
  const negative = text.charCodeAt(0) === 45; // '-'
  let value = 0;
  for (let i = negative ? 1 : 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== 46) value = value * 10 + (code - 48); // skip '.'
  }
  return negative ? -value : value;
}

/** Strings (UTF-8) or binaries into one value buffer with offsets. */
function bytesColumn(field: StructField, rows: readonly Row[], utf8: boolean): BuiltColumn {
  const validity = new Validity(rows.length);
  const offsets = new Int32Array(rows.length + 1);
  let buffer = new Uint8Array(Math.max(64, rows.length * 8));
  let length = 0;
  let min: string | undefined;
  let max: string | undefined;
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Row)[field.name] as string | Uint8Array | null | undefined;
    if (value === null || value === undefined) {
      validity.nulls++;
      offsets[i + 1] = length;
      continue;
    }
    validity.set(i);
    const room = utf8 ? (value as string).length * 3 : (value as Uint8Array).byteLength;
    if (length + room > buffer.length) {
      const grown = new Uint8Array(Math.max(buffer.length * 2, length + room));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
    }
    if (utf8) {
      const text = value as string;
      length = writeUtf8(text, buffer, length);
      if (min === undefined || text < min) min = text;
      if (max === undefined || text > max) max = text;
    } else {
      buffer.set(value as Uint8Array, length);
      length += (value as Uint8Array).byteLength;
    }
    offsets[i + 1] = length;
  }
  const props = {
    length: rows.length,
    ...validity.props(),
    valueOffsets: offsets,
    data: buffer.subarray(0, length),
  };
  const data = utf8 ? makeData({ type: new Utf8(), ...props }) : makeData({ type: new Binary(), ...props });
  return { data, stats: withRange(field.name, validity.nulls, min, max) };
}

/** Writes a string's UTF-8 bytes at `offset` (room checked by the caller); returns the new end. */
function writeUtf8(text: string, buffer: Uint8Array, offset: number): number {
  let end = offset;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return offset + encoder.encodeInto(text, buffer.subarray(offset)).written;
    buffer[end++] = code;
  }
  return end;
}

function withRange(
  name: string,
  nulls: number,
  min: StatValue | undefined,
  max: StatValue | undefined,
): ColumnStats {
  return min === undefined || max === undefined ? { name, nulls } : { name, nulls, min, max };
}
