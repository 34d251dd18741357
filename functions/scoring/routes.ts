import type { RouteDefinition } from '../../infra/platform/api.ts';

export const SCORING_ROUTES = [
  { method: 'POST', path: '/api/2.0/mlops/endpoints/{name}/invocations', scope: 'read' },
] as const satisfies readonly RouteDefinition[];
