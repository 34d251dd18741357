import type { RouteDefinition } from '../../infra/platform/api.ts';

export const PLATFORM_ROUTES = [
  { method: 'GET', path: '/api/2.0/mlops/platform/info', scope: 'read' },
] as const satisfies readonly RouteDefinition[];
