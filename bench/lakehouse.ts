/**
 * `npm run bench -- lakehouse`: the lakehouse against DuckDB doing the same work in the same run.
 *
 * - append 1M rows × 10 mixed columns (time and peak RSS) vs DuckDB `COPY … TO parquet` of the same
 *   shape generated in SQL;
 * - full scan of those rows, every value handed to JavaScript, vs DuckDB doing the same
 *   (`getRowObjectsJS`), with DuckDB aggregating the columns in C++ as its floor;
 * - a selective scan (`id` in a 1,000-row range, 20 files) where file skipping reads one file, vs
 *   DuckDB on the same files (which prunes row groups by their statistics), rows to JavaScript;
 * - optimize of 200 small files vs DuckDB rewriting the same 200 files into one.
 *
 * Tables live in a temporary directory (the local-filesystem object store), so both sides read and
 * write the same local disk; the commit protocol is not what is measured here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  append,
  createTable,
  loadSnapshot,
  openLocalTable,
  optimize,
  type Row,
  readTable,
  scanBatches,
} from '../layers/lakehouse/index.ts';
import type { BenchRow } from './run.ts';
import { formatMs, median, since } from './stats.ts';

const ROWS = Number(process.env.LAKEHOUSE_BENCH_ROWS ?? 1_000_000);
const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'NL', 'BE', 'PL', 'SE', 'PT', 'AT'];
const COLUMNS = [
  { name: 'id', type: 'long' },
  { name: 'user_id', type: 'integer' },
  { name: 'score', type: 'double' },
  { name: 'ratio', type: 'float' },
  { name: 'country', type: 'string' },
  { name: 'flag', type: 'boolean' },
  { name: 'day', type: 'date' },
  { name: 'at', type: 'timestamp' },
  { name: 'amount', type: 'decimal(12,2)' },
  { name: 'note', type: 'string' },
] as const;

function rows(start: number, count: number): Row[] {
  const out: Row[] = new Array(count);
  const base = Date.UTC(2026, 0, 1);
  for (let k = 0; k < count; k++) {
    const i = start + k;
    out[k] = {
      id: BigInt(i),
      user_id: i % 50_000,
      score: (i % 1000) / 7,
      ratio: (i % 100) / 4,
      country: COUNTRIES[i % COUNTRIES.length] as string,
      flag: i % 3 === 0,
      day: new Date(base + (i % 365) * 86_400_000),
      at: new Date(base + i * 1000),
      amount: `${Math.floor(i / 100) % 100000}.${String(i % 100).padStart(2, '0')}`,
      note: i % 10 === 0 ? null : `note-${i % 997}`,
    };
  }
  return out;
}

const DUCK_ROWS = (
  n: number,
) => `SELECT i::BIGINT AS id, (i % 50000)::INTEGER AS user_id, (i % 1000) / 7.0 AS score,
  ((i % 100) / 4.0)::FLOAT AS ratio, ['FR','DE','ES','IT','NL','BE','PL','SE','PT','AT'][(i % 10) + 1] AS country,
  i % 3 = 0 AS flag, DATE '2026-01-01' + (i % 365)::INTEGER AS day,
  TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i) AS at, (i / 100.0)::DECIMAL(12,2) AS amount,
  CASE WHEN i % 10 = 0 THEN NULL ELSE 'note-' || (i % 997) END AS note
  FROM range(${n}) t(i)`;

/** Runs `work` while sampling the process RSS; returns its time and the peak RSS. */
async function measured<T>(work: () => Promise<T>): Promise<{ ms: number; peakMb: number; value: T }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { ms: since(start), peakMb: peak / 1024 / 1024, value };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs `work` `warmUp` times untimed (the JIT compiles the path), then n times; the median of those,
 * the very first run's time and the last value.
 */
async function medianOf<T>(
  n: number,
  work: () => Promise<T>,
  warmUp = 0,
): Promise<{ ms: number; first: number; value: T }> {
  let first: number | undefined;
  for (let i = 0; i < warmUp; i++) {
    const start = performance.now();
    await work();
    first ??= since(start);
  }
  const times: number[] = [];
  let value: T | undefined;
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    value = await work();
    times.push(since(start));
  }
  return { ms: median(times), first: first ?? (times[0] as number), value: value as T };
}

