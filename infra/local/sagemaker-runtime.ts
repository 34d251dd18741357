/**
 * The local stand-in for SageMaker Runtime's InvokeEndpoint, served by the local gateway at
 * `POST /endpoints/{name}/invocations`, so that the real `@aws-sdk/client-sagemaker-runtime`
 * client pointed at the gateway (`AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`) works unchanged.
 *
 * It behaves as a serverless endpoint running SageMaker's built-in XGBoost 1.7-1 container would:
 * the endpoint's `model.tar.gz` is read from S3 (its definition is in the `platform` table, see
 * `endpoint-store.ts`), `xgboost-model` is evaluated with the container's `best_ntree_limit`
 * behaviour, `text/csv` is the only request type, and CSV or JSON come back. Errors take the
 * runtime API's shapes: ValidationError (400) for a request SageMaker itself refuses (unknown
 * endpoint), ModelError (424, with the container's status in `OriginalStatusCode`) for what the
 * container refuses (415 for a payload type or a value it cannot parse, 400 when evaluation fails,
 * 406 for an Accept it cannot produce, 500 when the model cannot be loaded).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireTable } from '../../layers/runtime/config.ts';
import { ModelInputError } from '../../layers/xgboost/errors.ts';
import { createEvaluator, type Evaluator } from '../../layers/xgboost/evaluator.ts';
import { readModelPackage } from '../../layers/xgboost/model-package.ts';
import {
  CSV,
  formatPredictions,
  negotiateAccept,
  parseCsvPayload,
} from '../../layers/xgboost/sagemaker-protocol.ts';
import type { RawRequest, RawResponse } from './api-gateway-event.ts';
import { LocalEndpointStore } from './endpoint-store.ts';
import type { LocalRoute } from './gateway.ts';

/** The production variant name a single-variant endpoint reports. */
export const VARIANT = 'AllTraffic';
const LOCAL_ACCOUNT = '000000000000';

/** Parses `s3://bucket/key`. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

interface Loaded {
  readonly url: string;
  readonly version: number;
  readonly evaluator: Evaluator;
}

/** The InvokeEndpoint route; `env` is read on each request (the platform fills it in after start). */
export function sageMakerRuntimeRoute(env: () => Env): LocalRoute & { close(): void } {
  const cache = new Map<string, Loaded>();
  // Built on the first request: the platform fills in its environment only once it listens.
  let clients: { ddb: DynamoDBClient; s3: S3Client; store: LocalEndpointStore } | undefined;
  return {
    kind: 'local',
    method: 'POST',
    path: '/endpoints/{name}/invocations',
    handle: async (request, pathParameters) => {
      const name = decodeURIComponent(pathParameters.name ?? '');
      if (!clients) {
        const config = loadRuntimeConfig(env());
        const ddb = createDynamoDbClient(config);
        clients = {
          ddb,
          s3: createS3Client(config),
          store: new LocalEndpointStore(createDocumentClient(ddb), requireTable(config, 'platform')),
        };
      }
      const endpoint = await clients.store.get(name);
      if (!endpoint) return validationError(`Endpoint ${name} of account ${LOCAL_ACCOUNT} not found.`);
      let loaded = cache.get(name);
      if (!loaded || loaded.url !== endpoint.modelDataUrl || loaded.version !== endpoint.version) {
        try {
          loaded = {
            url: endpoint.modelDataUrl,
            version: endpoint.version,
            evaluator: await loadEvaluator(clients.s3, endpoint.modelDataUrl),
          };
        } catch (error) {
          return modelError(name, 500, `Unable to load model: ${(error as Error).message}`);
        }
        cache.set(name, loaded);
      }
      return invoke(name, loaded.evaluator, request);
    },
    close: () => {
      clients?.ddb.destroy();
      clients?.s3.destroy();
    },
  };
}

async function loadEvaluator(s3: S3Client, url: string): Promise<Evaluator> {
  const location = parseS3Uri(url);
  if (!location) throw new Error(`model data URL ${url} is not an s3:// URI`);
  let bytes: Uint8Array;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    bytes = await object.Body!.transformToByteArray();
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') {
      throw new Error(`${url} does not exist`);
    }
    throw error;
  }
  return createEvaluator(readModelPackage(bytes).model, { containerMode: true });
}

function invoke(name: string, evaluator: Evaluator, request: RawRequest): RawResponse {
  const contentType = header(request, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== CSV) {
    return modelError(
      name,
      415,
      `Content type ${contentType ?? '(none)'} is not supported by this model: send text/csv`,
    );
  }
  const accept = negotiateAccept(header(request, 'accept'));
  if (!accept) return modelError(name, 406, `Accept type ${header(request, 'accept')} is not supported`);
  if (request.body.length === 0) return modelError(name, 415, 'The request body is empty');
  let matrix: ReturnType<typeof parseCsvPayload>;
  try {
    matrix = parseCsvPayload(request.body.toString('utf8'), evaluator.numFeature);
  } catch (error) {
    if (!(error instanceof ModelInputError)) throw error;
    const status = /columns but the model has/.test(error.message) ? 400 : 415;
    return modelError(name, status, error.message);
  }
  const predictions = evaluator.predict(matrix);
  const { contentType: type, body } = formatPredictions(
    predictions,
    matrix.rows,
    evaluator.outputWidth,
    accept,
  );
  const headers: Record<string, string> = {
    'content-type': type,
    'x-amzn-invoked-production-variant': VARIANT,
  };
  const attributes = header(request, 'x-amzn-sagemaker-custom-attributes');
  if (attributes !== undefined) headers['x-amzn-sagemaker-custom-attributes'] = attributes;
  return { statusCode: 200, headers, body: Buffer.from(body) };
}

function header(request: RawRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function validationError(message: string): RawResponse {
  return {
    statusCode: 400,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ValidationError' },
    body: Buffer.from(JSON.stringify({ message })),
  };
}

function modelError(name: string, originalStatus: number, originalMessage: string): RawResponse {
  return {
    statusCode: 424,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ModelError' },
    body: Buffer.from(
      JSON.stringify({
        message: `Received client error (${originalStatus}) from primary with message "${originalMessage}". See the local platform's log for more information.`,
        OriginalStatusCode: originalStatus,
        OriginalMessage: originalMessage,
        LogStreamArn: `arn:aws:logs:us-east-1:${LOCAL_ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${name}`,
      }),
    ),
  };
}
