import { afterEach, describe, expect, it } from 'vitest';
import { type Gateway, type GatewayRoute, startGateway } from '../../../infra/local/gateway.ts';
import type { HttpEvent, HttpHandler } from '../../../layers/runtime/http/types.ts';

let gateway: Gateway | undefined;

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

function lambda(
  method: 'GET' | 'POST' | 'ANY',
  path: string,
  handler: HttpHandler,
  scope: 'public' | 'read' = 'read',
): GatewayRoute {
  return { kind: 'lambda', method, path, scope, functionName: 'test', timeoutSeconds: 5, handler };
}

async function start(routes: GatewayRoute[], token?: string): Promise<Gateway> {
  gateway = await startGateway({ port: 0, routes, ...(token ? { token } : {}) });
  return gateway;
}

describe('startGateway', () => {
  it('delivers path parameters, query string, headers, cookies and a JSON body as a payload v2 event', async () => {
    let seen: HttpEvent | undefined;
    const { url } = await start([
      lambda('POST', '/items/{itemId}/parts/{part}', async (event) => {
        seen = event;
        return { statusCode: 204 };
      }),
    ]);
    const response = await fetch(`${url}/items/a%20b/parts/7?x=1&x=2&y=%C3%A9`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'v', cookie: 'c1=a; c2=b' },
      body: '{"k":1}',
    });
    expect(response.status).toBe(204);
    expect(seen).toMatchObject({
      version: '2.0',
      routeKey: 'POST /items/{itemId}/parts/{part}',
      rawPath: '/items/a%20b/parts/7',
      rawQueryString: 'x=1&x=2&y=%C3%A9',
      queryStringParameters: { x: '1,2', y: 'é' },
      pathParameters: { itemId: 'a b', part: '7' },
      cookies: ['c1=a', 'c2=b'],
      body: '{"k":1}',
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'POST /items/{itemId}/parts/{part}',
        stage: '$default',
        http: { method: 'POST', path: '/items/a%20b/parts/7', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        authorizer: { jwt: { claims: { sub: 'local-user' } } },
      },
    });
    expect(seen?.headers['x-custom']).toBe('v');
    expect(seen?.headers.cookie).toBeUndefined();
    expect(seen?.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('base64-encodes binary request bodies and leaves out an absent body', async () => {
    const events: HttpEvent[] = [];
    const { url } = await start([
      lambda('ANY', '/upload', async (event) => {
        events.push(event);
        return { statusCode: 200, body: 'ok' };
      }),
    ]);
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await fetch(`${url}/upload`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    await fetch(`${url}/upload`);
    expect(events[0]?.isBase64Encoded).toBe(true);
    expect(Buffer.from(events[0]?.body ?? '', 'base64')).toEqual(bytes);
    expect(events[1]?.body).toBeUndefined();
    expect(events[1]?.isBase64Encoded).toBe(false);
    expect(events[1]?.queryStringParameters).toBeUndefined();
  });

  it('returns the handler status, headers, cookies and binary body unchanged', async () => {
    const png = Buffer.from([137, 80, 78, 71, 0, 255]);
    const { url } = await start([
      lambda('GET', '/file', async () => ({
        statusCode: 201,
        headers: { 'content-type': 'image/png', 'x-answer': '42' },
        cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
        body: png.toString('base64'),
        isBase64Encoded: true,
      })),
    ]);
    const response = await fetch(`${url}/file`);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-answer')).toBe('42');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(png);
  });

  it('treats a result without statusCode as a 200 JSON response', async () => {
    const { url } = await start([
      lambda('GET', '/plain', (async () => ({ hello: 'world' })) as unknown as HttpHandler),
    ]);
    const response = await fetch(`${url}/plain`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('answers like API Gateway for an unknown route, a failing handler and an oversize body', async () => {
    gateway = await startGateway({
      port: 0,
      maxBodyBytes: 16,
      routes: [
        lambda('GET', '/boom', async () => {
          throw new Error('secret detail');
        }),
        lambda('POST', '/small', async () => ({ statusCode: 200 })),
      ],
    });
    const notFound = await fetch(`${gateway.url}/nope`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ message: 'Not Found' });
    const failed = await fetch(`${gateway.url}/boom`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ message: 'Internal Server Error' });
    const large = await fetch(`${gateway.url}/small`, { method: 'POST', body: 'x'.repeat(17) });
    expect(large.status).toBe(413);
  });

  it('requires the bearer token on scoped routes when one is configured, not on public ones', async () => {
    const ok: HttpHandler = async () => ({ statusCode: 200, body: 'ok' });
    const { url } = await start(
      [lambda('GET', '/private', ok), lambda('GET', '/public', ok, 'public')],
      's3cret',
    );
    expect((await fetch(`${url}/private`)).status).toBe(401);
    expect((await fetch(`${url}/private`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${url}/private`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect((await fetch(`${url}/public`)).status).toBe(200);
  });

  it('prefers a literal route over a variable one and a variable one over a greedy one', async () => {
    const tag =
      (name: string): HttpHandler =>
      async () => ({ statusCode: 200, body: name });
    const { url } = await start([
      lambda('GET', '/a/{proxy+}', tag('greedy')),
      lambda('GET', '/a/{id}', tag('variable')),
      lambda('GET', '/a/literal', tag('literal')),
    ]);
    expect(await (await fetch(`${url}/a/literal`)).text()).toBe('literal');
    expect(await (await fetch(`${url}/a/other`)).text()).toBe('variable');
    expect(await (await fetch(`${url}/a/b/c`)).text()).toBe('greedy');
  });
});
