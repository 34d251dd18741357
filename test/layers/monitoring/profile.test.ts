import { describe, expect, it } from 'vitest';
import { FrequentItems } from '../../../layers/monitoring/frequent-items.ts';
import {
  inferColumnSpecs,
  type NumericColumnProfile,
  ProfileBuilder,
  profileRows,
} from '../../../layers/monitoring/profile.ts';
import { cdfAt, cdfOf, QuantileSketch } from '../../../layers/monitoring/quantile-sketch.ts';
import { python, scipyAvailable } from './python-reference.ts';
import { Generator } from './synthetic.ts';

const spec = {
  features: [
    { name: 'amount', kind: 'numeric' as const },
    { name: 'plan', kind: 'categorical' as const },
  ],
  prediction: { name: 'prediction', kind: 'numeric' as const },
};

describe('ProfileBuilder', () => {
  it('counts values, nulls and invalid numbers per column', () => {
    const profile = profileRows(
      [
        { amount: 1, plan: 'a', prediction: 0.1 },
        { amount: null, plan: 'a', prediction: 0.2 },
        { amount: 'n/a', plan: null, prediction: 0.3 },
        { amount: 4, plan: 'b', prediction: 0.4 },
        { plan: 'b', prediction: 0.5 },
      ],
      spec,
    );
    const amount = profile.features.amount as NumericColumnProfile;
    expect(profile.rows).toBe(5);
    expect(amount).toMatchObject({
      count: 2,
      nulls: 3,
      invalid: 1,
      nullRate: 0.6,
      mean: 2.5,
      min: 1,
      max: 4,
    });
    expect(profile.features.plan).toMatchObject({
      count: 4,
      nulls: 1,
      top: [
        { value: 'a', count: 2 },
        { value: 'b', count: 2 },
      ],
      otherCount: 0,
    });
    expect(profile.prediction).toMatchObject({ count: 5, mean: 0.3 });
  });

  it('marks a column that never appeared as not present', () => {
    const builder = new ProfileBuilder(spec);
    builder.addColumns({ plan: ['a', 'b'], prediction: [0.1, 0.2] }, 2);
    const profile = builder.finish();
    expect(profile.features.amount).toMatchObject({ present: false, count: 0, nulls: 2 });
    expect(profile.features.plan).toMatchObject({ present: true, count: 2 });
  });

  it('profiles an empty input without failing', () => {
    const profile = new ProfileBuilder(spec).finish();
    expect(profile.rows).toBe(0);
    expect(profile.features.amount).toMatchObject({ count: 0, mean: null, quantiles: [], nullRate: 0 });
  });

  it('gives the same profile for merged chunks as for one pass', () => {
    const g = new Generator(3);
    const rows = Array.from({ length: 300 }, () => ({
      amount: g.normal(10, 2),
      plan: g.pick(['a', 'b', 'c'], [3, 2, 1]),
      prediction: g.next(),
    }));
    const whole = profileRows(rows, spec);
    const left = new ProfileBuilder(spec);
    const right = new ProfileBuilder(spec);
    rows.forEach((row, i) => {
      (i % 3 === 0 ? left : right).addRow(row);
    });
    left.merge(right);
    const merged = left.finish();
    const a = whole.features.amount as NumericColumnProfile;
    const b = merged.features.amount as NumericColumnProfile;
    expect(b.count).toBe(a.count);
    expect(b.mean).toBeCloseTo(a.mean!, 10);
    expect(b.std).toBeCloseTo(a.std!, 10);
    expect(b.quantiles).toEqual(a.quantiles);
    expect(merged.features.plan).toEqual(whole.features.plan);
  });

  it('keeps its state bounded on a million values while ranks stay within 1%', () => {
    const sketch = new QuantileSketch();
    const g = new Generator(5);
    const values = new Float64Array(1_000_000);
    for (let i = 0; i < values.length; i++) {
      values[i] = g.normal();
      sketch.add(values[i] as number);
    }
    const state = sketch.toState();
    const retained = state.levels.reduce((sum, level) => sum + level.length, 0);
    expect(retained).toBeLessThan(2000);
    const sorted = Float64Array.from(values).sort();
    const cdf = cdfOf(state);
    for (const q of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
      const x = sorted[Math.floor(q * sorted.length)] as number;
      expect(Math.abs(cdfAt(cdf, x) - q)).toBeLessThan(0.01);
    }
  });

  it('throws RangeError when a feature is listed twice', () => {
    expect(
      () =>
        new ProfileBuilder({
          features: [
            { name: 'a', kind: 'numeric' },
            { name: 'a', kind: 'categorical' },
          ],
        }),
    ).toThrow('feature a is listed twice');
  });

  it('infers numeric and categorical columns from sample rows', () => {
    expect(inferColumnSpecs([{ a: 1, b: 'x', c: true, d: null }, { a: 2.5 }], ['a', 'b', 'c', 'd'])).toEqual([
      { name: 'a', kind: 'numeric' },
      { name: 'b', kind: 'categorical' },
      { name: 'c', kind: 'categorical' },
      { name: 'd', kind: 'categorical' },
    ]);
  });
});

describe('FrequentItems', () => {
  it('counts exactly up to its capacity and undercounts by at most n/(capacity+1) past it', () => {
    const summary = new FrequentItems(50);
    const g = new Generator(9);
    const truth = new Map<string, number>();
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      // A few heavy values and a long tail of rare ones.
      const value =
        g.next() < 0.5 ? `heavy${Math.floor(g.next() * 5)}` : `rare${Math.floor(g.next() * 20_000)}`;
      truth.set(value, (truth.get(value) ?? 0) + 1);
      summary.add(value);
    }
    const state = summary.toState();
    expect(state.approximate).toBe(true);
    expect(state.items.length).toBeLessThanOrEqual(50);
    for (let h = 0; h < 5; h++) {
      const kept = state.items.find(([value]) => value === `heavy${h}`);
      const real = truth.get(`heavy${h}`)!;
      expect(kept).toBeDefined();
      expect(kept![1]).toBeLessThanOrEqual(real);
      expect(real - kept![1]).toBeLessThanOrEqual(n / 51);
    }
  });
});

describe.runIf(scipyAvailable)('numeric profile against NumPy', () => {
  it('gives NumPy inverted-CDF quantiles, mean and sample std when unsketched', () => {
    const g = new Generator(21);
    const values = Array.from({ length: 350 }, () => Math.exp(g.normal(1, 0.5)));
    const profile = profileRows(
      values.map((amount) => ({ amount })),
      { features: [{ name: 'amount', kind: 'numeric' }] },
    );
    const amount = profile.features.amount as NumericColumnProfile;
    const expected = python<{ q: number[]; mean: number; std: number }>(
      `a = np.array(data['values'])
out = {'q': [float(x) for x in np.quantile(a, data['qs'], method='inverted_cdf')], 'mean': float(a.mean()), 'std': float(a.std(ddof=1))}`,
      { values, qs: amount.quantiles.map((q) => q.q) },
    );
    expect(amount.quantiles.map((q) => q.value)).toEqual(expected.q);
    expect(amount.mean).toBeCloseTo(expected.mean, 10);
    expect(amount.std).toBeCloseTo(expected.std, 10);
    expect(amount.histogram.counts.reduce((s, c) => s + c, 0)).toBe(350);
  });
});
