/**
 * Access to Debian's real xgboost (`python3-xgboost`, installed by scripts/install-test-deps.sh)
 * for the comparison tests. When it is missing the tests skip with the reason, except under
 * CI=true, where a missing package is a failure.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter: the `python3` on PATH may be another Python without Debian's modules. */
export const PYTHON = process.env.MLOPS_XGBOOST_PYTHON ?? '/usr/bin/python3';

function probe(): string | undefined {
  const result = spawnSync(PYTHON, ['-c', 'import xgboost, numpy; print(xgboost.__version__)'], {
    encoding: 'utf8',
  });
  if (result.status === 0) return undefined;
  return `real xgboost is not available (${PYTHON} -c "import xgboost" failed: ${(result.stderr || String(result.error)).trim().split('\n').pop()}); install python3-xgboost with scripts/install-test-deps.sh`;
}

export const xgboostMissing = probe();

if (xgboostMissing) {
  if (process.env.CI === 'true') throw new Error(xgboostMissing);
  console.warn(`skipping: ${xgboostMissing}`);
}

/** Runs one of the helper scripts in ./python with arguments; throws with its stderr on failure. */
export function runPython(script: string, args: readonly string[], input?: string): string {
  const path = fileURLToPath(new URL(`./python/${script}`, import.meta.url));
  const result = spawnSync(PYTHON, [path, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return result.stdout;
}
