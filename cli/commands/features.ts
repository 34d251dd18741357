/**
 * `mlops features ...`: the feature store from the command line — definitions (plan, apply, list),
 * training sets, materialization and online lookups.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDefinitionFile } from '../../layers/features/definition-file.ts';
import { DefinitionError } from '../../layers/features/errors.ts';
import { applyPlan, formatPlan, planDefinitions } from '../../layers/features/plan.ts';
import { DynamoDbFeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { createDocumentClient, createDynamoDbClient } from '../../layers/runtime/aws-clients.ts';
import { type RuntimeConfig, requireTable } from '../../layers/runtime/config.ts';
import { CliError } from '../cli-error.ts';
import { cliConfig } from '../environment.ts';

export function registerFeatureCommands(program: Command): void {
  const features = program
    .command('features')
    .description('Feature store: definitions, training sets, online store');

  features
    .command('plan')
    .description('Show what `features apply` would change in the feature registry')
    .argument('<file>', 'definitions file (YAML)')
    .action(async (file: string) => {
      await withRegistry(async (store) => {
        const plan = await planDefinitions(readDefinitions(file), store);
        process.stdout.write(`${formatPlan(plan)}\n`);
      });
    });

  features
    .command('apply')
    .description('Store the definitions in the feature registry (breaking changes become new versions)')
    .argument('<file>', 'definitions file (YAML)')
    .action(async (file: string) => {
      await withRegistry(async (store) => {
        const plan = await planDefinitions(readDefinitions(file), store);
        await applyPlan(plan, store);
        process.stdout.write(`${formatPlan(plan)}\napplied\n`);
      });
    });

  features
    .command('list')
    .description('List the registered entities, feature views and feature services (latest versions)')
    .action(async () => {
      await withRegistry(async (store) => {
        const lines: string[] = [];
        for (const kind of ['entity', 'featureView', 'featureService'] as const) {
          for (const object of await store.list(kind)) {
            lines.push(`${kind}\t${object.name}\tv${object.version}\t${object.updatedAt}`);
          }
        }
        process.stdout.write(
          lines.length > 0 ? `${lines.join('\n')}\n` : 'no feature definitions registered\n',
        );
      });
    });
}

function readDefinitions(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parseDefinitionFile(text, file);
}

/** Definition problems are reported in full (every issue with its line), not just the first line. */
async function reportingDefinitionErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DefinitionError) throw new CliError(error.message);
    throw error;
  }
}

async function withRegistry<T>(
  work: (store: DynamoDbFeatureRegistryStore, config: RuntimeConfig) => Promise<T>,
): Promise<T> {
  const config = cliConfig();
  const client = createDynamoDbClient(config);
  try {
    return await reportingDefinitionErrors(() =>
      work(
        new DynamoDbFeatureRegistryStore(
          createDocumentClient(client),
          requireTable(config, 'featureRegistry'),
        ),
        config,
      ),
    );
  } finally {
    client.destroy();
  }
}
