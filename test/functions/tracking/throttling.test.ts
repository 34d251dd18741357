import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/tracking/handler.ts';
import { toEvent } from '../../../infra/local/api-gateway-event.ts';
import type { Context } from '../../../layers/runtime/http/types.ts';

const context = { getRemainingTimeInMillis: () => 1000 } as unknown as Context;
const env = {
  AWS_REGION: 'eu-west-1',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
  MLOPS_LOCAL_ACCESS_KEY_ID: 'x',
  MLOPS_LOCAL_SECRET_ACCESS_KEY: 'x',
  MLOPS_TRACKING_TABLE: 'tracking',
  MLOPS_ARTIFACTS_BUCKET: 'artifacts',
};

function post(path: string, body: unknown) {
  return toEvent(
    {
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
      sourceIp: '127.0.0.1',
    },
    { routeKey: `POST ${path}`, pathParameters: {}, claims: { sub: 'tester' }, scopes: ['mlops/write'] },
  );
}

describe('tracking function under DynamoDB throttling', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => {
    ddb.reset();
  });

  it('answers 429 REQUEST_LIMIT_EXCEEDED with Retry-After, which the MLflow client honours', async () => {
    ddb
      .onAnyCommand()
      .rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));
    const result = await createHandler(env)(
      post('/api/2.0/mlflow/experiments/create', { name: 'throttled' }),
      context,
    );
    expect(result.statusCode).toBe(429);
    expect(result.headers).toMatchObject({ 'Retry-After': '1' });
    expect(JSON.parse(result.body ?? '')).toEqual({
      error_code: 'REQUEST_LIMIT_EXCEEDED',
      message: 'Request rate exceeded, retry later',
    });
  });

  it('answers an unexpected store failure with a 500 that hides the cause', async () => {
    ddb.onAnyCommand().rejects(new Error('disk on fire at 10.0.0.1'));
    const result = await createHandler(env)(
      post('/api/2.0/mlflow/experiments/create', { name: 'broken' }),
      context,
    );
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body ?? '')).toEqual({
      error_code: 'INTERNAL_ERROR',
      message: 'Internal error',
    });
  });
});
