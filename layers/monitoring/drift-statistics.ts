/**
 * The drift statistics, each a pure function of distributions or counts:
 *
 * - population stability index, PSI = Σ (a_i − e_i) · ln(a_i / e_i), over bins fixed by the
 *   reference's quantiles (shares below `PSI_FLOOR` are raised to it, so an empty bin is finite);
 * - two-sample Kolmogorov–Smirnov D = sup |F_ref − F_cur| with the asymptotic p-value
 *   Q_KS(√(nm/(n+m)) · D);
 * - Jensen–Shannon distance (base 2, in [0, 1]) between two category distributions;
 * - Pearson's chi-square test of homogeneity on the 2 × K table of category counts;
 * - the change of a null rate with a two-proportion z-test.
 */
import { cdfAt, type EmpiricalCdf } from './quantile-sketch.ts';
import { chiSquareSurvival, kolmogorovSurvival, normalSurvival } from './special-functions.ts';

/** Smallest share a PSI bin is given, so that a bin empty on one side does not make PSI infinite. */
export const PSI_FLOOR = 1e-4;

/** PSI between two share vectors over the same bins. */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length) {
    throw new RangeError(`PSI needs equal bin counts, got ${reference.length} and ${current.length}`);
  }
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const e = Math.max(reference[i] as number, PSI_FLOOR);
    const a = Math.max(current[i] as number, PSI_FLOOR);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * Interior bin edges at the reference's quantiles 1/bins … (bins−1)/bins (inverted CDF), with
 * repeated values dropped (a discrete feature gets fewer, wider bins).
 */
export function quantileEdges(reference: EmpiricalCdf, bins = 10): number[] {
  const edges: number[] = [];
  let next = 0;
  for (let b = 1; b < bins; b++) {
    const q = b / bins;
    while (next < reference.values.length - 1 && (reference.cumulative[next] as number) < q - 1e-12) next++;
    const edge = reference.values[next] as number;
    if (edges.length === 0 || edge > (edges[edges.length - 1] as number)) edges.push(edge);
  }
  // The top value as an edge would leave the last bin empty on the reference side by construction.
  const top = reference.values[reference.values.length - 1];
  if (edges.length > 0 && edges[edges.length - 1] === top) edges.pop();
  return edges;
}

/** Shares of the distribution in the bins (−∞, e₀], (e₀, e₁], …, (e_last, ∞). */
export function binShares(cdf: EmpiricalCdf, edges: readonly number[]): number[] {
  const shares: number[] = [];
  let previous = 0;
  for (const edge of edges) {
    const at = cdfAt(cdf, edge);
    shares.push(at - previous);
    previous = at;
  }
  shares.push(1 - previous);
  return shares;
}

export interface KolmogorovSmirnovResult {
  readonly statistic: number;
  readonly pValue: number;
}

/** Two-sample KS over two empirical CDFs; exact D when both are exact (unsketched) distributions. */
export function kolmogorovSmirnov(reference: EmpiricalCdf, current: EmpiricalCdf): KolmogorovSmirnovResult {
  let d = 0;
  let i = 0;
  let j = 0;
  let fa = 0;
  let fb = 0;
  const a = reference;
  const b = current;
  while (i < a.values.length || j < b.values.length) {
    const va = i < a.values.length ? (a.values[i] as number) : Number.POSITIVE_INFINITY;
    const vb = j < b.values.length ? (b.values[j] as number) : Number.POSITIVE_INFINITY;
    const x = Math.min(va, vb);
    if (va === x) fa = a.cumulative[i++] as number;
    if (vb === x) fb = b.cumulative[j++] as number;
    d = Math.max(d, Math.abs(fa - fb));
  }
  const en = (a.n * b.n) / (a.n + b.n);
  return { statistic: d, pValue: en > 0 ? kolmogorovSurvival(Math.sqrt(en) * d) : 1 };
}

/** Jensen–Shannon distance, base 2: √JSD, 0 for identical and 1 for disjoint distributions. */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((s, v) => s + v, 0);
  const sq = q.reduce((s, v) => s + v, 0);
  if (sp <= 0 || sq <= 0) return Number.NaN;
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const a = (p[i] as number) / sp;
    const b = (q[i] as number) / sq;
    const m = (a + b) / 2;
    if (a > 0) divergence += 0.5 * a * Math.log2(a / m);
    if (b > 0) divergence += 0.5 * b * Math.log2(b / m);
  }
  return Math.sqrt(Math.max(0, divergence));
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly dof: number;
  readonly pValue: number;
}

/**
 * Pearson's chi-square test of homogeneity on a 2 × K table (no continuity correction);
 * categories empty on both sides are dropped.
 */
export function chiSquareHomogeneity(
  reference: readonly number[],
  current: readonly number[],
): ChiSquareResult {
  const kept: [number, number][] = [];
  for (let i = 0; i < reference.length; i++) {
    const a = reference[i] as number;
    const b = current[i] as number;
    if (a + b > 0) kept.push([a, b]);
  }
  const totalA = kept.reduce((s, [a]) => s + a, 0);
  const totalB = kept.reduce((s, [, b]) => s + b, 0);
  const total = totalA + totalB;
  if (kept.length < 2 || totalA === 0 || totalB === 0) return { statistic: 0, dof: 0, pValue: 1 };
  let statistic = 0;
  for (const [a, b] of kept) {
    const column = a + b;
    const expectedA = (column * totalA) / total;
    const expectedB = (column * totalB) / total;
    statistic += (a - expectedA) ** 2 / expectedA + (b - expectedB) ** 2 / expectedB;
  }
  const dof = kept.length - 1;
  return { statistic, dof, pValue: chiSquareSurvival(statistic, dof) };
}

export interface ProportionChange {
  readonly reference: number;
  readonly current: number;
  readonly change: number;
  /** Two-sided p-value of the pooled two-proportion z-test. */
  readonly pValue: number;
}

export function proportionChange(
  referenceHits: number,
  referenceTotal: number,
  currentHits: number,
  currentTotal: number,
): ProportionChange {
  const p1 = referenceTotal > 0 ? referenceHits / referenceTotal : 0;
  const p2 = currentTotal > 0 ? currentHits / currentTotal : 0;
  const pooled = (referenceHits + currentHits) / (referenceTotal + currentTotal || 1);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / (referenceTotal || 1) + 1 / (currentTotal || 1)));
  const pValue = se > 0 ? 2 * normalSurvival(Math.abs(p2 - p1) / se) : p1 === p2 ? 1 : 0;
  return { reference: p1, current: p2, change: p2 - p1, pValue: Math.min(1, pValue) };
}
