import { expect } from 'vitest';

/** Distance between two float32 values in units in the last place. */
export function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat32(0, a);
  view.setFloat32(4, b);
  const ordered = (i: number) => (i < 0 ? -2147483648 - i : i);
  return Math.abs(ordered(view.getInt32(0)) - ordered(view.getInt32(4)));
}

/** The largest ulp distance between the kit's values and the expected ones (same length asserted). */
export function maxUlps(actual: ArrayLike<number>, expected: readonly number[]): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  expected.forEach((value, i) => {
    worst = Math.max(worst, ulps(actual[i] as number, value));
  });
  return worst;
}
