import { AthenaClient } from '@aws-sdk/client-athena';
import { z } from 'zod';
import {
  type AthenaTrainingSetDeps,
  glueTablesFromCatalog,
} from '../../layers/features/athena-training-set.ts';
import { DynamoDbFeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { DynamoDbCatalogStore, lakehouseContext, openTable } from '../../layers/lakehouse/index.ts';
import type { TrainingDeps } from '../../layers/pipelines/training.ts';
import type { RecordDeps } from '../../layers/pipelines/training-record.ts';
import {
  clientConfig,
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireBucket, requireTable } from '../../layers/runtime/config.ts';
import { ConfigurationError } from '../../layers/runtime/errors.ts';
import { registryDepsFromEnv, registryServices } from '../registry/handler.ts';
import { createTrackingStore } from '../tracking/run-lookup.ts';
import { TrackingCore } from '../tracking/tracking-core.ts';

const EngineSchema = z.object({
  /** `athena` in AWS (set by the pipelines stack); DuckDB in process otherwise. */
  MLOPS_TRAINING_SET_ENGINE: z.enum(['duckdb', 'athena']).default('duckdb'),
  /** @default mlops-<stage> (the analytics stack's workgroup) */
  MLOPS_ATHENA_WORKGROUP: z.string().min(1).optional(),
});

/** The training data steps' clients, built once per cold start; `athena` when training sets are built there. */
export function trainingDeps(env: Env): TrainingDeps & { readonly athena?: AthenaTrainingSetDeps } {
  const config = loadRuntimeConfig(env);
  const settings = EngineSchema.safeParse(env);
  if (!settings.success)
    throw new ConfigurationError(`invalid training settings: ${z.prettifyError(settings.error)}`);
  const lake = lakehouseContext(config);
  const features = {
    registry: new DynamoDbFeatureRegistryStore(
      createDocumentClient(createDynamoDbClient(config)),
      requireTable(config, 'featureRegistry'),
    ),
    openTable: (uri: string) => openTable(lake, uri),
  };
  const athena =
    settings.data.MLOPS_TRAINING_SET_ENGINE === 'athena'
      ? {
          ...features,
          athena: new AthenaClient(clientConfig(config, 'athena')),
          workGroup: settings.data.MLOPS_ATHENA_WORKGROUP ?? `mlops-${config.stage}`,
          glueTable: glueTablesFromCatalog(
            new DynamoDbCatalogStore(lake.dynamodb, requireTable(config, 'platform')),
          ),
        }
      : undefined;
  return {
    features,
    ...(athena ? { athena } : {}),
    lake,
    s3: createS3Client(config),
    artifactsBucket: requireBucket(config, 'artifacts'),
    lakehouseBucket: requireBucket(config, 'lakehouse'),
    stage: config.stage,
    region: config.region,
  };
}

/** The record-keeping steps' cores: tracking and the registry, as their functions build them. */
export function recordDeps(env: Env): RecordDeps {
  const config = loadRuntimeConfig(env);
  const registry = registryDepsFromEnv(env);
  const { models, versions } = registryServices(registry);
  return {
    tracking: new TrackingCore({ store: createTrackingStore(config) }),
    models,
    versions,
    store: registry.store,
    s3: createS3Client(config),
    artifactsBucket: requireBucket(config, 'artifacts'),
  };
}
