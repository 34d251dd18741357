/**
 * `mlops features ...`: the feature store from the command line — definitions (plan, apply, list),
 * training sets, materialization and online lookups.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { onlineFeatures } from '../../functions/features/online-features.ts';
import { RegistryModelResolver, sageMakerInvoker } from '../../functions/features/serving.ts';
import { DynamoDbRegistryStore } from '../../functions/registry/dynamodb-registry-store.ts';
import { batchScore } from '../../layers/features/batch-score.ts';
import { parseDefinitionFile } from '../../layers/features/definition-file.ts';
import { DefinitionError } from '../../layers/features/errors.ts';
import {
  commitInferenceBuffer,
  DynamoDbBatchClaims,
  inferenceTableUri,
} from '../../layers/features/inference-log.ts';
import { materializeView } from '../../layers/features/materialize-view.ts';
import { DynamoDbOnlineStore } from '../../layers/features/online-store.ts';
import { applyPlan, formatPlan, planDefinitions } from '../../layers/features/plan.ts';
import { DynamoDbFeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { ServiceResolver } from '../../layers/features/service-resolver.ts';
import { buildTrainingSet, type EntitySource } from '../../layers/features/training-set.ts';
import { type LakehouseClients, lakehouseContext, openTable } from '../../layers/lakehouse/index.ts';
import {
  clientConfig,
  createDocumentClient,
  createDynamoDbClient,
} from '../../layers/runtime/aws-clients.ts';
import { type RuntimeConfig, requireBucket, requireTable } from '../../layers/runtime/config.ts';
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
    .command('training-set')
    .description('Build a point-in-time-correct training set of a feature service as a lakehouse table')
    .requiredOption('--service <name>', 'feature service')
    .option('--service-version <n>', 'feature service version (default: latest)')
    .requiredOption('--entities <csv|parquet|table-uri>', 'entity rows: join keys, event time, labels')
    .requiredOption('--out <table-uri>', 'lakehouse table to write (overwritten if it exists)')
    .option('--timestamp-column <name>', "the entity rows' time column", 'event_timestamp')
    .action(
      async (options: {
        service: string;
        serviceVersion?: string;
        entities: string;
        out: string;
        timestampColumn: string;
      }) => {
        await withLakehouse(async (store, lake) => {
          const manifest = await buildTrainingSet(
            { registry: store, openTable: (uri) => openTable(lake, uri) },
            {
              service: options.service,
              ...(options.serviceVersion ? { serviceVersion: parseVersion(options.serviceVersion) } : {}),
              entities: entitySource(options.entities),
              out: options.out,
              timestampColumn: options.timestampColumn,
            },
          );
          process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
        });
      },
    );

  features
    .command('materialize')
    .description('Write the latest feature values of a view to the online store (incremental by default)')
    .requiredOption('--view <name>', 'feature view')
    .option('--view-version <n>', 'feature view version (default: latest)')
    .option(
      '--full',
      'make every online item of the view equal to the current snapshot (reads the whole table and scans the online store)',
    )
    .action(async (options: { view: string; viewVersion?: string; full?: boolean }) => {
      await withLakehouse(async (store, lake, config, documents) => {
        const result = await materializeView(
          {
            registry: store,
            online: new DynamoDbOnlineStore(documents, requireTable(config, 'onlineStore')),
            openTable: (uri) => openTable(lake, uri),
          },
          {
            view: options.view,
            ...(options.viewVersion ? { version: parseVersion(options.viewVersion, '--view-version') } : {}),
            mode: options.full ? 'full' : 'incremental',
          },
        );
        process.stdout.write(`${JSON.stringify(result)}\n`);
      });
    });

  features
    .command('commit-inference')
    .description("Commit a model's buffered online predictions to its inference table (idempotent batches)")
    .requiredOption('--model <name>', 'registered model name')
    .option('--max-objects <n>', 'buffered requests per Delta commit', '1000')
    .action(async (options: { model: string; maxObjects: string }) => {
      await withLakehouse(async (_store, lake, config, documents) => {
        const bucket = requireBucket(config, 'lakehouse');
        const summary = await commitInferenceBuffer(
          {
            s3: lake.s3,
            bucket,
            claims: new DynamoDbBatchClaims(documents, requireTable(config, 'platform')),
            table: openTable(lake, inferenceTableUri(bucket, options.model)),
          },
          options.model,
          { maxObjects: parseVersion(options.maxObjects, '--max-objects') },
        );
        process.stdout.write(
          `${JSON.stringify({ table: inferenceTableUri(bucket, options.model), ...summary })}\n`,
        );
      });
    });

  features
    .command('score')
    .description('Score an entity table with a feature-aware model, features from the offline store')
    .requiredOption('--model <name@alias|name>', 'registered model, with an alias or with --model-version')
    .option('--model-version <n>', 'model version (instead of an alias)')
    .requiredOption('--entities <csv|parquet|table-uri>', 'entity rows: join keys and event time')
    .requiredOption('--out <table-uri>', 'lakehouse table for the predictions (overwritten if it exists)')
    .option('--timestamp-column <name>', "the entity rows' time column", 'event_timestamp')
    .action(
      async (options: {
        model: string;
        modelVersion?: string;
        entities: string;
        out: string;
        timestampColumn: string;
      }) => {
        await withLakehouse(async (store, lake, config, documents) => {
          const at = options.model.lastIndexOf('@');
          const model = at > 0 ? options.model.slice(0, at) : options.model;
          const ref = options.modelVersion
            ? { version: parseVersion(options.modelVersion, '--model-version') }
            : at > 0
              ? { alias: options.model.slice(at + 1) }
              : undefined;
          if (!ref) throw new CliError('--model needs an alias (name@alias) or --model-version');
          const runtime = new SageMakerRuntimeClient(clientConfig(config, 'sagemakerRuntime'));
          try {
            const result = await batchScore(
              {
                registry: store,
                models: new RegistryModelResolver(
                  new DynamoDbRegistryStore(documents, requireTable(config, 'registry')),
                ),
                openTable: (uri) => openTable(lake, uri),
                invoke: sageMakerInvoker(runtime),
              },
              {
                model,
                ref,
                entities: entitySource(options.entities),
                out: options.out,
                timestampColumn: options.timestampColumn,
              },
            );
            process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          } finally {
            runtime.destroy();
          }
        });
      },
    );

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

function parseVersion(value: string, option = '--service-version'): number {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1)
    throw new CliError(`${option} must be a positive integer, got ${value}`);
  return version;
}

/** `--entities`: a lakehouse table URI, or a local .csv / .parquet file. */
function entitySource(value: string): EntitySource {
  if (/^s3[an]?:\/\//.test(value)) return { kind: 'table', uri: value };
  const format = extname(value).toLowerCase();
  if (format !== '.csv' && format !== '.parquet') {
    throw new CliError(`--entities must be a .csv or .parquet file or an s3:// table URI, got ${value}`);
  }
  if (!existsSync(value)) throw new CliError(`--entities file ${value} does not exist`);
  return { kind: 'file', path: resolve(value), format: format === '.csv' ? 'csv' : 'parquet' };
}

async function withLakehouse<T>(
  work: (
    store: DynamoDbFeatureRegistryStore,
    lake: LakehouseClients,
    config: RuntimeConfig,
    documents: DynamoDBDocumentClient,
  ) => Promise<T>,
): Promise<T> {
  return withRegistry(async (store, config, documents) => {
    const lake = lakehouseContext(config);
    try {
      return await work(store, lake, config, documents);
    } finally {
      lake.destroy();
    }
  });
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
