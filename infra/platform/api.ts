/**
 * The HTTP API's shape, declared once: which functions exist, what each may touch, and which routes
 * reach it. The CDK API construct deploys exactly this (one Lambda per function, one route per
 * entry, each behind the JWT authorizer with its scope) and the local gateway serves exactly this,
 * so a route cannot exist in one and not the other.
 */
import type { BucketId } from './buckets.ts';
import type { TableId } from './tables.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'ANY';

/** `read`/`write`/`admin` need the matching OAuth scope; `public` routes need no token. */
export type RouteScope = 'public' | 'read' | 'write' | 'admin';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway route syntax: `/api/2.0/mlflow/runs/get`, `/items/{id}`, `/files/{proxy+}`. */
  readonly path: string;
  readonly scope: RouteScope;
}

export type Access = 'read' | 'readwrite';

export interface FunctionDefinition {
  /** Stable CloudFormation logical ID prefix. */
  readonly logicalId: string;
  /** Handler module, relative to the repository root; it exports `handler` and `createHandler(env)`. */
  readonly entry: string;
  readonly description: string;
  /** @default 512 */
  readonly memoryMb?: number;
  /** @default 29 (API Gateway's integration timeout) */
  readonly timeoutSeconds?: number;
  readonly tables: Readonly<Partial<Record<TableId, Access>>>;
  readonly buckets: Readonly<Partial<Record<BucketId, Access>>>;
  /**
   * Which SageMaker endpoints the function may call SageMaker Runtime's InvokeEndpoint on: `true`,
   * every endpoint of the account in the region; `'stage'`, only the stage's own (`mlops-<stage>-*`,
   * the names the deployment pipeline gives). @default none
   */
  readonly invokesSageMakerEndpoints?: boolean | 'stage';
  readonly routes: readonly RouteDefinition[];
}

/** The route key API Gateway puts into `event.routeKey`. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}
