/**
 * Rows (already conformed to the schema) → Arrow columns, taking each column's statistics for the
 * Delta log on the way. The Arrow types are chosen so that the Parquet writer produces Delta's
 * physical types (PROTOCOL.md "Physical Type Mapping"):
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
 * Rows are visited once each (row-major): a row object is read while it is in the CPU cache, then
 * every column takes its value. The visiting loop is generated per column list with the column
 * names as literals (`fillFunction`), so each property read and each column call is monomorphic.
 * 64- and 128-bit values are written as 32-bit words from plain numbers where they fit (no BigInt
 * per value).
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
  tableFromIPC,
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
  const sinks = fields.map((field) => columnSink(field, rows.length));
  fillFunction(fields)(rows, sinks);
  const built = sinks.map((sink) => sink.finish());
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

/**
 * The Arrow shape of an IPC stream's schema — each column's name, type and nullability — to compare
 * files with what `toArrowBatch` writes.
 */
export function schemaSignature(ipc: Uint8Array): string {
  return tableFromIPC(ipc)
    .schema.fields.map((field) => `${field.name}:${String(field.type)}:${field.nullable}`)
    .join(',');
}

interface BuiltColumn {
  readonly data: Data;
  readonly stats: ColumnStats;
}

/** A column being filled: `put` takes row `index`'s value (null/undefined for null). */
interface ColumnSink {
  put(index: number, value: unknown): void;
  finish(): BuiltColumn;
}

type Fill = (rows: readonly Row[], sinks: readonly ColumnSink[]) => void;

const fills = new Map<string, Fill>();

/**
 * The row-major loop for a list of columns: `s0.put(i, row["a"]); s1.put(i, row["b"]); …` with
 * the names as (JSON-quoted) literals. Generated once per column list and cached.
 */
function fillFunction(fields: readonly StructField[]): Fill {
  const names = fields.map((field) => field.name);
  const key = JSON.stringify(names);
  let fill = fills.get(key);
  if (!fill) {
    const locals = names.map((_, c) => `const s${c} = sinks[${c}];`).join('\n');
    const puts = names.map((name, c) => `s${c}.put(i, row[${JSON.stringify(name)}]);`).join('\n');
    fill = new Function(
      'rows',
      'sinks',
      `${locals}\nfor (let i = 0; i < rows.length; i++) {\nconst row = rows[i];\n${puts}\n}`,
    ) as Fill;
    fills.set(key, fill);
  }
  return fill;
}

function columnSink(field: StructField, length: number): ColumnSink {
  const decimal = decimalParts(field.type);
  if (decimal) return new DecimalSink(field.name, length, decimal.precision, decimal.scale);
  switch (field.type) {
    case 'long':
      return new LongSink(field.name, length);
    case 'integer':
      return new NumberSink(field.name, new Int32Array(length), (data, props) =>
        makeData({ type: new Int32(), ...props, data: data as Int32Array }),
      );
    case 'short':
      return new NumberSink(field.name, new Int16Array(length), (data, props) =>
        makeData({ type: new Int16(), ...props, data: data as Int16Array }),
      );
    case 'byte':
      return new NumberSink(field.name, new Int8Array(length), (data, props) =>
        makeData({ type: new Int8(), ...props, data: data as Int8Array }),
      );
    case 'float':
      return new NumberSink(field.name, new Float32Array(length), (data, props) =>
        makeData({ type: new Float32(), ...props, data: data as Float32Array }),
      );
    case 'double':
      return new NumberSink(field.name, new Float64Array(length), (data, props) =>
        makeData({ type: new Float64(), ...props, data: data as Float64Array }),
      );
    case 'boolean':
      return new BooleanSink(field.name, length);
    case 'date':
      return new DateSink(field.name, length);
    case 'timestamp':
      return new TimestampSink(field.name, length);
    case 'string':
      return new BytesSink(field.name, length, true);
    case 'binary':
      return new BytesSink(field.name, length, false);
    default:
      throw new Error(`cannot write column ${field.name} of type ${JSON.stringify(field.type)}`);
  }
}

interface NullProps {
  readonly length: number;
  readonly nullCount: number;
  readonly nullBitmap: Uint8Array | undefined;
}

