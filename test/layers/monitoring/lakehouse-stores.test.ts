import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  append,
  createTable,
  FsObjectStore,
  openLocalTable,
  readTable,
} from '../../../layers/lakehouse/index.ts';
import { createBaseline } from '../../../layers/monitoring/evaluate-window.ts';
import {
  LakehouseLabelSource,
  LakehouseMetricsTable,
  LakehousePredictionSource,
  ObjectBaselineStore,
  ObjectReportStore,
  ObjectWindowProfileStore,
} from '../../../layers/monitoring/lakehouse-stores.ts';
import {
  DRIFT_METRIC_COLUMNS,
  DRIFT_METRIC_KEYS,
  type DriftMetricRow,
  MODEL_COLUMN,
  PROFILE_METRIC_COLUMNS,
  PROFILE_METRIC_KEYS,
  type ProfileMetricRow,
} from '../../../layers/monitoring/metric-rows.ts';
import { runMonitoring, windowEnding } from '../../../layers/monitoring/run-monitoring.ts';
import { FEATURES, sampleRows } from './synthetic.ts';

const WEEK = 7 * 86_400_000;
const FIRST_END = new Date('2026-01-08T00:00:00.000Z');
const week = (n: number) => windowEnding(new Date(FIRST_END.getTime() + n * WEEK), WEEK);
const dir = mkdtempSync(join(tmpdir(), 'mlops-monitoring-lake-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inferenceRows(n: number, drift = {}) {
  const { start } = week(n);
  return sampleRows(900 + n, 800, drift).map(({ label: _label, ...row }, i) => ({
    ...row,
    request_id: `w${n}-${i}`,
    timestamp: new Date(Date.parse(start) + Math.floor((i / 800) * WEEK)),
  }));
}

describe('monitoring over lakehouse tables', () => {
  it("recomputes a window's quality when labels land in the ground-truth table, with no duplicate rows", async () => {
    const inference = openLocalTable(join(dir, 'inference'));
    await createTable(inference, {
      columns: [
        { name: 'request_id', type: 'string' },
        { name: 'timestamp', type: 'timestamp' },
        ...FEATURES.map((f) => ({ name: f.name, type: f.kind === 'numeric' ? 'double' : 'string' })),
        { name: 'prediction', type: 'double' },
      ],
    });
    const labelsTable = openLocalTable(join(dir, 'labels'));
    await createTable(labelsTable, {
      columns: [
        { name: 'request_id', type: 'string' },
        { name: 'label', type: 'long' },
      ],
    });
    const numericToDouble = (rows: Record<string, unknown>[]) =>
      rows.map((row) => {
        const out: Record<string, unknown> = { ...row };
        for (const f of FEATURES)
          if (f.kind === 'numeric' && out[f.name] !== null) out[f.name] = Number(out[f.name]);
        return out;
      });
    const weekZero = inferenceRows(0);
    await append(inference, numericToDouble(weekZero));
    await append(inference, numericToDouble(inferenceRows(1, { shiftX0: 0.6 })));

    const objects = new FsObjectStore(join(dir, 'artifacts'));
    const baselines = new ObjectBaselineStore(objects);
    const holdout = sampleRows(2, 1500);
    await baselines.put(
      createBaseline({
        model: 'churn',
        version: '4',
        task: 'binary-classification',
        features: FEATURES,
        trainingRows: sampleRows(1, 4000),
        holdout: { predictions: holdout.map((r) => r.prediction), labels: holdout.map((r) => r.label) },
      }),
    );
    const profileTable = openLocalTable(join(dir, 'churn_profile_metrics'));
    const driftTable = openLocalTable(join(dir, 'churn_drift_metrics'));
    const deps = {
      predictions: new LakehousePredictionSource([{ table: inference, timeColumn: 'timestamp' }]),
      labels: new LakehouseLabelSource(labelsTable),
      baselines,
      windowProfiles: new ObjectWindowProfileStore(objects),
      profileMetrics: new LakehouseMetricsTable<ProfileMetricRow>(
        () => profileTable,
        PROFILE_METRIC_COLUMNS,
        PROFILE_METRIC_KEYS,
        (m) => `${m}_profile_metrics`,
      ),
      driftMetrics: new LakehouseMetricsTable<DriftMetricRow>(
        () => driftTable,
        DRIFT_METRIC_COLUMNS,
        DRIFT_METRIC_KEYS,
        (m) => `${m}_drift_metrics`,
      ),
      reports: new ObjectReportStore(objects),
    };
    const config = {
      model: 'churn',
      labels: { keys: ['request_id'], labelColumn: 'label' },
      lateLabelWindows: 2,
    };

    const first = await runMonitoring(config, week(0), deps);
    expect(first.result).toMatchObject({ rows: 800, outcome: 'ok', modelVersion: '4' });

    const labels = sampleRows(900, 800).map((r, i) => ({
      request_id: weekZero[i]!.request_id,
      label: BigInt(r.label),
    }));
    await append(labelsTable, labels);
    const second = await runMonitoring(config, week(1), deps);
    expect(second.recomputedQuality).toEqual([{ window: week(0), labeled: 800 }]);
    expect(new Set(second.result.alarms.map((a) => a.subject))).toEqual(new Set(['x0']));
    expect(second.report).toBe(`${objects.root}/churn/reports/${week(1).end}.html`);
    await runMonitoring(config, week(1), deps);

    const { rows } = await readTable(profileTable);
    const keys = rows.map((r) => `${(r.window_end as Date).toISOString()}|${r.column}|${r.metric}`);
    expect(new Set(keys).size).toBe(keys.length);
    const auc = rows.filter(
      (r) =>
        r.column === MODEL_COLUMN &&
        r.metric === 'auc' &&
        (r.window_end as Date).toISOString() === week(0).end,
    );
    expect(auc).toHaveLength(1);
    expect(auc[0]!.value as number).toBeGreaterThan(0.6);
    const drift = (await readTable(driftTable)).rows;
    const driftKeys = drift.map(
      (r) => `${(r.window_end as Date).toISOString()}|${r.comparison}|${r.column}|${r.statistic}`,
    );
    expect(new Set(driftKeys).size).toBe(driftKeys.length);
    expect(
      drift
        .filter((r) => r.alarm === true)
        .map((r) => `${r.comparison}:${r.column}:${r.statistic}`)
        .sort(),
    ).toEqual(['baseline:x0:ks', 'baseline:x0:psi', 'previous:x0:ks', 'previous:x0:psi']);
  });
});
