import { describe, expect, it } from 'vitest';
import {
  type Baseline,
  createBaseline,
  evaluateWindow,
  type MonitoringWindow,
} from '../../../layers/monitoring/evaluate-window.ts';
import { ProfileBuilder, type ProfileSpec } from '../../../layers/monitoring/profile.ts';
import { QualityAccumulator } from '../../../layers/monitoring/quality.ts';
import { type Drift, FEATURES, type Row, sampleRows } from './synthetic.ts';

const SPEC: ProfileSpec = { features: FEATURES, prediction: { name: 'prediction', kind: 'numeric' } };
const WINDOW: MonitoringWindow = { start: '2026-01-01T00:00:00.000Z', end: '2026-01-08T00:00:00.000Z' };
const PREVIOUS: MonitoringWindow = { start: '2025-12-25T00:00:00.000Z', end: '2026-01-01T00:00:00.000Z' };

function baseline(): Baseline {
  const training = sampleRows(1, 10_000);
  const holdout = sampleRows(2, 3000);
  return createBaseline({
    model: 'churn',
    version: '3',
    task: 'binary-classification',
    features: FEATURES,
    trainingRows: training,
    holdout: { predictions: holdout.map((r) => r.prediction), labels: holdout.map((r) => r.label) },
    now: () => new Date('2025-12-01T00:00:00Z'),
  });
}

function windowOf(rows: readonly Row[]) {
  const builder = new ProfileBuilder(SPEC);
  const quality = new QualityAccumulator('binary-classification');
  for (const row of rows) {
    builder.addRow(row);
    quality.add(row.prediction, row.label);
  }
  return { profile: builder.finish(), quality: quality.finish() };
}

function evaluate(base: Baseline, seed: number, drift: Drift = {}, n = 2000) {
  const previous = windowOf(sampleRows(seed + 100_000, n));
  const current = windowOf(sampleRows(seed, n, drift));
  return evaluateWindow({
    model: 'churn',
    window: WINDOW,
    current: current.profile,
    quality: current.quality,
    baseline: base,
    previous: { window: PREVIOUS, profile: previous.profile, quality: previous.quality },
  });
}

