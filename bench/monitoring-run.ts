/**
 * One monitoring run in its own process, so its peak memory is its own: `node --import tsx
 * bench/monitoring-run.ts <rows> <mode>` prints `{"wallMs", "maxRssMb"}`. Modes: `generate` (only
 * produce the rows, the cost to subtract), `monitor` (profile, drift, report), `monitor-labels`
 * (also join a label to every row and compute quality).
 */
import { createBaseline, type MonitoringWindow } from '../layers/monitoring/evaluate-window.ts';
import {
  MemoryBaselineStore,
  MemoryMetricsTable,
  MemoryReportStore,
  MemoryWindowProfileStore,
} from '../layers/monitoring/memory-stores.ts';
import {
  DRIFT_METRIC_KEYS,
  type DriftMetricRow,
  PROFILE_METRIC_KEYS,
  type ProfileMetricRow,
} from '../layers/monitoring/metric-rows.ts';
import type { LabelSource, PredictionSource, RowBatch } from '../layers/monitoring/ports.ts';
import type { ColumnSpec } from '../layers/monitoring/profile.ts';
import { seededRandom } from '../layers/monitoring/random.ts';
import { runMonitoring } from '../layers/monitoring/run-monitoring.ts';

const NUMERIC = 14;
const CATEGORICAL = 6;
const FEATURES: ColumnSpec[] = [
  ...Array.from({ length: NUMERIC }, (_, i) => ({ name: `n${i}`, kind: 'numeric' as const })),
  ...Array.from({ length: CATEGORICAL }, (_, i) => ({ name: `c${i}`, kind: 'categorical' as const })),
];
const CATEGORIES = Array.from({ length: 12 }, (_, i) => `value_${i}`);
const NUMERIC_NAMES = Array.from({ length: NUMERIC }, (_, i) => `n${i}`);
const CATEGORICAL_NAMES = Array.from({ length: CATEGORICAL }, (_, i) => `c${i}`);
const BATCH = 10_000;

function* rows(n: number, seed: number, shift: number): Generator<Record<string, unknown>[]> {
  const random = seededRandom(seed);
  for (let done = 0; done < n; done += BATCH) {
    const batch: Record<string, unknown>[] = [];
    for (let i = 0; i < Math.min(BATCH, n - done); i++) {
      const row: Record<string, unknown> = { request_id: done + i };
      for (let f = 0; f < NUMERIC; f++) {
        // Sum of three uniforms: a cheap bell shape.
        row[NUMERIC_NAMES[f] as string] = (random() + random() + random()) * (f + 1) + (f === 0 ? shift : 0);
      }
      for (let f = 0; f < CATEGORICAL; f++) {
        row[CATEGORICAL_NAMES[f] as string] = CATEGORIES[Math.floor(random() ** 2 * 12)];
      }
      row.prediction = random();
      batch.push(row);
    }
    yield batch;
  }
}

class GeneratedPredictions implements PredictionSource {
  constructor(
    private readonly n: number,
    private readonly window: MonitoringWindow,
  ) {}

  async *scan(window: MonitoringWindow): AsyncIterable<RowBatch> {
    if (window.end !== this.window.end) return;
    yield* rows(this.n, 42, 0.5);
  }
}

class GeneratedLabels implements LabelSource {
  constructor(private readonly n: number) {}

  async *scan(): AsyncIterable<RowBatch> {
    const random = seededRandom(7);
    for (let done = 0; done < this.n; done += BATCH) {
      const batch = [];
      for (let i = 0; i < Math.min(BATCH, this.n - done); i++) {
        batch.push({ request_id: done + i, label: random() < 0.3 ? 1 : 0 });
      }
      yield batch;
    }
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1_000_000);
  const mode = process.argv[3] ?? 'monitor';
  const window = { start: '2026-01-01T00:00:00.000Z', end: '2026-01-08T00:00:00.000Z' };
  const baselines = new MemoryBaselineStore();
  await baselines.put(
    createBaseline({
      model: 'bench',
      version: '1',
      task: 'binary-classification',
      features: FEATURES,
      trainingRows: (function* () {
        for (const batch of rows(50_000, 1, 0)) yield* batch;
      })(),
      holdout: { predictions: Array.from({ length: 5000 }, (_, i) => (i % 100) / 100) },
    }),
  );
  const rssBeforeMb = process.resourceUsage().maxRSS / 1024;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  if (mode === 'generate') {
    let count = 0;
    for (const batch of rows(n, 42, 0.5)) count += batch.length;
    if (count !== n) throw new Error('generator miscounted');
  } else {
    const labels = mode === 'monitor-labels';
    const run = await runMonitoring(
      {
        model: 'bench',
        ...(labels ? { labels: { keys: ['request_id'], labelColumn: 'label' }, lateLabelWindows: 0 } : {}),
      },
      window,
      {
        predictions: new GeneratedPredictions(n, window),
        ...(labels ? { labels: new GeneratedLabels(n) } : {}),
        baselines,
        windowProfiles: new MemoryWindowProfileStore(),
        profileMetrics: new MemoryMetricsTable<ProfileMetricRow>([...PROFILE_METRIC_KEYS]),
        driftMetrics: new MemoryMetricsTable<DriftMetricRow>([...DRIFT_METRIC_KEYS]),
        reports: new MemoryReportStore(),
      },
    );
    if (run.result.rows !== n) throw new Error(`profiled ${run.result.rows} rows, expected ${n}`);
    if (!run.result.alarms.some((a) => a.subject === 'n0'))
      throw new Error('the injected drift on n0 was missed');
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(
    `${JSON.stringify({ wallMs, cpuMs, maxRssMb: process.resourceUsage().maxRSS / 1024, rssBeforeMb })}\n`,
  );
}

await main();
