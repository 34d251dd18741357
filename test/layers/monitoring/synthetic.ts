/** Generated data for the monitoring tests: a seeded generator and a 20-feature "training distribution". */

import type { ColumnSpec } from '../../../layers/monitoring/profile.ts';
import { seededRandom } from '../../../layers/monitoring/random.ts';

export class Generator {
  private readonly uniform: () => number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.uniform = seededRandom(seed);
  }

  next(): number {
    return this.uniform();
  }

  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + sd * z;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(values: readonly T[], weights: readonly number[]): T {
    const total = weights.reduce((s, w) => s + w, 0);
    let u = this.uniform() * total;
    for (let i = 0; i < values.length; i++) {
      u -= weights[i] as number;
      if (u < 0) return values[i] as T;
    }
    return values[values.length - 1] as T;
  }

  normals(n: number, mean = 0, sd = 1): number[] {
    return Array.from({ length: n }, () => this.normal(mean, sd));
  }
}

export const PLANS = ['basic', 'standard', 'premium', 'family'] as const;
const PLAN_WEIGHTS = [0.4, 0.3, 0.2, 0.1];
export const REGIONS = ['north', 'south', 'east', 'west', 'central'] as const;
const REGION_WEIGHTS = [0.25, 0.2, 0.2, 0.2, 0.15];

/** 14 numeric features of several shapes and 6 categorical ones. */
export const FEATURES: ColumnSpec[] = [
  ...Array.from({ length: 10 }, (_, i) => ({ name: `x${i}`, kind: 'numeric' as const })),
  { name: 'tenure_months', kind: 'numeric' },
  { name: 'monthly_spend', kind: 'numeric' },
  { name: 'support_calls', kind: 'numeric' },
  { name: 'discount', kind: 'numeric' },
  { name: 'plan', kind: 'categorical' },
  { name: 'region', kind: 'categorical' },
  ...Array.from({ length: 4 }, (_, i) => ({ name: `c${i}`, kind: 'categorical' as const })),
];

export interface Drift {
  /** Added to x0. */
  readonly shiftX0?: number;
  /** Share of rows whose plan is the new value "enterprise". */
  readonly newPlanShare?: number;
  /** Share of rows whose monthly_spend is null. */
  readonly spendNullShare?: number;
  /** Share of labels flipped. */
  readonly labelFlipShare?: number;
}

export interface Row extends Record<string, unknown> {
  prediction: number;
  label: number;
}

/** One row of the training distribution (with optional drift), the model's probability and a label. */
export function sampleRow(g: Generator, drift: Drift = {}): Row {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < 10; i++) row[`x${i}`] = g.normal(i, 1 + i / 10);
  row.x0 = (row.x0 as number) + (drift.shiftX0 ?? 0);
  row.tenure_months = Math.floor(-Math.log(1 - g.next()) * 24);
  row.monthly_spend = g.next() < (drift.spendNullShare ?? 0.02) ? null : Math.exp(g.normal(3.5, 0.6));
  row.support_calls = g.pick([0, 1, 2, 3, 4, 5], [0.4, 0.25, 0.15, 0.1, 0.06, 0.04]);
  row.discount = g.next() < 0.7 ? 0 : g.next() * 0.3;
  row.plan = g.next() < (drift.newPlanShare ?? 0) ? 'enterprise' : g.pick(PLANS, PLAN_WEIGHTS);
  row.region = g.pick(REGIONS, REGION_WEIGHTS);
  for (let i = 0; i < 4; i++) {
    row[`c${i}`] = g.pick(['a', 'b', 'c', 'd', 'e'].slice(0, 2 + i), [5, 4, 3, 2, 1].slice(0, 2 + i));
  }
  const score =
    -1 +
    0.8 * ((row.x1 as number) - 1) -
    0.05 * (row.tenure_months as number) +
    0.5 * (row.support_calls as number);
  const prediction = 1 / (1 + Math.exp(-score));
  let label = g.next() < prediction ? 1 : 0;
  if (g.next() < (drift.labelFlipShare ?? 0)) label = 1 - label;
  return { ...row, prediction, label };
}

export function sampleRows(seed: number, n: number, drift: Drift = {}): Row[] {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => sampleRow(g, drift));
}
