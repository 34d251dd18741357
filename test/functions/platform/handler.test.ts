import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/platform/handler.ts';
import { toEvent } from '../../../infra/local/api-gateway-event.ts';
import { routeKey } from '../../../infra/platform/api.ts';
import { FUNCTIONS } from '../../../infra/platform/functions.ts';
import type { Context } from '../../../layers/runtime/http/types.ts';

const context = { getRemainingTimeInMillis: () => 1000 } as unknown as Context;

function event(method: string, path: string, key = `${method} ${path}`) {
  return toEvent(
    { method, url: path, headers: {}, body: Buffer.alloc(0), sourceIp: '127.0.0.1' },
    { routeKey: key, pathParameters: {}, claims: { sub: 'tester' }, scopes: ['mlops/read'] },
  );
}

describe('platform handler', () => {
  it('answers platform info with the stage, region and resource names of its environment', async () => {
    const handler = createHandler({
      MLOPS_STAGE: 'dev',
      AWS_REGION: 'eu-west-1',
      MLOPS_DELTA_LOG_TABLE: 'dl-123',
    });
    const result = await handler(event('GET', '/api/2.0/mlops/platform/info'), context);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toMatchObject({
      stage: 'dev',
      region: 'eu-west-1',
      tables: { deltaLog: 'dl-123', tracking: null },
    });
  });

  it('answers ENDPOINT_NOT_FOUND in MLflow format for a route it does not serve', async () => {
    const handler = createHandler({});
    const result = await handler(event('GET', '/elsewhere'), context);
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body ?? '')).toEqual({
      error_code: 'ENDPOINT_NOT_FOUND',
      message: 'No endpoint GET /elsewhere',
    });
  });

  it('serves every route declared for it', async () => {
    const handler = createHandler({});
    for (const route of FUNCTIONS.platform.routes) {
      const result = await handler(event(route.method, route.path, routeKey(route)), context);
      expect(result.statusCode, routeKey(route)).not.toBe(404);
    }
  });
});
