import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { runDemo } from '../demo/run-demo.ts';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the platform end to end on a temporary data dir, then stop it')
    .option('--keep', 'keep the temporary data dir and print where it is')
    .option('--customers <n>', 'customers in the generated dataset', '3000')
    .action(async (options: { keep?: boolean; customers: string }) => {
      const customers = Number(options.customers);
      if (!Number.isInteger(customers) || customers < 200)
        throw new CliError(`--customers must be an integer of at least 200, got ${options.customers}`);
      await runDemo({ keep: options.keep ?? false, customers });
    });
}
