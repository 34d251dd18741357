import { describe, expect, it } from 'vitest';
import { generateChurnData } from '../../../cli/demo/churn-data.ts';

describe('generateChurnData', () => {
  const data = generateChurnData({ customers: 2000 });

  it('is deterministic for a seed', () => {
    const again = generateChurnData({ customers: 2000 });
    expect(again.activity.slice(0, 50)).toEqual(data.activity.slice(0, 50));
    expect(again.labels).toEqual(data.labels);
    expect(generateChurnData({ customers: 2000, seed: 7 }).labels).not.toEqual(data.labels);
  });

  it('has late-arriving and restated activity rows', () => {
    const late = data.activity.filter(
      (row) => row.created_time.getTime() - row.event_time.getTime() > 2 * 86_400_000,
    );
    const keys = data.activity.map((row) => `${row.customer_id}|${row.event_time.toISOString()}`);
    const restated = keys.length - new Set(keys).size;
    expect(late.length / data.activity.length).toBeGreaterThan(0.03);
    expect(restated).toBeGreaterThan(100);
  });

  it('has a churn rate a model can learn from', () => {
    const rate = data.labels.reduce((sum, label) => sum + label.churned, 0) / data.labels.length;
    expect(rate).toBeGreaterThan(0.1);
    expect(rate).toBeLessThan(0.5);
    expect(data.labels.length).toBeGreaterThan(2000);
  });

  it('drifts minutes_used and support tickets only from the drift month on, and adds the enterprise plan', () => {
    const mean = (rows: typeof data.activity, f: (row: (typeof data.activity)[number]) => number) =>
      rows.reduce((sum, row) => sum + f(row), 0) / rows.length;
    const driftStart = Date.UTC(2025, data.driftFromMonth, 1);
    const before = data.activity.filter((row) => row.event_time.getTime() < driftStart);
    const after = data.activity.filter((row) => row.event_time.getTime() >= driftStart);
    expect(mean(after, (r) => r.minutes_used) - mean(before, (r) => r.minutes_used)).toBeGreaterThan(60);
    expect(mean(after, (r) => r.support_tickets)).toBeGreaterThan(
      1.5 * mean(before, (r) => r.support_tickets),
    );
    expect(Math.abs(mean(after, (r) => r.sessions) - mean(before, (r) => r.sessions))).toBeLessThan(1);
    expect(data.customers.some((c) => c.plan === 'enterprise')).toBe(true);
  });
});
