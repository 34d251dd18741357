/**
 * Monitoring: one run over 1M inference rows × 20 features (14 numeric, 6 categorical) — profile,
 * drift against the baseline, alarms, metric rows and the HTML report — each mode in a fresh
 * process so its peak RSS is its own. The rows are generated in batches as they are read; the
 * `generate` row is that cost alone.
 */
import { spawnSync } from 'node:child_process';
import type { BenchRow } from './run.ts';
import { formatMs } from './stats.ts';

const SCRIPT = new URL('./monitoring-run.ts', import.meta.url).pathname;
const ROWS = Number(process.env.MLOPS_BENCH_MONITORING_ROWS ?? 1_000_000);

function measure(mode: string): { wallMs: number; cpuMs: number; maxRssMb: number } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, String(ROWS), mode], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`monitoring bench (${mode}) failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}');
}

export async function run(): Promise<BenchRow[]> {
  const rows = ROWS.toLocaleString('en-US');
  const generate = measure('generate');
  const monitor = measure('monitor');
  const labels = measure('monitor-labels');
  const row = (
    what: string,
    m: { wallMs: number; cpuMs: number; maxRssMb: number },
    note: string,
  ): BenchRow => ({
    measurement: `${what}, ${rows} rows × 20 features`,
    kit: `${formatMs(m.wallMs)} wall (${formatMs(m.cpuMs)} CPU), peak RSS ${m.maxRssMb.toFixed(0)} MiB`,
    note,
  });
  return [
    row('monitoring run: profile + drift + alarms + report', monitor, 'includes generating the rows'),
    row(
      'monitoring run with a label joined to every row (quality)',
      labels,
      'includes generating rows and labels',
    ),
    row('generating the rows alone (subtract)', generate, 'the synthetic source, no monitoring'),
  ];
}
