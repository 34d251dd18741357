/**
 * `mlops`: the kit's command line. Each capability registers its commands from `cli/commands/`.
 * Errors become one line on stderr and a non-zero exit code.
 */
import { Command, CommanderError } from 'commander';
import { isKitError } from '../layers/runtime/errors.ts';
import { CliError } from './cli-error.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerEndpointCommands } from './commands/endpoint.ts';
import { registerFeatureCommands } from './commands/features.ts';
import { registerLocalCommands } from './commands/local.ts';
import { registerModelCommands } from './commands/model.ts';
import { registerMonitorCommands } from './commands/monitor.ts';
import { registerPipelineCommands } from './commands/pipeline.ts';
import { registerPromoteCommand } from './commands/promote.ts';
import { registerQueryCommand } from './commands/query.ts';
import { registerTableCommands } from './commands/table.ts';

export function buildProgram(): Command {
  const program = new Command('mlops')
    .description('Serverless MLOps on AWS: lakehouse, tracking, registry, features, pipelines')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerLocalCommands(program);
  registerPipelineCommands(program);
  registerDemoCommand(program);
  registerPromoteCommand(program);
  registerFeatureCommands(program);
  registerMonitorCommands(program);
  registerModelCommands(program);
  registerEndpointCommands(program);

  registerTableCommands(program);
  registerQueryCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its own message (or the help); only the exit code is left to set.
    return error.exitCode;
  }
  if (error instanceof CliError) {
    process.stderr.write(`mlops: ${error.message}\n`);
    return error.exitCode;
  }
  if (isKitError(error) || (error instanceof Error && error.name === 'PlatformStartError')) {
    process.stderr.write(`mlops: ${firstLine((error as Error).message)}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`mlops: ${firstLine(message)}\n`);
  if (process.env.MLOPS_DEBUG) console.error(error);
  return 1;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
