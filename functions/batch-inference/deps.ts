import { lakehouseContext } from '../../layers/lakehouse/index.ts';
import type { BatchDeps } from '../../layers/pipelines/batch-inference.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireBucket, requireTable } from '../../layers/runtime/config.ts';
import { DynamoDbRegistryStore } from '../registry/dynamodb-registry-store.ts';

/** The clients and stores the batch-inference tasks share, built once per cold start. */
export function batchDeps(env: Env): BatchDeps {
  const config = loadRuntimeConfig(env);
  const lake = lakehouseContext(config);
  return {
    registry: new DynamoDbRegistryStore(
      createDocumentClient(createDynamoDbClient(config)),
      requireTable(config, 'registry'),
    ),
    s3: createS3Client(config),
    lake,
    artifactsBucket: requireBucket(config, 'artifacts'),
  };
}
