import { DynamoDbFeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { lakehouseContext, openTable } from '../../layers/lakehouse/index.ts';
import type { TrainingDeps } from '../../layers/pipelines/training.ts';
import type { RecordDeps } from '../../layers/pipelines/training-record.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireBucket, requireTable } from '../../layers/runtime/config.ts';
import { registryDepsFromEnv, registryServices } from '../registry/handler.ts';
import { createTrackingStore } from '../tracking/run-lookup.ts';
import { TrackingCore } from '../tracking/tracking-core.ts';

/** The training data steps' clients, built once per cold start. */
export function trainingDeps(env: Env): TrainingDeps {
  const config = loadRuntimeConfig(env);
  const lake = lakehouseContext(config);
  return {
    features: {
      registry: new DynamoDbFeatureRegistryStore(
        createDocumentClient(createDynamoDbClient(config)),
        requireTable(config, 'featureRegistry'),
      ),
      openTable: (uri) => openTable(lake, uri),
    },
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

/** A task's handler, built on its first event (Lambda) from the process environment. */
export function lazyTask(create: (env: Env) => (event: unknown) => Promise<unknown>) {
  let cached: ((event: unknown) => Promise<unknown>) | undefined;
  return (event: unknown) => {
    cached ??= create(process.env);
    return cached(event);
  };
}
