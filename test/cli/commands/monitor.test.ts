import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../../cli/commands/monitor.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import {
  append,
  createTable,
  lakehouseContext,
  openTable,
  readTable,
} from '../../../layers/lakehouse/index.ts';
import { loadRuntimeConfig } from '../../../layers/runtime/config.ts';
import { FEATURES, sampleRows } from '../../layers/monitoring/synthetic.ts';

const BIN = new URL('../../../bin/mlops.mjs', import.meta.url).pathname;
let platform: LocalPlatform;
let dir: string;

function mlops(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, ...platform.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const COLUMNS = [
  { name: 'request_id', type: 'string' },
  { name: 'timestamp', type: 'timestamp' },
  ...FEATURES.map((f) => ({ name: f.name, type: f.kind === 'numeric' ? 'double' : 'string' })),
  { name: 'prediction', type: 'double' },
];

function tableRows(seed: number, n: number, start: Date, drift = {}) {
  return sampleRows(seed, n, drift).map(({ label, ...row }, i) => {
    const out: Record<string, unknown> = {
      ...row,
      request_id: `${seed}-${i}`,
      timestamp: new Date(start.getTime() + i * 60_000),
    };
    for (const f of FEATURES)
      if (f.kind === 'numeric' && out[f.name] !== null) out[f.name] = Number(out[f.name]);
    return { row: out, label };
  });
}

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'mlops-monitor-cli-'));
  const lake = lakehouseContext(loadRuntimeConfig(platform.env));
  try {
    const training = openTable(lake, 's3://mlops-lakehouse/training/churn_v1');
    await createTable(training, {
      columns: COLUMNS.filter((c) => c.name !== 'timestamp' && c.name !== 'prediction').concat([
        { name: 'label', type: 'long' },
      ]),
    });
    await append(
      training,
      tableRows(1, 3000, new Date('2025-12-01T00:00:00Z')).map(({ row, label }) => {
        const { timestamp: _t, prediction: _p, ...rest } = row;
        return { ...rest, label: BigInt(label) };
      }),
    );
    const inference = openTable(lake, 's3://mlops-lakehouse/inference/churn');
    await createTable(inference, { columns: COLUMNS });
    await append(
      inference,
      tableRows(5, 1500, new Date('2026-01-02T00:00:00Z'), { shiftX0: 0.7 }).map((r) => r.row),
    );
  } finally {
    lake.destroy();
  }
});
afterAll(async () => {
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('mlops monitor', () => {
  it('stores a baseline from the training table, then runs a window and prints the report location', async () => {
    const baseline = await mlops([
      'monitor',
      'baseline',
      '--model',
      'churn',
      '--version',
      '1',
      '--training-table',
      's3://mlops-lakehouse/training/churn_v1',
      '--training-table-version',
      '1',
      '--exclude',
      'request_id',
    ]);
    expect(baseline.stderr).toBe('');
    expect(baseline.stdout).toContain(
      'baseline of churn v1 (3000 rows, 20 features): s3://mlops-artifacts/monitoring/churn/baselines/1.json',
    );

    const out = join(dir, 'report.html');
    const run = await mlops([
      'monitor',
      'run',
      '--model',
      'churn',
      '--window',
      '7d',
      '--end',
      '2026-01-08T00:00:00Z',
      '--out',
      out,
      '--fail-on-alarm',
    ]);
    expect(run.stderr).toBe('mlops: 2 alarm(s) raised (--fail-on-alarm)\n');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      'churn v1: alarm — 1500 rows in 2026-01-01T00:00:00.000Z → 2026-01-08T00:00:00.000Z',
    );
    expect(run.stdout).toContain('  alarm  x0: x0 PSI');
    expect(run.stdout).toContain(
      'report: s3://mlops-artifacts/monitoring/churn/reports/2026-01-08T00:00:00.000Z.html',
    );
    expect(readFileSync(out, 'utf8')).toContain('Crossed a threshold: <strong>x0</strong>.');
    expect(run.stdout).toMatch(
      /tracking run: [0-9a-f]{32} in experiment monitoring\/churn \(mlflow-artifacts:\/\d+\/[0-9a-f]{32}\/artifacts\/report\.html\)/,
    );

    const lake = lakehouseContext(loadRuntimeConfig(platform.env));
    try {
      const drift = await readTable(openTable(lake, 's3://mlops-lakehouse/monitoring/churn_drift_metrics'));
      expect(
        drift.rows
          .filter((r) => r.alarm === true)
          .map((r) => `${r.column}:${r.statistic}`)
          .sort(),
      ).toEqual(['x0:ks', 'x0:psi']);
    } finally {
      lake.destroy();
    }
  });

  it('reports an empty window without failing', async () => {
    const run = await mlops([
      'monitor',
      'run',
      '--model',
      'churn',
      '--window',
      '1d',
      '--end',
      '2025-06-01T00:00:00Z',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('churn v1: no-data — 0 rows');
  });

  it('rejects a malformed window with one line', async () => {
    const run = await mlops(['monitor', 'run', '--model', 'churn', '--window', 'weekly']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('mlops: --window must look like 30m, 12h, 7d or 2w, got weekly\n');
  });

  it('parses durations', () => {
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(() => parseDuration('0d')).toThrow('--window must look like 30m, 12h, 7d or 2w, got 0d');
  });
});