/** What every sink shares: the validity bitmap and the null count. */
abstract class Sink implements ColumnSink {
  protected readonly bits: Uint8Array;
  protected nulls = 0;
  constructor(
    protected readonly name: string,
    protected readonly length: number,
  ) {
    this.bits = new Uint8Array((length + 7) >> 3);
  }
  abstract put(index: number, value: unknown): void;
  abstract finish(): BuiltColumn;
  protected valid(index: number): void {
    this.bits[index >> 3]! |= 1 << (index & 7);
  }
  protected nullProps(): NullProps {
    return {
      length: this.length,
      nullCount: this.nulls,
      nullBitmap: this.nulls === 0 ? undefined : this.bits,
    };
  }
  protected stats(min: StatValue | undefined, max: StatValue | undefined): ColumnStats {
    return min === undefined || max === undefined
      ? { name: this.name, nulls: this.nulls }
      : { name: this.name, nulls: this.nulls, min, max };
  }
}

type NumberArray = Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

class NumberSink extends Sink {
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  constructor(
    name: string,
    private readonly values: NumberArray,
    private readonly make: (values: NumberArray, props: NullProps) => Data,
  ) {
    super(name, values.length);
  }
  put(index: number, value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      return;
    }
    const number = value as number;
    this.valid(index);
    this.values[index] = number;
    // NaN takes part in neither (comparisons with NaN are false).
    if (number < this.min) this.min = number;
    if (number > this.max) this.max = number;
  }
  finish(): BuiltColumn {
    const ranged = this.min <= this.max;
    return {
      data: this.make(this.values, this.nullProps()),
      stats: this.stats(ranged ? this.min : undefined, ranged ? this.max : undefined),
    };
  }
}

class LongSink extends Sink {
  private readonly values: BigInt64Array;
  private min: bigint | undefined;
  private max: bigint | undefined;
  constructor(name: string, length: number) {
    super(name, length);
    this.values = new BigInt64Array(length);
  }
  put(index: number, value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      return;
    }
    const long = value as bigint;
    this.valid(index);
    this.values[index] = long;
    if (this.min === undefined || long < this.min) this.min = long;
    if (this.max === undefined || long > this.max) this.max = long;
  }
  finish(): BuiltColumn {
    return {
      data: makeData({ type: new Int64(), ...this.nullProps(), data: this.values }),
      stats: this.stats(this.min, this.max),
    };
  }
}

class BooleanSink extends Sink {
  private readonly values: Uint8Array;
  constructor(name: string, length: number) {
    super(name, length);
    this.values = new Uint8Array((length + 7) >> 3);
  }
  put(index: number, value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      return;
    }
    this.valid(index);
    if (value) this.values[index >> 3]! |= 1 << (index & 7);
  }
  finish(): BuiltColumn {
    return {
      data: makeData({ type: new Bool(), ...this.nullProps(), data: this.values }),
      stats: this.stats(undefined, undefined),
    };
  }
}

class DateSink extends Sink {
  private readonly days: Int32Array;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  constructor(name: string, length: number) {
    super(name, length);
    this.days = new Int32Array(length);
  }
  put(index: number, value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      return;
    }
    this.valid(index);
    const day = Math.floor((value as Date).getTime() / DAY_MS);
    this.days[index] = day;
    if (day < this.min) this.min = day;
    if (day > this.max) this.max = day;
  }
  finish(): BuiltColumn {
    const ranged = this.min <= this.max;
    return {
      data: makeData({ type: new DateDay(), ...this.nullProps(), data: this.days }),
      stats: this.stats(ranged ? this.min : undefined, ranged ? this.max : undefined),
    };
  }
}

/** Writes a safe integer as a little-endian two's-complement 64-bit value (two words). */
function setInt64Words(words: Int32Array | Uint32Array, offset: number, value: number): void {
  words[offset] = (value % TWO_32) >>> 0;
  words[offset + 1] = Math.floor(value / TWO_32) >>> 0;
}

class TimestampSink extends Sink {
  private readonly words: Int32Array;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  constructor(name: string, length: number) {
    super(name, length);
    this.words = new Int32Array(length * 2);
  }
  put(index: number, value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      return;
    }
    this.valid(index);
    const ms = (value as Date).getTime();
    // |ms| ≤ 8.64e15: micros fit in 64 bits but not always in a double's 53; split when they don't.
    const micros = ms * 1000;
    if (Number.isSafeInteger(micros)) setInt64Words(this.words, index * 2, micros);
    else {
      const big = BigInt(ms) * 1000n;
      this.words[index * 2] = Number(BigInt.asUintN(32, big)) | 0;
      this.words[index * 2 + 1] = Number(BigInt.asIntN(32, big >> 32n));
    }
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }
  finish(): BuiltColumn {
    const ranged = this.min <= this.max;
    return {
      data: makeData({ type: new TimestampMicrosecond('UTC'), ...this.nullProps(), data: this.words }),
      stats: this.stats(ranged ? this.min : undefined, ranged ? this.max : undefined),
    };
  }
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

