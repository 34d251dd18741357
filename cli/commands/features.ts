/**
 * `mlops features ...`: the feature store from the command line — definitions (plan, apply, list),
 * training sets, materialization and online lookups.
 */
import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { onlineFeatures } from '../../functions/features/online-features.ts';
import { parseDefinitionFile } from '../../layers/features/definition-file.ts';
import { DefinitionError } from '../../layers/features/errors.ts';
import { DynamoDbOnlineStore } from '../../layers/features/online-store.ts';
import { applyPlan, formatPlan, planDefinitions } from '../../layers/features/plan.ts';
import { DynamoDbFeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { ServiceResolver } from '../../layers/features/service-resolver.ts';
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
    .command('get')
    .description("Look up a feature service's online features for entities")
    .requiredOption('--service <name>', 'feature service')
    .option('--service-version <n>', 'feature service version (default: latest)')
    .requiredOption(
      '--entity <key=v1,v2,...>',
      'join key values, one option per join key',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (options: { service: string; serviceVersion?: string; entity: string[] }) => {
      await withRegistry(async (store, config, documents) => {
        const entities = parseEntityOptions(options.entity);
        const result = await onlineFeatures(
          {
            resolver: new ServiceResolver(store),
            store: new DynamoDbOnlineStore(documents, requireTable(config, 'onlineStore')),
            now: () => new Date(),
          },
          {
            featureService: options.service,
            ...(options.serviceVersion
              ? { featureServiceVersion: parseVersion(options.serviceVersion) }
              : {}),
            entities,
          },
        );
        const keys = Object.keys(entities);
        const lines = [[...keys, ...result.featureNames].join('\t')];
        const count = entities[keys[0] as string]?.length ?? 0;
        for (let row = 0; row < count; row += 1) {
          const cells = result.results.map((column) =>
            column.statuses[row] === 'PRESENT'
              ? String(column.values[row])
              : `<${column.statuses[row]?.toLowerCase()}>`,
          );
          lines.push([...keys.map((key) => String(entities[key]?.[row])), ...cells].join('\t'));
        }
        process.stdout.write(`${lines.join('\n')}\n`);
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

/** `--entity customer_id=c1,c2` options as column-wise entity keys. */
function parseEntityOptions(options: readonly string[]): Record<string, string[]> {
  const entities: Record<string, string[]> = {};
  for (const option of options) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(option);
    if (!match) throw new CliError(`--entity must look like key=value1,value2, got ${option}`);
    entities[match[1] as string] = (match[2] as string).split(',');
  }
  return entities;
}

function parseVersion(value: string): number {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1)
    throw new CliError(`--service-version must be a positive integer, got ${value}`);
  return version;
}

async function withRegistry<T>(
  work: (
    store: DynamoDbFeatureRegistryStore,
    config: RuntimeConfig,
    documents: DynamoDBDocumentClient,
  ) => Promise<T>,
): Promise<T> {
  const config = cliConfig();
  const client = createDynamoDbClient(config);
  try {
    const documents = createDocumentClient(client);
    return await reportingDefinitionErrors(() =>
      work(
        new DynamoDbFeatureRegistryStore(documents, requireTable(config, 'featureRegistry')),
        config,
        documents,
      ),
    );
  } finally {
    client.destroy();
  }
}
