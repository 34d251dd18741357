import { describe, expect, it } from 'vitest';
import {
  decodeDouble,
  decodeInt64,
  encodeDouble,
  encodeInt64,
  metricOrderKey,
  pointFromOrderKey,
} from '../../../functions/tracking/ordering.ts';

const DOUBLES = [
  Number.NEGATIVE_INFINITY,
  -Number.MAX_VALUE,
  -1e300,
  -2.5,
  -Number.MIN_VALUE,
  0,
  Number.MIN_VALUE,
  1e-12,
  0.1,
  1,
  123456.789,
  Number.MAX_VALUE,
  Number.POSITIVE_INFINITY,
];

describe('order-preserving encodings', () => {
  it('orders doubles as numbers, NaN after everything', () => {
    const codes = [...DOUBLES, Number.NaN].map(encodeDouble);
    expect([...codes].sort()).toEqual(codes);
  });

  it('decodes every double it encodes, NaN included', () => {
    for (const value of DOUBLES) expect(decodeDouble(encodeDouble(value))).toBe(value);
    expect(decodeDouble(encodeDouble(Number.NaN))).toBeNaN();
  });

  it('decodes 64-bit integers within ±2^53', () => {
    for (const value of [-(2 ** 53) + 1, -1, 0, 1, 1_700_000_000_000, 2 ** 53 - 1]) {
      expect(decodeInt64(encodeInt64(value))).toBe(value);
    }
  });

  it('recovers the point from its order key', () => {
    const point = { step: -3, timestamp: 1_700_000_000_123, value: -0.25 };
    expect(pointFromOrderKey(metricOrderKey(point))).toEqual(point);
  });
});
