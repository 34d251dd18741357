import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/main.ts';
import { TABLES } from '../../infra/platform/tables.ts';

const BIN = new URL('../../bin/mlops.mjs', import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `mlops` entry point; `watch` sees stdout as it grows and may stop the command with SIGTERM. */
function mlops(args: string[], watch?: (stdout: string, stop: () => void) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      watch?.(stdout, () => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

describe('mlops CLI', () => {
  it('has a description and --help on every subcommand', () => {
    for (const command of allCommands(buildProgram())) {
      expect(command.description(), command.name()).not.toBe('');
      expect(command.helpInformation()).toContain('-h, --help');
    }
  });

  it('prints export lines for the local platform at the requested port', async () => {
    const run = await mlops(['local', 'env', '--port', '6100']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("export AWS_ENDPOINT_URL_DYNAMODB='http://127.0.0.1:6101'");
    expect(run.stdout).toContain("export AWS_ENDPOINT_URL_S3='http://127.0.0.1:6102'");
    expect(run.stdout).toContain("export MLFLOW_TRACKING_URI='http://127.0.0.1:6100'");
    expect(run.stdout).toContain(`export ${TABLES.deltaLog.envVar}='delta_log'`);
  });

  it('rejects a bad port with one line on stderr and exit code 1', async () => {
    const run = await mlops(['local', 'up', '--port', 'abc']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('mlops: --port must be an integer from 0 to 65535, got abc\n');
  });

  it('rejects an unknown command with a non-zero exit', async () => {
    const run = await mlops(['no-such-command']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("unknown command 'no-such-command'");
  });

  it('starts the platform with `local up`, serves /health and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mlops-cli-test-'));
    dirs.push(dataDir);
    let health: Promise<unknown> | undefined;
    const run = await mlops(['local', 'up', '--port', '0', '--data-dir', dataDir], (stdout, stop) => {
      const url = /API and MLflow tracking\s+(\S+)/.exec(stdout)?.[1];
      if (!url || health) return;
      health = fetch(`${url}/health`)
        .then((response) => response.json())
        .finally(stop);
    });
    expect(run.code).toBe(0);
    expect(await health).toMatchObject({ status: 'ok' });
    expect(run.stdout).toContain('mlops local platform stopped');
  });
});

describe('mlops pipeline', () => {
  it('rejects an unknown pipeline with one line and exit code 1', async () => {
    const run = await mlops(['pipeline', 'run', 'no-such-pipeline']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^mlops: unknown pipeline no-such-pipeline \(known: .*\)\n$/);
  });
});
