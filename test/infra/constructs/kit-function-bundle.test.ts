import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleAssetCommands, kitEsbuildOptions } from '../../../infra/constructs/kit-function.ts';
import { FUNCTIONS } from '../../../infra/platform/functions.ts';
import { PIPELINES } from '../../../infra/platform/pipelines.ts';
import { PARQUET_WASM_FILE } from '../../../layers/lakehouse/parquet-engine.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Bundles an entry as KitFunction does (ESM, node22, require banner) and runs the after-bundling hook. */
async function bundle(source: string): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'kit-bundle-'));
  dirs.push(work);
  const entry = join(ROOT, `.bundle-test-${process.pid}-${dirs.length}.ts`);
  writeFileSync(entry, source);
  try {
    await build({ ...kitEsbuildOptions(entry), outfile: join(work, 'index.mjs') });
  } finally {
    rmSync(entry, { force: true });
  }
  for (const command of bundleAssetCommands(ROOT, work)) execSync(command, { shell: '/bin/bash' });
  return work;
}

const ENTRIES = [
  ...Object.values(FUNCTIONS).map((definition) => ({
    entry: definition.entry,
    native: [] as readonly string[],
  })),
  ...Object.values(PIPELINES).flatMap((pipeline) =>
    Object.values(pipeline.tasks).map((task) => ({ entry: task.entry, native: task.nativeModules ?? [] })),
  ),
];

describe('KitFunction bundles', () => {
  it('build for every function and pipeline task, native binaries loaded only where installed', async () => {
    const failures: string[] = [];
    for (const { entry, native } of ENTRIES) {
      const result = await build({
        ...kitEsbuildOptions(join(ROOT, entry), native),
        write: false,
        minify: false,
      }).catch((error: Error) => {
        failures.push(`${entry}: ${error.message.split('\n')[1] ?? error.message}`);
        return undefined;
      });
      if (!result) continue;
      // A static import of an external native module would fail at load in a function without it.
      const text = result.outputFiles[0]?.text ?? '';
      if (!native.includes('@duckdb/node-api') && /from\s*["']@duckdb\/node-api["']/.test(text)) {
        failures.push(`${entry}: imports @duckdb/node-api statically but does not install it`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('carry the Parquet encoder beside a bundle that writes data files, and it runs without node_modules', async () => {
    const dir = await bundle(`
      import { writeFileSync } from 'node:fs';
      import { writeParquetFile } from './layers/lakehouse/parquet-write.ts';
      const fields = [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'name', type: 'string', nullable: true, metadata: {} },
      ];
      const file = await writeParquetFile(fields, [{ id: 1n, name: 'a' }, { id: 2n, name: null }]);
      writeFileSync(process.argv[2], file.bytes);
      console.log(file.stats);
    `);
    expect(existsSync(join(dir, PARQUET_WASM_FILE))).toBe(true);
    const output = join(dir, 'out.parquet');
    const stats = execFileSync(process.execPath, [join(dir, 'index.mjs'), output], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(JSON.parse(stats)).toEqual({
      numRecords: 2,
      minValues: { id: 1, name: 'a' },
      maxValues: { id: 2, name: 'a' },
      nullCount: { id: 0, name: 1 },
    });
    const bytes = readFileSync(output);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect(parquetMetadata(file).num_rows).toBe(2n);
    expect(await parquetReadObjects({ file })).toEqual([
      { id: 1n, name: 'a' },
      { id: 2n, name: null },
    ]);
  });

  it('leave the encoder out of a bundle that does not write data files', async () => {
    const dir = await bundle(`console.log('no lakehouse here');`);
    expect(existsSync(join(dir, PARQUET_WASM_FILE))).toBe(false);
  });
});
