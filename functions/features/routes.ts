import type { RouteDefinition } from '../../infra/platform/api.ts';

export const FEATURES_ROUTES = [
  { method: 'POST', path: '/api/2.0/mlops/features/online', scope: 'read' },
  // API Gateway path variables are whole segments, so `name@alias` arrives as one `{model}` segment.
  { method: 'POST', path: '/api/2.0/mlops/models/{model}/predict', scope: 'read' },
  { method: 'POST', path: '/api/2.0/mlops/models/{model}/{version}/predict', scope: 'read' },
] as const satisfies readonly RouteDefinition[];
