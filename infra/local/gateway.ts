/**
 * The local stand-in for API Gateway: an HTTP server on loopback that matches each request against
 * the declared routes, turns it into a payload v2 event, calls the same handler Lambda would, and
 * writes the handler's response back. Local-only routes (`/health`, the SageMaker runtime
 * endpoint) are plain request handlers beside them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import type { HttpHandler } from '../../layers/runtime/http/types.ts';
import { type HttpMethod, type RouteScope, routeKey } from '../platform/api.ts';
import { fromResult, type RawRequest, type RawResponse, toEvent } from './api-gateway-event.ts';
import { RouteMatcher } from './route-matcher.ts';

export interface LambdaRoute {
  readonly kind: 'lambda';
  readonly method: HttpMethod;
  readonly path: string;
  readonly scope: RouteScope;
  readonly functionName: string;
  readonly timeoutSeconds: number;
  readonly handler: HttpHandler;
}

export interface LocalRoute {
  readonly kind: 'local';
  readonly method: HttpMethod;
  readonly path: string;
  readonly handle: (request: RawRequest, pathParameters: Record<string, string>) => Promise<RawResponse>;
}

export type GatewayRoute = LambdaRoute | LocalRoute;

export interface GatewayOptions {
  readonly routes: readonly GatewayRoute[];
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** When set, routes with a scope other than `public` need `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** The principal handlers see as the caller. @default 'local-user' */
  readonly principal?: string;
  /** Largest request body accepted, as API Gateway's payload limit. @default 10 MiB */
  readonly maxBodyBytes?: number;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const ALL_SCOPES = ['mlops/read', 'mlops/write', 'mlops/admin'];

/** Starts the gateway; rejects with the listen error (e.g. EADDRINUSE) if the port is taken. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const matcher = new RouteMatcher(options.routes);
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('gateway error', error);
      if (!res.headersSent) send(res, message(500, 'Internal Server Error'));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) {
      send(res, message(413, 'Request Entity Too Large'));
      return;
    }
    const match = matcher.match(method, path);
    if (!match) {
      send(res, message(404, 'Not Found'));
      return;
    }
    const request: RawRequest = {
      method,
      url,
      headers: req.headers,
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    };
    const route = match.route;
    if (route.kind === 'local') {
      send(res, await route.handle(request, match.pathParameters));
      return;
    }
    if (route.scope !== 'public' && options.token !== undefined) {
      const header = req.headers.authorization ?? '';
      if (header !== `Bearer ${options.token}`) {
        send(res, message(401, 'Unauthorized'));
        return;
      }
    }
    const principal = options.principal ?? 'local-user';
    const event = toEvent(request, {
      routeKey: routeKey(route),
      pathParameters: match.pathParameters,
      ...(route.scope === 'public'
        ? {}
        : {
            claims: { sub: principal, username: principal, scope: ALL_SCOPES.join(' ') },
            scopes: ALL_SCOPES,
          }),
    });
    let result: RawResponse;
    try {
      result = fromResult(await route.handler(event, lambdaContext(route)));
    } catch (error) {
      // API Gateway's answer when the integration fails.
      console.error(`${route.functionName} failed`, error);
      result = message(500, 'Internal Server Error');
    }
    send(res, result);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () => closeServer(server),
  };
}

function message(statusCode: number, text: string): RawResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ message: text })),
  };
}

function send(res: ServerResponse, response: RawResponse): void {
  res.statusCode = response.statusCode;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('content-length', response.body.length);
  res.end(response.body);
}

/** Reads the body, or resolves undefined once it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function lambdaContext(route: LambdaRoute): Context {
  const deadline = Date.now() + route.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: route.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${route.functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${route.functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
