/**
 * The artifacts function: MLflow's `mlflow-artifacts` proxy over the artifacts bucket.
 */
import { createS3Client } from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireBucket } from '../../layers/runtime/config.ts';
import { httpFunction, lazyHandler } from '../../layers/runtime/http/router.ts';
import type { HttpHandler } from '../../layers/runtime/http/types.ts';
import { S3ArtifactRepository } from './artifact-repository.ts';
import { artifactEndpoints } from './artifacts-api.ts';
import { dispatchTable } from './dispatch.ts';
import { ARTIFACT_ROUTES } from './routes.ts';

/** Builds the artifacts function from an environment map (Lambda's, or the local platform's). */
export function createHandler(env: Env): HttpHandler {
  const config = loadRuntimeConfig(env);
  const repository = new S3ArtifactRepository({
    client: createS3Client(config),
    bucket: requireBucket(config, 'artifacts'),
  });
  return httpFunction(dispatchTable(ARTIFACT_ROUTES, artifactEndpoints(repository)));
}

export const handler = lazyHandler(() => createHandler(process.env));
