import { DynamoDbOnlineStore } from '../../layers/features/online-store.ts';
import { DynamoDbFeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { ServiceResolver } from '../../layers/features/service-resolver.ts';
import { createDocumentClient, createDynamoDbClient } from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireTable } from '../../layers/runtime/config.ts';
import { parseJsonBody } from '../../layers/runtime/http/request.ts';
import { jsonResponse } from '../../layers/runtime/http/responses.ts';
import { httpFunction, lazyHandler } from '../../layers/runtime/http/router.ts';
import type { HttpHandler } from '../../layers/runtime/http/types.ts';
import { OnlineFeaturesRequestSchema, onlineFeatures } from './online-features.ts';

/** Builds the features function from an environment map (Lambda's, or the local platform's). */
export function createHandler(env: Env): HttpHandler {
  const config = loadRuntimeConfig(env);
  const documents = createDocumentClient(createDynamoDbClient(config));
  const registry = new DynamoDbFeatureRegistryStore(documents, requireTable(config, 'featureRegistry'));
  const deps = {
    resolver: new ServiceResolver(registry),
    store: new DynamoDbOnlineStore(documents, requireTable(config, 'onlineStore')),
    now: () => new Date(),
  };
  return httpFunction({
    'POST /api/2.0/mlops/features/online': async (event) =>
      jsonResponse(await onlineFeatures(deps, parseJsonBody(event, OnlineFeaturesRequestSchema))),
  });
}

export const handler = lazyHandler(() => createHandler(process.env));