/**
 * Decimals arrive as exact text with `scale` digits after the point (conformRows made them so);
 * the unscaled integer is taken from the digits — as a number when the precision allows at most 15
 * digits, else as a BigInt — and written as 128-bit two's complement.
 */
class DecimalSink extends Sink {
  private readonly words: Uint32Array;
  private readonly small: boolean;
  private minIndex = -1;
  private maxIndex = -1;
  private min: number | bigint = 0;
  private max: number | bigint = 0;
  private minText = '';
  private maxText = '';
  constructor(
    name: string,
    length: number,
    private readonly precision: number,
    private readonly scale: number,
  ) {
    super(name, length);
    this.words = new Uint32Array(length * 4);
    this.small = precision <= 15;
  }
  put(index: number, value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls++;
      return;
    }
    this.valid(index);
    const text = value as string;
    let unscaled: number | bigint;
    if (this.small) {
      unscaled = parseUnscaled(text);
      setInt64Words(this.words, index * 4, unscaled);
      if (unscaled < 0) {
        this.words[index * 4 + 2] = 0xffffffff;
        this.words[index * 4 + 3] = 0xffffffff;
      }
    } else {
      const scale = this.scale;
      const digits =
        scale > 0 ? text.slice(0, text.length - scale - 1) + text.slice(text.length - scale) : text;
      unscaled = BigInt(digits);
      const twos = BigInt.asUintN(128, unscaled);
      for (let w = 0; w < 4; w++) this.words[index * 4 + w] = Number((twos >> BigInt(32 * w)) & 0xffffffffn);
    }
    if (this.minIndex < 0 || unscaled < this.min) {
      this.min = unscaled;
      this.minText = text;
      this.minIndex = index;
    }
    if (this.maxIndex < 0 || unscaled > this.max) {
      this.max = unscaled;
      this.maxText = text;
      this.maxIndex = index;
    }
  }
  finish(): BuiltColumn {
    return {
      data: makeData({
        type: new Decimal(this.scale, this.precision, 128),
        ...this.nullProps(),
        data: this.words,
      }),
      stats:
        this.minIndex < 0
          ? this.stats(undefined, undefined)
          : this.stats(
              { unscaled: this.min, text: this.minText },
              { unscaled: this.max, text: this.maxText },
            ),
    };
  }
}

/** Strings (UTF-8) or binaries into one value buffer with offsets. */
class BytesSink extends Sink {
  private readonly offsets: Int32Array;
  private buffer: Uint8Array;
  private end = 0;
  private filled = 0;
  private min: string | undefined;
  private max: string | undefined;
  constructor(
    name: string,
    length: number,
    private readonly utf8: boolean,
  ) {
    super(name, length);
    this.offsets = new Int32Array(length + 1);
    this.buffer = new Uint8Array(Math.max(64, length * 8));
  }
  put(index: number, value: unknown): void {
    // Rows arrive in order; rows before this one that were null end where the last value ended.
    for (let i = this.filled; i < index; i++) this.offsets[i + 1] = this.end;
    this.filled = index + 1;
    if (value === null || value === undefined) {
      this.nulls++;
      this.offsets[index + 1] = this.end;
      return;
    }
    this.valid(index);
    const room = this.utf8 ? (value as string).length * 3 : (value as Uint8Array).byteLength;
    if (this.end + room > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.end + room));
      grown.set(this.buffer.subarray(0, this.end));
      this.buffer = grown;
    }
    if (this.utf8) {
      const text = value as string;
      this.end = writeUtf8(text, this.buffer, this.end);
      if (this.min === undefined || text < this.min) this.min = text;
      if (this.max === undefined || text > this.max) this.max = text;
    } else {
      this.buffer.set(value as Uint8Array, this.end);
      this.end += (value as Uint8Array).byteLength;
    }
    this.offsets[index + 1] = this.end;
  }
  finish(): BuiltColumn {
    for (let i = this.filled; i < this.length; i++) this.offsets[i + 1] = this.end;
    const props = {
      ...this.nullProps(),
      valueOffsets: this.offsets,
      data: this.buffer.subarray(0, this.end),
    };
    const data = this.utf8
      ? makeData({ type: new Utf8(), ...props })
      : makeData({ type: new Binary(), ...props });
    return { data, stats: this.stats(this.min, this.max) };
  }
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
