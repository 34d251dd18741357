/**
 * Cell values: coercion of caller input to a column's Delta type (the write-side half of schema
 * enforcement), exact decimal arithmetic on strings, partition value (de)serialisation
 * (PROTOCOL.md "Partition Value Serialization") and a total order used by stats and predicates.
 */
import { SchemaMismatchError } from './errors.ts';
import { type CellValue, type DeltaType, decimalParts, typeName } from './schema.ts';

const INT_RANGES: Record<string, [number, number]> = {
  integer: [-2147483648, 2147483647],
  short: [-32768, 32767],
  byte: [-128, 127],
};

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Converts an input value to the canonical JS value of `type` (see schema.ts), or throws a
 * SchemaMismatchError naming the column. Accepts the lenient forms text inputs produce: numeric
 * strings for numbers, ISO strings for dates and timestamps, numbers for decimals.
 */
export function coerceValue(value: unknown, type: DeltaType, column: string): CellValue {
  if (value === null || value === undefined) return null;
  const fail = (): never => {
    throw new SchemaMismatchError(
      `column "${column}" expects ${typeName(type)}, got ${describe(value)}`,
      column,
    );
  };
  if (typeof type !== 'string') return value as CellValue;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : fail();
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return fail();
    case 'long': {
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
      return fail();
    }
    case 'integer':
    case 'short':
    case 'byte': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      const [min, max] = INT_RANGES[type] as [number, number];
      if (typeof n === 'bigint' && n >= BigInt(min) && n <= BigInt(max)) return Number(n);
      if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
      return fail();
    }
    case 'double':
    case 'float': {
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
        return Number(value);
      if (value === 'NaN') return Number.NaN;
      return fail();
    }
    case 'date': {
      if (value instanceof Date && !Number.isNaN(value.getTime())) {
        return new Date(Date.UTC(value.getUTCFullYear(), value.getUTCMonth(), value.getUTCDate()));
      }
      if (typeof value === 'string' && DATE_ONLY.test(value)) return new Date(`${value}T00:00:00Z`);
      return fail();
    }
    case 'timestamp': {
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
      if (typeof value === 'string') {
        const parsed = parseTimestampText(value);
        if (parsed) return parsed;
      }
      if (typeof value === 'number' && Number.isFinite(value)) return new Date(value);
      return fail();
    }
    case 'binary':
      if (value instanceof Uint8Array) return value;
      return fail();
    default: {
      const decimal = decimalParts(type);
      if (!decimal) return fail();
      const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : value;
      if (typeof text !== 'string') return fail();
      const normalised = normaliseDecimal(text, decimal.scale);
      if (normalised === undefined) return fail();
      const digits = normalised.replace('-', '').replace('.', '').replace(/^0+/, '');
      if (digits.length > decimal.precision) {
        throw new SchemaMismatchError(`column "${column}" value ${text} does not fit ${type}`, column);
      }
      return normalised;
    }
  }
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'a Date';
  if (value instanceof Uint8Array) return 'binary';
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * Parses ISO-8601 or Spark's `YYYY-MM-DD HH:MM:SS[.ffffff]`. Text without a zone is read in
 * `timeZone` (an IANA name; default UTC), as Spark reads it in its session time zone.
 */
