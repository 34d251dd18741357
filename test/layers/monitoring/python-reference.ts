/**
 * Runs reference computations in Debian's Python (`/usr/bin/python3` with python3-scipy and
 * python3-numpy, installed by scripts/install-test-deps.sh). The PATH python3 lacks Debian's
 * packages. Without SciPy the reference tests skip with the reason, except under CI=true, where
 * they fail.
 */
import { spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

function probe(): string | null {
  const result = spawnSync(PYTHON, ['-c', 'import scipy, numpy'], { encoding: 'utf8' });
  if (result.error) return `${PYTHON} is not available (${result.error.message})`;
  if (result.status !== 0)
    return `python3-scipy is not installed (${result.stderr.trim().split('\n').at(-1)})`;
  return null;
}

const missing = probe();
if (missing && process.env.CI === 'true') {
  throw new Error(`${missing}: run scripts/install-test-deps.sh`);
}
if (missing) console.warn(`skipping SciPy reference tests: ${missing}; run scripts/install-test-deps.sh`);

/** True when SciPy can be used; reference tests run only then. */
export const scipyAvailable = missing === null;

/**
 * Runs `script` with the JSON-decoded `input` bound to the name `data`; the script assigns its
 * answer to `out`, which comes back JSON-decoded.
 */
export function python<T>(script: string, input: unknown): T {
  const program = [
    'import json, sys',
    'import numpy as np',
    'import scipy',
    'import scipy.stats, scipy.special, scipy.spatial.distance',
    'data = json.load(sys.stdin)',
    script,
    'print(json.dumps(out))',
  ].join('\n');
  const result = spawnSync(PYTHON, ['-c', program], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`reference script failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
