/**
 * Routing inside an MLflow function. API Gateway has matched the route key already; the greedy
 * routes (`/api/2.0/mlflow/{proxy+}`, the `/ajax-api` alias) land here and are resolved against the
 * function's own routes, so an unknown path answers ENDPOINT_NOT_FOUND and a known path with the
 * wrong method 405, both in MLflow's JSON error format.
 */

import { RouteMatcher } from '../../infra/local/route-matcher.ts';
import type { HttpMethod, RouteDefinition } from '../../infra/platform/api.ts';
import { KitError } from '../../layers/runtime/errors.ts';
import { errorResponse } from '../../layers/runtime/http/responses.ts';
import type { RouteHandler } from '../../layers/runtime/http/router.ts';
import type { HttpEvent } from '../../layers/runtime/http/types.ts';
import type { Endpoint } from './tracking-api.ts';

const AJAX_PREFIX = '/ajax-api/';

/**
 * The route table for `httpFunction`: every declared concrete route mapped to its endpoint, and every
 * greedy route mapped to a resolver over the concrete ones.
 */
export function dispatchTable(
  routes: readonly RouteDefinition[],
  endpoints: Readonly<Record<string, Endpoint>>,
): Record<string, RouteHandler> {
  const concrete = routes.filter((route) => !route.path.endsWith('+}'));
  const matcher = new RouteMatcher(
    concrete.map((route) => ({ method: route.method as HttpMethod, path: route.path })),
  );
  const table: Record<string, RouteHandler> = {};
  for (const route of concrete) {
    const key = `${route.method} ${route.path}`;
    const endpoint = endpoints[key];
    if (!endpoint) throw new Error(`no endpoint for declared route ${key}`);
    table[key] = endpoint;
  }
  const resolve: RouteHandler = async (event, context) => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = event.rawPath.startsWith(AJAX_PREFIX)
      ? `/api/${event.rawPath.slice(AJAX_PREFIX.length)}`
      : event.rawPath;
    const match = matcher.match(method, path);
    if (!match) {
      if (matcher.hasPath(path)) {
        return errorResponse(
          405,
          'ENDPOINT_NOT_FOUND',
          `Method ${method} is not allowed for ${event.rawPath}`,
        );
      }
      throw new KitError('ENDPOINT_NOT_FOUND', `No endpoint ${method} ${event.rawPath}`);
    }
    const key = `${match.route.method} ${match.route.path}`;
    const routed: HttpEvent = {
      ...event,
      routeKey: key,
      rawPath: path,
      ...(Object.keys(match.pathParameters).length ? { pathParameters: match.pathParameters } : {}),
    };
    return (table[key] as RouteHandler)(routed, context);
  };
  for (const route of routes) {
    if (route.path.endsWith('+}') && !endpoints[`${route.method} ${route.path}`]) {
      table[`${route.method} ${route.path}`] = resolve;
    } else if (route.path.endsWith('+}')) {
      table[`${route.method} ${route.path}`] = endpoints[`${route.method} ${route.path}`] as Endpoint;
    }
  }
  return table;
}
