import { describe, expect, it } from 'vitest';
import { createBaseline } from '../../../layers/monitoring/evaluate-window.ts';
import {
  MemoryBaselineStore,
  MemoryLabelSource,
  MemoryMetricsTable,
  MemoryReportStore,
  MemoryRowSource,
  MemoryWindowProfileStore,
} from '../../../layers/monitoring/memory-stores.ts';
import {
  DRIFT_METRIC_KEYS,
  type DriftMetricRow,
  MODEL_COLUMN,
  PROFILE_METRIC_KEYS,
  type ProfileMetricRow,
} from '../../../layers/monitoring/metric-rows.ts';
import {
  type MonitorConfig,
  runMonitoring,
  windowEnding,
} from '../../../layers/monitoring/run-monitoring.ts';
import { type Drift, FEATURES, sampleRows } from './synthetic.ts';

const WEEK = 7 * 86_400_000;
const FIRST_END = new Date('2026-01-08T00:00:00.000Z');

function predictionsFor(week: number, drift: Drift = {}) {
  const { start } = windowEnding(new Date(FIRST_END.getTime() + week * WEEK), WEEK);
  return sampleRows(700 + week, 1200, drift).map((row, i) => ({
    ...row,
    request_id: `w${week}-${i}`,
    ts: new Date(Date.parse(start) + Math.floor((i / 1200) * WEEK)),
  }));
}

function setup() {
  const holdout = sampleRows(2, 2000);
  const baselines = new MemoryBaselineStore();
  const predictions = new MemoryRowSource('ts', 500);
  const labels = new MemoryLabelSource();
  const deps = {
    predictions,
    labels,
    baselines,
    windowProfiles: new MemoryWindowProfileStore(),
    profileMetrics: new MemoryMetricsTable<ProfileMetricRow>([...PROFILE_METRIC_KEYS]),
    driftMetrics: new MemoryMetricsTable<DriftMetricRow>([...DRIFT_METRIC_KEYS]),
    reports: new MemoryReportStore(),
    now: () => new Date('2026-02-01T00:00:00Z'),
  };
  const baseline = createBaseline({
    model: 'churn',
    version: '3',
    task: 'binary-classification',
    features: FEATURES,
    trainingRows: sampleRows(1, 5000),
    holdout: { predictions: holdout.map((r) => r.prediction), labels: holdout.map((r) => r.label) },
  });
  const config: MonitorConfig = {
    model: 'churn',
    labels: { keys: ['request_id'], labelColumn: 'label' },
    lateLabelWindows: 3,
  };
  return { deps, baseline, config, predictions, labels, baselines };
}

const week = (n: number) => windowEnding(new Date(FIRST_END.getTime() + n * WEEK), WEEK);

describe('runMonitoring', () => {
  it('compares with the previous window, flags drift and stores a report', async () => {
    const { deps, baseline, config, predictions, baselines } = setup();
    await baselines.put(baseline);
    predictions.add(predictionsFor(0));
    predictions.add(predictionsFor(1, { shiftX0: 0.6 }));
    const first = await runMonitoring(config, week(0), deps);
    expect(first.result).toMatchObject({
      outcome: 'ok',
      rows: 1200,
      modelVersion: '3',
      previousWindow: null,
    });
    const second = await runMonitoring(config, week(1), deps);
    expect(second.result.previousWindow).toEqual(week(0));
    expect(new Set(second.result.alarms.map((a) => `${a.comparison}:${a.subject}`))).toEqual(
      new Set(['baseline:x0', 'previous:x0']),
    );
    expect(second.report).toBe('memory://reports/churn/2026-01-15T00:00:00.000Z.html');
    const html = deps.reports.reports.get(second.report)!;
    expect(html).toContain('Crossed a threshold: <strong>x0</strong>.');
    const drift = await deps.driftMetrics.scan('churn');
    const alarmed = drift.filter((r) => r.alarm).map((r) => `${r.comparison}:${r.column}:${r.statistic}`);
    expect(alarmed.sort()).toEqual([
      'baseline:x0:ks',
      'baseline:x0:psi',
      'previous:x0:ks',
      'previous:x0:psi',
    ]);
  });

  it("recomputes a window's quality when its labels arrive, without duplicate rows", async () => {
    const { deps, baseline, config, predictions, labels, baselines } = setup();
    await baselines.put(baseline);
    const weekZero = predictionsFor(0);
    predictions.add(weekZero);
    predictions.add(predictionsFor(1));
    predictions.add(predictionsFor(2));

    await runMonitoring(config, week(0), deps);
    const auc = async (n: number) =>
      (await deps.profileMetrics.scan('churn')).filter(
        (r) => r.column === MODEL_COLUMN && r.metric === 'auc' && r.window_end.toISOString() === week(n).end,
      );
    expect(await auc(0)).toEqual([expect.objectContaining({ value: null })]);

    // Week 0's labels arrive during week 1; the run for week 1 recomputes week 0's quality.
    labels.add(weekZero.map((row) => ({ request_id: row.request_id, label: row.label })));
    const second = await runMonitoring(config, week(1), deps);
    expect(second.recomputedQuality).toEqual([{ window: week(0), labeled: 1200 }]);
    const recomputed = await auc(0);
    expect(recomputed).toHaveLength(1);
    expect(recomputed[0]!.value).toBeGreaterThan(0.6);

    const before = (await deps.profileMetrics.scan('churn')).length;
    const driftBefore = (await deps.driftMetrics.scan('churn')).length;
    await runMonitoring(config, week(1), deps);
    await runMonitoring(config, week(2), deps);
    await runMonitoring(config, week(2), deps);
    const profileRows = await deps.profileMetrics.scan('churn');
    const keys = profileRows.map((r) => `${r.window_end.toISOString()}|${r.column}|${r.metric}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(profileRows.length).toBeGreaterThan(before);
    expect((await auc(0))[0]!.value).toBe(recomputed[0]!.value);
    expect((await deps.driftMetrics.scan('churn')).length).toBeGreaterThan(driftBefore);

    const report = deps.reports.reports.get('memory://reports/churn/2026-01-22T00:00:00.000Z.html')!;
    expect(report).toContain('<h2>Quality over time</h2><div class="grid" id="quality">');
  });

  it('reports a model with no inference rows as no-data and stores no profile', async () => {
    const { deps, baseline, config, baselines } = setup();
    await baselines.put(baseline);
    const run = await runMonitoring(config, week(0), deps);
    expect(run.result.outcome).toBe('no-data');
    expect(await deps.windowProfiles.latestEndingBy('churn', week(5).end)).toBeNull();
    expect(deps.reports.reports.get(run.report)).toContain('No inference rows in this window.');
  });

  it('profiles the columns it finds when the model has no baseline', async () => {
    const { deps, config, predictions } = setup();
    predictions.add(predictionsFor(0));
    const run = await runMonitoring(config, week(0), deps);
    expect(run.result.notes).toContain(
      'no baseline is stored for this model version: drift against the baseline was skipped',
    );
    const profiled = await deps.windowProfiles.latestEndingBy('churn', week(0).end);
    expect(Object.keys(profiled!.profile.features)).toContain('plan');
    expect(profiled!.profile.features.x0?.kind).toBe('numeric');
  });

  it('throws InvalidParameterError for a window that ends before it starts', async () => {
    const { deps, config } = setup();
    await expect(
      runMonitoring(config, { start: '2026-01-08T00:00:00Z', end: '2026-01-01T00:00:00Z' }, deps),
    ).rejects.toThrow('window end must be after its start, got 2026-01-08T00:00:00Z → 2026-01-01T00:00:00Z');
  });
});
