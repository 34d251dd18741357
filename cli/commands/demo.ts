import type { Command } from 'commander';
import { runDemo } from '../demo/run-demo.ts';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the platform end to end on a temporary data dir, then stop it')
    .option('--keep', 'keep the temporary data dir and print where it is')
    .action(async (options: { keep?: boolean }) => {
      await runDemo({ keep: options.keep ?? false });
    });
}
