import type { RouteDefinition } from '../../infra/platform/api.ts';

export const FEATURES_ROUTES = [
  { method: 'POST', path: '/api/2.0/mlops/features/online', scope: 'read' },
] as const satisfies readonly RouteDefinition[];
