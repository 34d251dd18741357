/**
 * The scoring function: `POST /api/2.0/mlops/endpoints/{name}/invocations` with JSON rows, answered
 * by the SageMaker endpoint of that name through `@aws-sdk/client-sagemaker-runtime` (in AWS the
 * real service; on the local platform its stand-in, through `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`).
 */
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { clientConfig } from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig } from '../../layers/runtime/config.ts';
import { MalformedRequestError } from '../../layers/runtime/errors.ts';
import { jsonResponse } from '../../layers/runtime/http/responses.ts';
import { httpFunction, lazyHandler } from '../../layers/runtime/http/router.ts';
import type { HttpEvent, HttpHandler } from '../../layers/runtime/http/types.ts';
import { EndpointInvocationError, type EndpointInvoker, ScoringRequestSchema, score } from './scoring.ts';

/** The SageMaker Runtime adapter; ValidationError and ModelError become EndpointInvocationError. */
export function sageMakerInvoker(client: SageMakerRuntimeClient): EndpointInvoker {
  return {
    async invoke(endpointName, csv) {
      try {
        const response = await client.send(
          new InvokeEndpointCommand({
            EndpointName: endpointName,
            Body: Buffer.from(csv),
            ContentType: 'text/csv',
            Accept: 'application/json',
          }),
        );
        return Buffer.from(response.Body ?? new Uint8Array()).toString('utf8');
      } catch (error) {
        const e = error as Error & { OriginalStatusCode?: number; OriginalMessage?: string };
        if (e.name === 'ValidationError') throw new EndpointInvocationError('validation', e.message);
        if (e.name === 'ModelError') {
          throw new EndpointInvocationError('model', e.OriginalMessage ?? e.message, e.OriginalStatusCode);
        }
        throw error;
      }
    },
  };
}

export function createHandler(env: Env): HttpHandler {
  const config = loadRuntimeConfig(env);
  const invoker = sageMakerInvoker(new SageMakerRuntimeClient(clientConfig(config, 'sagemakerRuntime')));
  return httpFunction({
    'POST /api/2.0/mlops/endpoints/{name}/invocations': async (event) => {
      const name = event.pathParameters?.name ?? '';
      return jsonResponse(await score(invoker, name, parseBody(event)));
    },
  });
}

function parseBody(event: HttpEvent) {
  let json: unknown;
  try {
    const text =
      event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body;
    json = JSON.parse(text ?? '');
  } catch {
    throw new MalformedRequestError(
      'the body must be JSON: {"instances": [[...], ...]} or {"dataframe_split": {...}}',
    );
  }
  const parsed = ScoringRequestSchema.safeParse(json);
  if (!parsed.success) {
    throw new MalformedRequestError(
      'the body must be {"instances": [[number|null, ...], ...]} or {"dataframe_split": {"columns": [...], "data": [[...]]}}',
    );
  }
  return parsed.data;
}

export const handler = lazyHandler(() => createHandler(process.env));
