import { describe, expect, it } from 'vitest';
import {
  binShares,
  chiSquareHomogeneity,
  jensenShannonDistance,
  kolmogorovSmirnov,
  populationStabilityIndex,
  proportionChange,
  quantileEdges,
} from '../../../layers/monitoring/drift-statistics.ts';
import { cdfOf, QuantileSketch } from '../../../layers/monitoring/quantile-sketch.ts';
import { python, scipyAvailable } from './python-reference.ts';
import { Generator } from './synthetic.ts';

function exactCdf(values: readonly number[]) {
  const sketch = new QuantileSketch(values.length + 8);
  for (const v of values) sketch.add(v);
  return cdfOf(sketch.toState());
}

function sketchedCdf(values: readonly number[]) {
  const sketch = new QuantileSketch();
  for (const v of values) sketch.add(v);
  return cdfOf(sketch.toState());
}

describe.runIf(scipyAvailable)('drift statistics against SciPy', () => {
  const g = new Generator(7);
  const reference = g.normals(3000);
  const shifted = g.normals(2000, 0.15, 1.1);
  const lognormal = Array.from({ length: 2500 }, () => Math.exp(g.normal(0, 0.8)));
  const integers = Array.from({ length: 1500 }, () => Math.floor(g.next() * 6));
  const integersShifted = Array.from({ length: 1800 }, () => Math.floor(g.next() * 7));

  it('gives scipy.stats.ks_2samp statistic and its asymptotic p-value, with and without ties', () => {
    const pairs = [
      [reference, shifted],
      [reference, lognormal],
      [integers, integersShifted],
      [reference, reference.slice(0, 1000)],
    ] as const;
    const expected = python<{ d: number; p: number; pAsymp: number }[]>(
      `out = []
for a, b in data:
    r = scipy.stats.ks_2samp(a, b, method='asymp')
    en = len(a) * len(b) / (len(a) + len(b))
    out.append({'d': float(r.statistic), 'p': float(scipy.special.kolmogorov(np.sqrt(en) * r.statistic)), 'pAsymp': float(r.pvalue)})`,
      pairs,
    );
    pairs.forEach(([a, b], i) => {
      const result = kolmogorovSmirnov(exactCdf(a), exactCdf(b));
      const want = expected[i]!;
      expect(result.statistic).toBeCloseTo(want.d, 12);
      expect(result.pValue).toBeCloseTo(want.p, 9);
      // SciPy's own asymptotic p-value uses the finite-n distribution; close, not equal.
      expect(Math.abs(result.pValue - want.pAsymp)).toBeLessThan(0.02 + 0.1 * want.pAsymp);
    });
  });

  it('stays within the sketch error bound of the exact KS statistic on 200,000 rows', () => {
    const big = new Generator(11);
    const a = big.normals(200_000);
    const b = big.normals(150_000, 0.05);
    const [exact] = python<number[]>('out = [float(scipy.stats.ks_2samp(data[0], data[1]).statistic)]', [
      a,
      b,
    ]);
    const approx = kolmogorovSmirnov(sketchedCdf(a), sketchedCdf(b)).statistic;
    expect(Math.abs(approx - exact!)).toBeLessThan(0.02);
  });

  it('computes PSI over reference deciles as SciPy rel_entr does on the raw data', () => {
    const cases = [
      [reference, shifted],
      [reference, reference.slice(0, 1200)],
      [lognormal, lognormal.map((x) => x * 1.3)],
      [integers, integersShifted],
    ] as const;
    const expected = python<number[]>(
      `out = []
for a, b in data:
    a = np.array(a); b = np.array(b)
    edges = np.unique(np.quantile(a, np.arange(1, 10) / 10, method='inverted_cdf'))
    if edges[-1] == a.max(): edges = edges[:-1]
    e = np.bincount(np.searchsorted(edges, a, side='left'), minlength=len(edges) + 1) / len(a)
    c = np.bincount(np.searchsorted(edges, b, side='left'), minlength=len(edges) + 1) / len(b)
    e = np.maximum(e, 1e-4); c = np.maximum(c, 1e-4)
    out.append(float(np.sum(scipy.special.rel_entr(c, e) + scipy.special.rel_entr(e, c))))`,
      cases,
    );
    cases.forEach(([a, b], i) => {
      const ref = exactCdf(a);
      const edges = quantileEdges(ref, 10);
      const psi = populationStabilityIndex(binShares(ref, edges), binShares(exactCdf(b), edges));
      expect(psi).toBeCloseTo(expected[i]!, 10);
    });
  });

  it('computes the Jensen-Shannon distance as scipy.spatial.distance.jensenshannon with base 2', () => {
    const vectors = [
      [
        [400, 300, 200, 100],
        [380, 310, 190, 120],
      ],
      [
        [400, 300, 200, 100, 0],
        [300, 300, 200, 100, 100],
      ],
      [
        [1, 0],
        [0, 1],
      ],
      [
        [5, 5, 5],
        [50, 50, 50],
      ],
    ];
    const expected = python<number[]>(
      'out = [float(scipy.spatial.distance.jensenshannon(p, q, base=2)) for p, q in data]',
      vectors,
    );
    vectors.forEach(([p, q], i) => {
      expect(jensenShannonDistance(p!, q!)).toBeCloseTo(expected[i]!, 12);
    });
  });

  it('gives scipy.stats.chi2_contingency results without continuity correction', () => {
    const tables = [
      [
        [400, 300, 200, 100],
        [380, 310, 190, 120],
      ],
      [
        [4000, 3000, 2000, 1000, 0],
        [300, 300, 200, 100, 100],
      ],
      [
        [50, 60],
        [70, 40],
      ],
    ];
    const expected = python<{ statistic: number; p: number; dof: number }[]>(
      `out = []
for t in data:
    t = np.array(t)
    t = t[:, t.sum(axis=0) > 0]
    s, p, dof, _ = scipy.stats.chi2_contingency(t, correction=False)
    out.append({'statistic': float(s), 'p': float(p), 'dof': int(dof)})`,
      tables,
    );
    tables.forEach(([a, b], i) => {
      const result = chiSquareHomogeneity(a!, b!);
      expect(result.statistic).toBeCloseTo(expected[i]!.statistic, 8);
      expect(result.dof).toBe(expected[i]!.dof);
      expect(result.pValue).toBeCloseTo(expected[i]!.p, 9);
    });
  });

  it("tests a null-rate change as SciPy's 2x2 chi-square does (z squared)", () => {
    const cases = [
      [20, 1000, 35, 1000],
      [200, 10_000, 160, 2000],
      [0, 5000, 3, 800],
    ] as const;
    const expected = python<number[]>(
      `out = [float(scipy.stats.chi2_contingency([[h1, n1 - h1], [h2, n2 - h2]], correction=False)[1]) for h1, n1, h2, n2 in data]`,
      cases,
    );
    cases.forEach(([h1, n1, h2, n2], i) => {
      const change = proportionChange(h1, n1, h2, n2);
      expect(change.change).toBeCloseTo(h2 / n2 - h1 / n1, 12);
      expect(change.pValue).toBeCloseTo(expected[i]!, 6);
    });
  });
});

describe('drift statistics', () => {
  it('is zero for identical shares and symmetric in its two arguments', () => {
    const expected = [0.1, 0.2, 0.3, 0.4];
    const actual = [0.15, 0.25, 0.25, 0.35];
    expect(populationStabilityIndex(expected, expected)).toBe(0);
    expect(populationStabilityIndex(expected, actual)).toBeCloseTo(
      populationStabilityIndex(actual, expected),
      15,
    );
    expect(populationStabilityIndex(expected, actual)).toBeGreaterThan(0);
  });

  it('throws RangeError when the bins differ', () => {
    expect(() => populationStabilityIndex([0.5, 0.5], [1])).toThrow(
      'PSI needs equal bin counts, got 2 and 1',
    );
  });

  it('gives distance 1 for disjoint categories and 0 for identical ones', () => {
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannonDistance([3, 1], [6, 2])).toBe(0);
  });
});
