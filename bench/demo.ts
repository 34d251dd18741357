/**
 * Wall time of each stage of `npm run demo` (3000 customers) and of the whole demo, from one run.
 * No anchor runs here: the figure to compare with is the budget of 3 minutes.
 */
import { runDemo } from '../cli/demo/run-demo.ts';
import type { BenchRow } from './run.ts';

export async function run(): Promise<BenchRow[]> {
  const { runner, report } = await runDemo({ write: () => {} });
  return [
    ...runner.results.map((result) => ({
      measurement: `demo: ${result.name}`,
      kit: `${result.seconds.toFixed(2)} s`,
    })),
    {
      measurement: 'demo: whole run (3000 customers)',
      kit: `${report.seconds.toFixed(1)} s`,
      note: 'budget 180 s',
    },
  ];
}