const ratio = (kit: number, anchor: number) => `${(kit / anchor).toFixed(1)}×`;

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lakehouse-bench-'));
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run('SET autoinstall_known_extensions = false');
  const results: BenchRow[] = [];
  try {
    // 1. Append 1M rows (generation included on neither side).
    const table = openLocalTable(join(dir, 'wide'));
    await createTable(table, { columns: COLUMNS });
    const data = rows(0, ROWS);
    const kitAppend = await measured(() => append(table, data, { targetFileRows: ROWS }));
    const duckWrite = await measured(() =>
      duck.run(
        `COPY (${DUCK_ROWS(ROWS)}) TO '${join(dir, 'duck.parquet')}' (FORMAT parquet, COMPRESSION snappy)`,
      ),
    );
    results.push({
      measurement: `append ${ROWS.toLocaleString('en')} rows × 10 columns (one file)`,
      kit: `${formatMs(kitAppend.ms)}, peak RSS ${kitAppend.peakMb.toFixed(0)} MB`,
      anchor: `DuckDB COPY TO parquet ${formatMs(duckWrite.ms)}`,
      note: `kit/DuckDB ${ratio(kitAppend.ms, duckWrite.ms)}; RSS includes the ${ROWS.toLocaleString('en')} input rows held as JS objects`,
    });
    data.length = 0;

    // 2. Full scan: every column of every row.
    const files = (await loadSnapshot(table)).files.map((f) => join(dir, 'wide', decodeURIComponent(f.path)));
    const kitScan = await measured(async () => {
      let n = 0;
      for await (const batch of scanBatches(table)) n += batch.length;
      return n;
    });
    const list = `[${files.map((f) => `'${f}'`).join(',')}]`;
    // The same work: every value of every row handed to JavaScript.
    const duckRows = await measured(async () => {
      const reader = await duck.runAndReadAll(`SELECT * FROM read_parquet(${list})`);
      return reader.getRowObjectsJS().length;
    });
    // DuckDB's floor: the same columns aggregated inside DuckDB, no row reaching JavaScript.
    const duckScan = await measured(() =>
      duck.runAndReadAll(
        `SELECT count(*), sum(id), sum(user_id), sum(score), sum(ratio), max(country), count_if(flag), max(day), max("at"), sum(amount), max(note) FROM read_parquet(${list})`,
      ),
    );
    results.push({
      measurement: `full scan, ${kitScan.value.toLocaleString('en')} rows, every column of every row to JavaScript`,
      kit: `${formatMs(kitScan.ms)}, peak RSS ${kitScan.peakMb.toFixed(0)} MB`,
      anchor: `DuckDB reading the rows into JavaScript (\`getRowObjectsJS\`) ${formatMs(duckRows.ms)}; aggregating them inside DuckDB ${formatMs(duckScan.ms)}`,
      note: `kit/DuckDB ${ratio(kitScan.ms, duckRows.ms)} for the same work (${duckRows.value.toLocaleString('en')} rows); ${ratio(kitScan.ms, duckScan.ms)} against DuckDB never leaving C++`,
    });

    // 3. Selective scan over 20 files: file skipping reads one.
    const sliced = openLocalTable(join(dir, 'sliced'));
    await createTable(sliced, { columns: COLUMNS });
    const per = Math.ceil(ROWS / 20);
    for (let f = 0; f < 20; f++) await append(sliced, rows(f * per, per));
    const lo = Math.floor(ROWS / 2);
    const where = `id >= ${lo} AND id < ${lo + 1000}`;
    const slicedFiles = (await loadSnapshot(sliced)).files.map(
      (f) => `'${join(dir, 'sliced', decodeURIComponent(f.path))}'`,
    );
    // Median of 5 on each side after 3 untimed runs: single queries of a few milliseconds are at the
    // timer's and the JIT's mercy (the kit's first run is reported beside).
    const kitSelective = await medianOf(5, () => readTable(sliced, { where }), 3);
    const duckSelective = await medianOf(
      5,
      async () => {
        const reader = await duck.runAndReadAll(
          `SELECT * FROM read_parquet([${slicedFiles.join(',')}]) WHERE ${where}`,
        );
        return reader.getRowObjectsJS();
      },
      3,
    );
    results.push({
      measurement: `selective scan (1,000 of ${ROWS.toLocaleString('en')} rows, 20 files, rows to JavaScript; median of 5 after 3 warm-up runs)`,
      kit: `${formatMs(kitSelective.ms)} (${kitSelective.value.skippedFiles} of 20 files skipped)`,
      anchor: `DuckDB ${formatMs(duckSelective.ms)}`,
      note: `kit/DuckDB ${ratio(kitSelective.ms, duckSelective.ms)}; ${kitSelective.value.rows.length} rows returned (DuckDB ${duckSelective.value.length}); the first kit scan of the process: ${formatMs(kitSelective.first)}`,
    });

    // 4. Optimize 200 small files.
    const small = openLocalTable(join(dir, 'small'));
    await createTable(small, { columns: COLUMNS });
    for (let f = 0; f < 200; f++) await append(small, rows(f * 1000, 1000));
    const smallFiles = (await loadSnapshot(small)).files.map(
      (f) => `'${join(dir, 'small', decodeURIComponent(f.path))}'`,
    );
    const duckCompact = await measured(() =>
      duck.run(
        `COPY (SELECT * FROM read_parquet([${smallFiles.join(',')}])) TO '${join(dir, 'compacted.parquet')}' (FORMAT parquet)`,
      ),
    );
    const kitOptimize = await measured(() => optimize(small));
    results.push({
      measurement: 'optimize 200 small files (200,000 rows) into one',
      kit: `${formatMs(kitOptimize.ms)} (${kitOptimize.value.removedFiles} → ${kitOptimize.value.addedFiles} files, one commit)`,
      anchor: `DuckDB read + COPY ${formatMs(duckCompact.ms)}`,
      note: `kit/DuckDB ${ratio(kitOptimize.ms, duckCompact.ms)}`,
    });
    return results;
  } finally {
    duck.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}
