import { randomUUID } from 'node:crypto';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { z } from 'zod';
import { bufferInferenceRecord } from '../../layers/features/inference-log.ts';
import { DynamoDbOnlineStore } from '../../layers/features/online-store.ts';
import { predict } from '../../layers/features/predict.ts';
import { DynamoDbFeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { ServiceResolver } from '../../layers/features/service-resolver.ts';
import {
  clientConfig,
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireBucket, requireTable } from '../../layers/runtime/config.ts';
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import { parseJsonBody } from '../../layers/runtime/http/request.ts';
import { jsonResponse } from '../../layers/runtime/http/responses.ts';
import { httpFunction, lazyHandler } from '../../layers/runtime/http/router.ts';
import type { HttpEvent, HttpHandler } from '../../layers/runtime/http/types.ts';
import { DynamoDbRegistryStore } from '../registry/dynamodb-registry-store.ts';
import { entityRows, MAX_ENTITIES, OnlineFeaturesRequestSchema, onlineFeatures } from './online-features.ts';
import { RegistryModelResolver, sageMakerInvoker } from './serving.ts';

const PredictBodySchema = z.object({
  entities: z.record(
    z.string(),
    z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .max(MAX_ENTITIES),
  ),
});

/** Builds the features function from an environment map (Lambda's, or the local platform's). */
export function createHandler(env: Env): HttpHandler {
  const config = loadRuntimeConfig(env);
  const documents = createDocumentClient(createDynamoDbClient(config));
  const registry = new DynamoDbFeatureRegistryStore(documents, requireTable(config, 'featureRegistry'));
  const services = new ServiceResolver(registry);
  const online = new DynamoDbOnlineStore(documents, requireTable(config, 'onlineStore'));
  const now = () => new Date();
  const s3 = createS3Client(config);
  const predictDeps = {
    models: new RegistryModelResolver(new DynamoDbRegistryStore(documents, requireTable(config, 'registry'))),
    services,
    online,
    invoke: sageMakerInvoker(new SageMakerRuntimeClient(clientConfig(config, 'sagemakerRuntime'))),
    record: async (record: Parameters<typeof bufferInferenceRecord>[2]) => {
      await bufferInferenceRecord(s3, requireBucket(config, 'lakehouse'), record);
    },
    now,
  };
  const predictRoute =
    (ref: (event: HttpEvent) => { model: string; ref: { alias: string } | { version: number } }) =>
    async (event: HttpEvent) => {
      const body = parseJsonBody(event, PredictBodySchema);
      return jsonResponse(
        await predict(predictDeps, {
          ...ref(event),
          entities: entityRows(body.entities),
          requestId: event.requestContext.requestId ?? randomUUID(),
        }),
      );
    };
  return httpFunction({
    'POST /api/2.0/mlops/features/online': async (event) =>
      jsonResponse(
        await onlineFeatures(
          { resolver: services, store: online, now },
          parseJsonBody(event, OnlineFeaturesRequestSchema),
        ),
      ),
    'POST /api/2.0/mlops/models/{model}/predict': predictRoute((event) => {
      const text = decodeURIComponent(event.pathParameters?.model ?? '');
      const at = text.lastIndexOf('@');
      if (at <= 0 || at === text.length - 1) {
        throw new InvalidParameterError(`the model must be given as <name>@<alias>, got '${text}'`);
      }
      return { model: text.slice(0, at), ref: { alias: text.slice(at + 1) } };
    }),
    'POST /api/2.0/mlops/models/{model}/{version}/predict': predictRoute((event) => {
      const version = Number(event.pathParameters?.version);
      if (!Number.isInteger(version) || version < 1) {
        throw new InvalidParameterError(
          `the model version must be a positive integer, got '${event.pathParameters?.version}'`,
        );
      }
      return { model: decodeURIComponent(event.pathParameters?.model ?? ''), ref: { version } };
    }),
  });
}

export const handler = lazyHandler(() => createHandler(process.env));
