/**
 * `expf` as glibc computes it (the ARM optimized-routines algorithm glibc has used since 2.28), so
 * that objectives that exponentiate (softmax, sigmoid, exp) round exactly as xgboost does on
 * Linux: `Math.fround(Math.exp(x))` is correctly rounded, glibc's `expf` is not always (0.502 ulp),
 * and softmax can add the two differences up to 2 ulps.
 *
 * exp(x) = 2^(k/32) · 2^(r/32) with k = round(x·32/ln2): a 32-entry table of 2^(i/32) and a
 * degree-3 polynomial in r, evaluated in double, rounded once to float.
 */

/** Mantissas of 2^(i/32), i = 0..31, correctly rounded to double (value = 1 + m / 2^52). */
const TABLE_MANTISSAS = [
  0x0000000000000, 0x059b0d3158574, 0x0b5586cf9890f, 0x11301d0125b51, 0x172b83c7d517b, 0x1d4873168b9aa,
  0x2387a6e756238, 0x29e9df51fdee1, 0x306fe0a31b715, 0x371a7373aa9cb, 0x3dea64c123422, 0x44e086061892d,
  0x4bfdad5362a27, 0x5342b569d4f82, 0x5ab07dd485429, 0x6247eb03a5585, 0x6a09e667f3bcd, 0x71f75e8ec5f74,
  0x7a11473eb0187, 0x82589994cce13, 0x8ace5422aa0db, 0x93737b0cdc5e5, 0x9c49182a3f090, 0xa5503b23e255d,
  0xae89f995ad3ad, 0xb7f76f2fb5e47, 0xc199bdd85529c, 0xcb720dcef9069, 0xd5818dcfba487, 0xdfc97337b9b5f,
  0xea4afa2a490da, 0xf50765b6e4540,
];
const TWO52 = 2 ** 52;
const TABLE = Float64Array.from(TABLE_MANTISSAS, (m) => (TWO52 + m) / TWO52);
/** 2^e for e = -160..160, built by exact doublings. */
const POW2 = (() => {
  const out = new Float64Array(321);
  out[160] = 1;
  for (let e = 1; e <= 160; e++) {
    out[160 + e] = (out[159 + e] as number) * 2;
    out[160 - e] = (out[161 - e] as number) / 2;
  }
  return out;
})();
const N = 32;
/** 0x1.71547652b82fep0 · N (32/ln 2). */
const INV_LN2_N = (0x171547652b82fe / 2 ** 52) * N;
/** 0x1.8p52: adding and subtracting it rounds to an integer, ties to even. */
const SHIFT = 1.5 * TWO52;
/** poly_scaled: 0x1.c6af84b912394p-5/N³, 0x1.ebfce50fac4f3p-3/N², 0x1.62e42ff0c52d6p-1/N. */
const C0 = ((0x1c6af84b912394 / 2 ** 52) * 2 ** -5) / N / N / N;
const C1 = ((0x1ebfce50fac4f3 / 2 ** 52) * 2 ** -3) / N / N;
const C2 = ((0x162e42ff0c52d6 / 2 ** 52) * 2 ** -1) / N;
/** Beyond these float inputs expf overflows to infinity or underflows to zero. */
const OVERFLOW = Math.fround(88.72283172607422);
const UNDERFLOW = Math.fround(-103.97207641601562);

/** glibc's `expf` of a float32 value, as a float32 value. */
export function expf(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > OVERFLOW) return Number.POSITIVE_INFINITY;
  if (x < UNDERFLOW) return 0;
  const z = INV_LN2_N * x;
  const kd = z + SHIFT - SHIFT;
  const r = z - kd;
  const j = kd & 31;
  const s = (TABLE[j] as number) * (POW2[160 + (kd - j) / 32] as number);
  const zz = C0 * r + C1;
  const r2 = r * r;
  let y = C2 * r + 1;
  y = zz * r2 + y;
  return Math.fround(y * s);
}
