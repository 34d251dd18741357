import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toEvent } from '../../../../infra/local/api-gateway-event.ts';
import { parseJsonBody, principalOf } from '../../../../layers/runtime/http/request.ts';

function post(body: string, claims?: Record<string, string>) {
  return toEvent(
    {
      method: 'POST',
      url: '/x',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body),
      sourceIp: '127.0.0.1',
    },
    { routeKey: 'POST /x', pathParameters: {}, ...(claims ? { claims } : {}) },
  );
}

const Schema = z.object({ name: z.string(), count: z.number().int().optional() });

describe('parseJsonBody', () => {
  it('returns the validated body', () => {
    expect(parseJsonBody(post('{"name":"a","count":2}'), Schema)).toEqual({ name: 'a', count: 2 });
  });

  it('rejects malformed JSON with MALFORMED_REQUEST', () => {
    expect(() => parseJsonBody(post('{"name":'), Schema)).toThrow(
      expect.objectContaining({ code: 'MALFORMED_REQUEST' }),
    );
  });

  it('names a missing required field', () => {
    expect(() => parseJsonBody(post('{}'), Schema)).toThrow("Missing value for required parameter 'name'.");
  });

  it('names a field of the wrong type', () => {
    expect(() => parseJsonBody(post('{"name":"a","count":"x"}'), Schema)).toThrow(
      /^Invalid value for parameter 'count'/,
    );
  });

  it('rejects a body that is not a JSON object', () => {
    expect(() => parseJsonBody(post('[1]'), Schema)).toThrow('Request body must be a JSON object');
  });
});

describe('principalOf', () => {
  it('takes the caller from the JWT claims', () => {
    expect(principalOf(post('{}', { sub: 'abc', username: 'ada', scope: 'mlops/read mlops/write' }))).toEqual(
      {
        id: 'ada',
        scopes: ['mlops/read', 'mlops/write'],
      },
    );
  });
});
