import { DynamoDbOnlineStore } from '../../layers/features/online-store.ts';
import { DynamoDbFeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { lakehouseContext, openTable } from '../../layers/lakehouse/index.ts';
import type { MaterializationDeps } from '../../layers/pipelines/materialization.ts';
import { createDocumentClient, createDynamoDbClient } from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireTable } from '../../layers/runtime/config.ts';

/** The stores the materialization tasks share, built once per cold start. */
export function materializationDeps(env: Env): MaterializationDeps {
  const config = loadRuntimeConfig(env);
  const documents = createDocumentClient(createDynamoDbClient(config));
  const lake = lakehouseContext(config);
  return {
    registry: new DynamoDbFeatureRegistryStore(documents, requireTable(config, 'featureRegistry')),
    online: new DynamoDbOnlineStore(documents, requireTable(config, 'onlineStore')),
    openTable: (uri) => openTable(lake, uri),
  };
}
