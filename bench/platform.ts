/**
 * The local platform: cold start of `mlops local up` (a new process, an empty data dir) to the first
 * healthy `/health`, median of 5.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow } from './run.ts';
import { formatMs, median, since } from './stats.ts';

const BIN = new URL('../bin/mlops.mjs', import.meta.url).pathname;

async function coldStart(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mlops-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'local', 'up', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /API and MLflow tracking\s+(\S+)/.exec(out)?.[1];
        if (found) resolve(found);
      });
      child.once('exit', (code) => reject(new Error(`mlops local up exited with ${code}`)));
    });
    for (;;) {
      const response = await fetch(`${url}/health`).catch(() => undefined);
      if (response?.ok) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return since(started);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i += 1) samples.push(await coldStart());
  return [
    {
      measurement: '`mlops local up` cold start to healthy `/health` (median of 5)',
      kit: formatMs(median(samples)),
      note: `samples ${samples.map((s) => formatMs(s)).join(', ')}`,
    },
  ];
}
