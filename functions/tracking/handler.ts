/**
 * The tracking function: MLflow's tracking REST API (experiments, runs, metrics, params, tags,
 * inputs/outputs, logged models, server-info). Clients are built once per cold start.
 */
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireBucket, requireTable } from '../../layers/runtime/config.ts';
import { httpFunction, lazyHandler } from '../../layers/runtime/http/router.ts';
import type { HttpHandler } from '../../layers/runtime/http/types.ts';
import { S3ArtifactRepository } from './artifact-repository.ts';
import { dispatchTable } from './dispatch.ts';
import { DynamoTrackingStore } from './dynamo-store.ts';
import { TRACKING_ROUTES } from './routes.ts';
import { trackingEndpoints } from './tracking-api.ts';
import { TrackingCore } from './tracking-core.ts';

/** Builds the tracking function from an environment map (Lambda's, or the local platform's). */
export function createHandler(env: Env): HttpHandler {
  const config = loadRuntimeConfig(env);
  const store = new DynamoTrackingStore({
    client: createDocumentClient(createDynamoDbClient(config)),
    tableName: requireTable(config, 'tracking'),
  });
  const artifacts = new S3ArtifactRepository({
    client: createS3Client(config),
    bucket: requireBucket(config, 'artifacts'),
  });
  const core = new TrackingCore({ store });
  return httpFunction(dispatchTable(TRACKING_ROUTES, trackingEndpoints(core, artifacts)));
}

export const handler = lazyHandler(() => createHandler(process.env));
