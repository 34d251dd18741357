import { describe, expect, it } from 'vitest';
import { type Customer, generateChurnData } from '../../../cli/demo/churn-data.ts';
import { createBaseline } from '../../../layers/monitoring/evaluate-window.ts';
import {
  MemoryBaselineStore,
  MemoryMetricsTable,
  MemoryReportStore,
  MemoryRowSource,
  MemoryWindowProfileStore,
} from '../../../layers/monitoring/memory-stores.ts';
import {
  DRIFT_METRIC_KEYS,
  type DriftMetricRow,
  PROFILE_METRIC_KEYS,
  type ProfileMetricRow,
} from '../../../layers/monitoring/metric-rows.ts';
import type { ColumnSpec } from '../../../layers/monitoring/profile.ts';
import { runMonitoring } from '../../../layers/monitoring/run-monitoring.ts';

const FEATURES: ColumnSpec[] = [
  { name: 'sessions', kind: 'numeric' },
  { name: 'minutes_used', kind: 'numeric' },
  { name: 'support_tickets', kind: 'numeric' },
  { name: 'payment_delays', kind: 'numeric' },
  { name: 'data_gb', kind: 'numeric' },
  { name: 'last_login_days', kind: 'numeric' },
  { name: 'age', kind: 'numeric' },
  { name: 'monthly_fee', kind: 'numeric' },
  { name: 'plan', kind: 'categorical' },
  { name: 'region', kind: 'categorical' },
];

/** The demo's data as the features a model served each month: activity joined with the customer as of then. */
function servedRows() {
  const data = generateChurnData();
  const versions = new Map<string, Customer[]>();
  for (const customer of data.customers) {
    versions.set(customer.customer_id, [...(versions.get(customer.customer_id) ?? []), customer]);
  }
  const seen = new Set<string>();
  const rows: Record<string, unknown>[] = [];
  for (const a of data.activity) {
    // One row per customer and month: restatements are corrections, not extra predictions.
    const key = `${a.customer_id}|${a.event_time.toISOString()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const customer = (versions.get(a.customer_id) ?? [])
      .filter((c) => c.updated_at <= a.event_time)
      .sort((x, y) => x.updated_at.getTime() - y.updated_at.getTime())
      .at(-1) as Customer;
    const { customer_id: _id, created_time: _created, ...activity } = a;
    rows.push({
      ...activity,
      plan: customer.plan,
      region: customer.region,
      age: customer.age,
      monthly_fee: customer.monthly_fee,
    });
  }
  return { rows, data };
}

const month = (m: number) => ({
  start: new Date(Date.UTC(2025, m, 1)).toISOString(),
  end: new Date(Date.UTC(2025, m + 1, 1)).toISOString(),
});

describe('monitoring the demo dataset', () => {
  it('flags exactly the drifted features in the drifted months and nothing before', async () => {
    const { rows, data } = servedRows();
    const training = rows.filter((r) => (r.event_time as Date) < new Date(month(6).start));
    const baselines = new MemoryBaselineStore();
    await baselines.put(
      createBaseline({
        model: 'churn',
        version: '1',
        task: 'binary-classification',
        features: FEATURES,
        trainingRows: training,
      }),
    );
    const predictions = new MemoryRowSource('event_time');
    predictions.add(rows);
    const deps = {
      predictions,
      baselines,
      windowProfiles: new MemoryWindowProfileStore(),
      profileMetrics: new MemoryMetricsTable<ProfileMetricRow>([...PROFILE_METRIC_KEYS]),
      driftMetrics: new MemoryMetricsTable<DriftMetricRow>([...DRIFT_METRIC_KEYS]),
      reports: new MemoryReportStore(),
    };
    const flagged: Record<number, string[]> = {};
    for (let m = 6; m < 12; m++) {
      const run = await runMonitoring({ model: 'churn' }, month(m), deps);
      expect(run.result.rows).toBe(3000);
      flagged[m] = [
        ...new Set(run.result.alarms.filter((a) => a.comparison === 'baseline').map((a) => a.subject)),
      ].sort();
    }
    const drifted = [...data.driftedFeatures].sort();
    expect(flagged).toEqual({ 6: [], 7: [], 8: [], 9: [], 10: drifted, 11: drifted });
  });
});
