import { readFileSync } from 'node:fs';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { localIntegrations } from '../../infra/local/integrations.ts';
import { runPipelineLocally } from '../../infra/local/pipeline-runner.ts';
import { PIPELINES, type PipelineDefinition } from '../../infra/platform/pipelines.ts';
import { type ExecutionRecord, progressLine } from '../../layers/pipelines/execution.ts';
import { ExecutionHistoryStore } from '../../layers/pipelines/history-store.ts';
import { listExecutions, startAndFollow } from '../../layers/pipelines/sfn-runner.ts';
import {
  clientConfig,
  createDocumentClient,
  createDynamoDbClient,
} from '../../layers/runtime/aws-clients.ts';
import { requireTable } from '../../layers/runtime/config.ts';
import { CliError } from '../cli-error.ts';
import { cliConfig, cliEnv } from '../environment.ts';

export function registerPipelineCommands(program: Command): void {
  const pipeline = program.command('pipeline').description('Run and inspect the Step Functions pipelines');

  pipeline
    .command('list')
    .description('List the pipelines and their state-machine files')
    .action(() => {
      for (const [name, definition] of Object.entries(PIPELINES)) {
        process.stdout.write(`${name.padEnd(20)} ${definition.file}  ${definition.description}\n`);
      }
    });

  pipeline
    .command('run <name>')
    .description('Run a pipeline: locally through aws-local-stepfunctions, or in AWS through Step Functions')
    .option('--input <json>', 'execution input as JSON, or @file.json', '{}')
    .action(async (name: string, options: { input: string }) => {
      const record = await runPipeline(name, parseInput(options.input), (line) =>
        process.stdout.write(`${line}\n`),
      );
      if (record.status !== 'SUCCEEDED') {
        throw new CliError(
          `pipeline ${name} ${record.status.toLowerCase()}: ${record.error ?? ''} ${record.cause ?? ''}`.trim(),
        );
      }
      process.stdout.write(`${JSON.stringify(record.output ?? null, null, 2)}\n`);
    });

  pipeline
    .command('history [name]')
    .description("Show recent executions, or one execution's events with --execution")
    .option('--execution <id>', 'show the events of this execution')
    .option('--limit <n>', 'how many executions', '20')
    .action(async (name: string | undefined, options: { execution?: string; limit: string }) => {
      if (name !== undefined) definitionOf(name);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CliError(`--limit must be a positive integer, got ${options.limit}`);
      const records = await history(name, options.execution, limit);
      for (const record of records) printRecord(record, options.execution !== undefined);
    });
}

/** Runs a pipeline where the CLI's environment points: the local platform, or AWS. */
export async function runPipeline(
  name: string,
  input: unknown,
  write: (line: string) => void,
): Promise<ExecutionRecord> {
  const definition = definitionOf(name);
  const config = cliConfig();
  let startedAt = Date.now();
  const onEvent = (event: Parameters<typeof progressLine>[0]) => {
    const line = progressLine(event, startedAt);
    if (line) write(line);
  };
  if (config.stage === 'local') {
    const env = cliEnv() as Record<string, string>;
    startedAt = Date.now();
    const record = await runPipelineLocally({
      name,
      pipeline: definition,
      env,
      input,
      integrations: localIntegrations(env),
      onEvent,
    });
    const ddb = createDynamoDbClient(config);
    await new ExecutionHistoryStore(createDocumentClient(ddb), requireTable(config, 'platform')).save(record);
    ddb.destroy();
    return record;
  }
  const client = new SFNClient(clientConfig(config, 'sfn'));
  try {
    return await startAndFollow(client, name, stateMachineArn(name), input, { onEvent });
  } finally {
    client.destroy();
  }
}

async function history(
  name: string | undefined,
  executionId: string | undefined,
  limit: number,
): Promise<ExecutionRecord[]> {
  const config = cliConfig();
  if (config.stage === 'local') {
    const ddb = createDynamoDbClient(config);
    const store = new ExecutionHistoryStore(createDocumentClient(ddb), requireTable(config, 'platform'));
    try {
      return executionId
        ? [await store.get(executionId)]
        : await store.list({ ...(name ? { pipeline: name } : {}), limit });
    } finally {
      ddb.destroy();
    }
  }
  if (!name) throw new CliError('in AWS, name the pipeline: mlops pipeline history <name>');
  const client = new SFNClient(clientConfig(config, 'sfn'));
  try {
    return await listExecutions(client, name, stateMachineArn(name), limit);
  } finally {
    client.destroy();
  }
}

function printRecord(record: ExecutionRecord, withEvents: boolean): void {
  const took = record.stoppedAt
    ? `${((Date.parse(record.stoppedAt) - Date.parse(record.startedAt)) / 1000).toFixed(1)} s`
    : '';
  process.stdout.write(
    `${record.startedAt}  ${record.pipeline.padEnd(16)} ${record.status.padEnd(10)} ${took.padStart(8)}  ${record.executionId}${record.error ? `  ${record.error}` : ''}\n`,
  );
  if (!withEvents) return;
  const started = Date.parse(record.startedAt);
  for (const event of record.events) {
    const line = progressLine(event, started);
    if (line) process.stdout.write(`${line}\n`);
  }
}

function definitionOf(name: string): PipelineDefinition {
  const definition = PIPELINES[name];
  if (!definition) {
    throw new CliError(`unknown pipeline ${name} (known: ${Object.keys(PIPELINES).join(', ') || 'none'})`);
  }
  return definition;
}

/** The deployed state machine's ARN, from `MLOPS_PIPELINE_<NAME>_ARN` (a stack output). */
function stateMachineArn(name: string): string {
  const variable = `MLOPS_PIPELINE_${name.toUpperCase().replaceAll('-', '_')}_ARN`;
  const arn = process.env[variable];
  if (!arn)
    throw new CliError(
      `${variable} is not set (the ${name} state machine's ARN, an output of the pipelines stack)`,
    );
  return arn;
}

function parseInput(text: string): unknown {
  const source = text.startsWith('@') ? readInputFile(text.slice(1)) : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new CliError(`--input is not valid JSON: ${(error as Error).message}`);
  }
}

function readInputFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read --input file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