export function parseTimestampText(text: string, timeZone = 'UTC'): Date | undefined {
  const trimmed = text.trim();
  if (DATE_ONLY.test(trimmed)) return zonedToUtc(`${trimmed}T00:00:00`, timeZone);
  const spaced = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(trimmed);
  if (!spaced) return undefined;
  const fraction = (spaced[3] ?? '').slice(0, 4);
  if (spaced[4] === undefined) return zonedToUtc(`${spaced[1]}T${spaced[2]}${fraction}`, timeZone);
  const date = new Date(`${spaced[1]}T${spaced[2]}${fraction}${spaced[4]}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The instant of a local wall-clock time (`YYYY-MM-DDTHH:MM:SS[.fff]`) in an IANA time zone. */
function zonedToUtc(local: string, timeZone: string): Date | undefined {
  const asUtc = new Date(`${local}Z`);
  if (Number.isNaN(asUtc.getTime())) return undefined;
  if (timeZone === 'UTC') return asUtc;
  const first = asUtc.getTime() - zoneOffset(asUtc.getTime(), timeZone);
  return new Date(asUtc.getTime() - zoneOffset(first, timeZone));
}

/** Milliseconds the zone's wall clock is ahead of UTC at an instant. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** `"12.5"` at scale 3 → `"12.500"`; undefined when the text is not a decimal or has more digits. */
export function normaliseDecimal(text: string, scale: number): string | undefined {
  const trimmed = text.trim();
  const match = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(trimmed);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const negative = match[1] === '-';
  let digits = `${match[2] ?? ''}${match[3] ?? ''}`;
  let pointAt = (match[2] ?? '').length + Number(match[4] ?? 0);
  if (pointAt < 0) {
    digits = '0'.repeat(-pointAt) + digits;
    pointAt = 0;
  }
  if (pointAt > digits.length) digits += '0'.repeat(pointAt - digits.length);
  let intPart = digits.slice(0, pointAt).replace(/^0+/, '') || '0';
  let fracPart = digits.slice(pointAt);
  if (fracPart.length > scale) {
    if (/[^0]/.test(fracPart.slice(scale))) return undefined;
    fracPart = fracPart.slice(0, scale);
  }
  fracPart = fracPart.padEnd(scale, '0');
  if (scale === 0) fracPart = '';
  const isZero = /^0*$/.test(intPart + fracPart);
  if (intPart === '') intPart = '0';
  return `${negative && !isZero ? '-' : ''}${intPart}${scale > 0 ? `.${fracPart}` : ''}`;
}

/** The unscaled integer of a normalised decimal string (`"-1.50"` → -150n). */
export function decimalToUnscaled(text: string): bigint {
  return BigInt(text.replace('.', ''));
}

/** The decimal string of an unscaled integer at a scale (-150n, 2 → `"-1.50"`). */
export function unscaledToDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** Big-endian two's complement bytes → bigint (Parquet FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals). */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (bytes.length > 0 && (bytes[0] as number) & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

/** bigint → big-endian two's complement bytes of a fixed length. */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value < 0n ? (1n << BigInt(length * 8)) + value : value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Bytes a FIXED_LEN_BYTE_ARRAY needs for a decimal precision (Spark's table). */
export function decimalByteLength(precision: number): number {
  let bytes = 1;
  while (10 ** precision > 2 ** (8 * bytes - 1)) bytes++;
  return bytes;
}

/**
 * Serialises a partition value as the protocol's string form (null stays null). Timestamps use
 * Spark's `YYYY-MM-DD HH:MM:SS.ffffff` form, which every engine reads as UTC when the session is UTC;
 * Athena, Spark and delta-rs all accept it.
 */
export function serializePartitionValue(value: CellValue, type: DeltaType): string | null {
  if (value === null || value === undefined) return null;
  if (type === 'date' && value instanceof Date) return value.toISOString().slice(0, 10);
  if (type === 'timestamp' && value instanceof Date) {
    return `${value.toISOString().slice(0, 19).replace('T', ' ')}.${String(value.getUTCMilliseconds()).padStart(3, '0')}000`;
  }
  if ((type === 'double' || type === 'float') && typeof value === 'number' && Number.isInteger(value)) {
    return value.toFixed(1);
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  return String(value);
}

/** Parses a partition value string of the log into the column's JS value ("" and null mean null). */
export function parsePartitionValue(
  text: string | null | undefined,
  type: DeltaType,
  column: string,
  timeZone = 'UTC',
): CellValue {
  if (text === null || text === undefined || text === '') return null;
  if (type === 'string') return text;
  if (type === 'binary') return new Uint8Array(Buffer.from(text, 'latin1'));
  if (type === 'timestamp') {
    const parsed = parseTimestampText(text, timeZone);
    if (!parsed)
      throw new SchemaMismatchError(`bad timestamp partition value "${text}" for "${column}"`, column);
    return parsed;
  }
  return coerceValue(text, type, column);
}

/** Orders two non-null values of the same column type (numbers, bigints, strings, Dates, decimals). */
export function compareValues(a: CellValue, b: CellValue, type?: DeltaType): number {
  const decimal = type !== undefined ? decimalParts(type) : undefined;
  if (decimal && typeof a === 'string' && typeof b === 'string') {
    const x = decimalToUnscaled(normaliseDecimal(a, decimal.scale) ?? a);
    const y = decimalToUnscaled(normaliseDecimal(b, decimal.scale) ?? b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toComparable(a);
  const y = toComparable(b);
  if (typeof x === 'bigint' || typeof y === 'bigint') {
    const bx = typeof x === 'bigint' ? x : BigInt(Math.trunc(Number(x)));
    const by = typeof y === 'bigint' ? y : BigInt(Math.trunc(Number(y)));
    if (bx !== by) return bx < by ? -1 : 1;
    if (typeof x === 'number' || typeof y === 'number') {
      const fx = Number(x);
      const fy = Number(y);
      return fx < fy ? -1 : fx > fy ? 1 : 0;
    }
    return 0;
  }
  if (x < y) return -1;
  if (x > y) return 1;
  return 0;
}

function toComparable(value: CellValue): number | bigint | string {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  return String(value);
}
