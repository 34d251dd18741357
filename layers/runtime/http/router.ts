/**
 * Dispatch on API Gateway's `routeKey` ("POST /api/2.0/mlflow/runs/create"). API Gateway (and the
 * local gateway, which matches routes the same way) has already matched the path, so a function only
 * looks its routes up; a route the function does not know is ENDPOINT_NOT_FOUND.
 */
import middy from '@middy/core';
import { KitError } from '../errors.ts';
import { errorResponder } from './error-responder.ts';
import type { Context, HttpEvent, HttpHandler, HttpResult } from './types.ts';

export type RouteHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** Builds the function's handler from its routes: the router behind the error-responder middleware. */
export function httpFunction(routes: Readonly<Record<string, RouteHandler>>): HttpHandler {
  const route = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const handler = routes[event.routeKey];
    if (!handler) {
      throw new KitError(
        'ENDPOINT_NOT_FOUND',
        `No endpoint ${event.requestContext.http.method} ${event.rawPath}`,
      );
    }
    return handler(event, context);
  };
  return middy<HttpEvent, HttpResult>().use(errorResponder()).handler(route) as unknown as HttpHandler;
}

/** Creates the real handler on first use, so that importing a handler module has no side effects. */
export function lazyHandler(create: () => HttpHandler): HttpHandler {
  let handler: HttpHandler | undefined;
  return (event, context) => {
    handler ??= create();
    return handler(event, context);
  };
}
