import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleAssetCommands } from '../../../infra/constructs/kit-function.ts';
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
    await build({
      entryPoints: [entry],
      outfile: join(work, 'index.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      external: ['@aws-sdk/*'],
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire as __kitCreateRequire } from 'node:module'; const require = __kitCreateRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
  } finally {
    rmSync(entry, { force: true });
  }
  for (const command of bundleAssetCommands(ROOT, work)) execSync(command, { shell: '/bin/bash' });
  return work;
}

describe('KitFunction bundles', () => {
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
