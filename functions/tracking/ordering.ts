/**
 * Order-preserving string encodings, so that DynamoDB's byte-wise string comparison (in condition
 * expressions and sort keys) orders metric points the way MLflow does: by step, then timestamp,
 * then value.
 */

const INT64_OFFSET = 2n ** 63n;
const NAN_CODE = 'g'.repeat(16);

/** A signed 64-bit integer as 16 hex digits whose string order is the numeric order. */
export function encodeInt64(value: number): string {
  return (BigInt(Math.trunc(value)) + INT64_OFFSET).toString(16).padStart(16, '0');
}

/**
 * A double as 16 hex digits whose string order is the numeric order (-Infinity first, +Infinity
 * last); NaN sorts after everything, as MLflow's SQL store treats NaN as the largest value.
 */
export function encodeDouble(value: number): string {
  if (Number.isNaN(value)) return NAN_CODE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value === 0 ? 0 : value);
  let bits = view.getBigUint64(0);
  bits = bits & (1n << 63n) ? ~bits & 0xffffffffffffffffn : bits | (1n << 63n);
  return bits.toString(16).padStart(16, '0');
}

/** The inverse of encodeInt64. */
export function decodeInt64(hex: string): number {
  return Number(BigInt(`0x${hex}`) - INT64_OFFSET);
}

/** The inverse of encodeDouble (NaN for the NaN code; -0 was stored as 0). */
export function decodeDouble(hex: string): number {
  if (hex === NAN_CODE) return Number.NaN;
  let bits = BigInt(`0x${hex}`);
  bits = bits & (1n << 63n) ? bits ^ (1n << 63n) : ~bits & 0xffffffffffffffffn;
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

/** The order key of a metric point: larger means "later" for MLflow's latest-value rule. */
export function metricOrderKey(point: { step: number; timestamp: number; value: number }): string {
  return `${encodeInt64(point.step)}${encodeInt64(point.timestamp)}${encodeDouble(point.value)}`;
}

/** The point an order key encodes (the key holds step, timestamp and value exactly). */
export function pointFromOrderKey(key: string): { step: number; timestamp: number; value: number } {
  return {
    step: decodeInt64(key.slice(0, 16)),
    timestamp: decodeInt64(key.slice(16, 32)),
    value: decodeDouble(key.slice(32, 48)),
  };
}