describe('evaluateWindow', () => {
  const base = baseline();

  it('raises no alarm on windows drawn from the training distribution, over 40 seeds', () => {
    const raised: string[] = [];
    for (let seed = 1000; seed < 1040; seed++) {
      const result = evaluate(base, seed);
      expect(result.againstBaseline?.features).toHaveLength(20);
      for (const alarm of result.alarms) raised.push(`seed ${seed}: ${alarm.message}`);
    }
    expect(raised).toEqual([]);
  });

  it('flags a shifted mean on exactly that feature, against the baseline and the previous window', () => {
    const result = evaluate(base, 7, { shiftX0: 0.5 });
    expect(result.outcome).toBe('alarm');
    expect(new Set(result.alarms.map((a) => a.subject))).toEqual(new Set(['x0']));
    expect(result.alarms.map((a) => `${a.comparison}:${a.statistic}`).sort()).toEqual([
      'baseline:ks',
      'baseline:psi',
      'previous:ks',
      'previous:psi',
    ]);
  });

  it('flags a new category with its share', () => {
    const result = evaluate(base, 8, { newPlanShare: 0.05 });
    const alarm = result.alarms.find(
      (a) => a.statistic === 'new_category_share' && a.comparison === 'baseline',
    );
    expect(alarm).toMatchObject({ subject: 'plan' });
    expect(alarm!.value).toBeGreaterThan(0.03);
    expect(alarm!.message).toContain('"enterprise"');
    const plan = result.againstBaseline!.features.find((f) => f.column === 'plan')!;
    expect(plan.categorical!.newCategories[0]!.value).toBe('enterprise');
    expect(result.alarms.every((a) => a.subject === 'plan')).toBe(true);
  });

  it('flags a rising null rate', () => {
    const result = evaluate(base, 9, { spendNullShare: 0.2 });
    const alarm = result.alarms.find(
      (a) => a.statistic === 'null_rate_change' && a.comparison === 'baseline',
    );
    expect(alarm).toMatchObject({ kind: 'data', subject: 'monthly_spend' });
    expect(alarm!.value).toBeGreaterThan(0.15);
    expect(result.alarms.every((a) => a.subject === 'monthly_spend')).toBe(true);
  });

  it('flags a quality drop when labels are flipped, with no drift alarm', () => {
    const result = evaluate(base, 10, { labelFlipShare: 0.3 });
    expect(result.alarms.length).toBeGreaterThan(0);
    expect(result.alarms.every((a) => a.kind === 'quality')).toBe(true);
    expect(result.alarms.map((a) => a.statistic)).toContain('auc');
    expect(result.quality!.auc!).toBeLessThan(base.quality!.auc! - 0.05);
  });

  it('reports an empty window as no-data without comparing anything', () => {
    const empty = new ProfileBuilder(SPEC).finish();
    const result = evaluateWindow({ model: 'churn', window: WINDOW, current: empty, baseline: base });
    expect(result).toMatchObject({ outcome: 'no-data', rows: 0, alarms: [], againstBaseline: null });
    expect(result.notes[0]).toBe(
      'no inference rows between 2026-01-01T00:00:00.000Z and 2026-01-08T00:00:00.000Z: nothing to compare',
    );
  });

  it('reports a feature missing from the inference table as a data alarm and compares the rest', () => {
    const rows = sampleRows(11, 2000).map(({ region: _dropped, ...rest }) => rest);
    const builder = new ProfileBuilder(SPEC);
    for (const row of rows) builder.addRow(row);
    const result = evaluateWindow({
      model: 'churn',
      window: WINDOW,
      current: builder.finish(),
      baseline: base,
    });
    expect(result.alarms).toEqual([
      expect.objectContaining({
        kind: 'data',
        subject: 'region',
        statistic: 'missing',
        comparison: 'baseline',
      }),
    ]);
    expect(result.notes).toContain("feature region is missing from the window's data");
    const statuses = result.againstBaseline!.features.map((f) => f.status);
    expect(statuses.filter((s) => s === 'compared')).toHaveLength(19);
  });

  it('notes what it skipped when there is no baseline, no previous window and few rows', () => {
    const current = windowOf(sampleRows(12, 50));
    const result = evaluateWindow({ model: 'churn', window: WINDOW, current: current.profile });
    expect(result.outcome).toBe('ok');
    expect(result.notes).toEqual([
      'only 50 rows in the window: drift alarms need at least 200 (minRows)',
      'no baseline is stored for this model version: drift against the baseline was skipped',
      'no earlier window with rows: drift against the previous window was skipped',
    ]);
  });

  it('applies per-feature overrides from the thresholds', () => {
    const result = evaluateWindow({
      model: 'churn',
      window: WINDOW,
      current: windowOf(sampleRows(13, 2000, { shiftX0: 0.5 })).profile,
      baseline: base,
      thresholds: { features: { x0: { ignore: true } } },
    });
    expect(result.alarms).toEqual([]);
  });
});

describe('createBaseline', () => {
  it('stores the training profile, the holdout prediction distribution and holdout quality', () => {
    const base = baseline();
    expect(base).toMatchObject({ model: 'churn', version: '3', createdAt: '2025-12-01T00:00:00.000Z' });
    expect(base.profile.rows).toBe(10_000);
    expect(base.profile.prediction).toMatchObject({ kind: 'numeric', count: 3000 });
    expect(base.quality!.labeled).toBe(3000);
    expect(base.quality!.auc!).toBeGreaterThan(0.6);
    expect(JSON.parse(JSON.stringify(base))).toEqual(base);
  });

  it('throws RangeError when the holdout labels do not match the predictions', () => {
    expect(() =>
      createBaseline({
        model: 'm',
        version: '1',
        task: 'regression',
        features: [],
        trainingRows: [],
        holdout: { predictions: [1, 2], labels: [1] },
      }),
    ).toThrow('holdout has 2 predictions but 1 labels');
  });
});
