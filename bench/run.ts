/**
 * `npm run bench -- <suite> [...]`: runs benchmark suites and prints their results as Markdown
 * table rows (copied into the README's benchmark table). With no suite named, runs them all.
 */

export interface BenchRow {
  readonly measurement: string;
  readonly kit: string;
  /** The anchor measured in the same run (DuckDB, real xgboost, ...), where one runs here. */
  readonly anchor?: string;
  readonly note?: string;
}

export type BenchSuite = () => Promise<BenchRow[]>;

const SUITES: Record<string, () => Promise<{ run: BenchSuite }>> = {
  platform: () => import('./platform.ts'),
  tracking: () => import('./tracking.ts'),
  lakehouse: () => import('./lakehouse.ts'),
  features: () => import('./features.ts'),
  monitoring: () => import('./monitoring.ts'),
  registry: () => import('./registry.ts'),
  models: () => import('./models.ts'),
  demo: () => import('./demo.ts'),
};

async function main(args: string[]): Promise<number> {
  const names = args.length > 0 ? args : Object.keys(SUITES);
  const unknown = names.filter((name) => !(name in SUITES));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown suite ${unknown.join(', ')} (known: ${Object.keys(SUITES).join(', ')})\n`,
    );
    return 1;
  }
  for (const name of names) {
    const suite = await SUITES[name]!();
    process.stdout.write(
      `\n### ${name}\n\n| measurement | kit | anchor (same run) | note |\n|---|---|---|---|\n`,
    );
    for (const row of await suite.run()) {
      process.stdout.write(
        `| ${row.measurement} | ${row.kit} | ${row.anchor ?? '—'} | ${row.note ?? ''} |\n`,
      );
    }
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
