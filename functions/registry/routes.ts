import type { RouteDefinition } from '../../infra/platform/api.ts';

const MLFLOW = '/api/2.0/mlflow';

/**
 * The registry's routes: MLflow's model registry plus the kit's lineage and audit reads. All are
 * literal paths, so they win over any greedy `{proxy+}` route of another function. Moving a
 * protected alias needs the admin scope too; that is checked by the registry itself, because the
 * same route moves unprotected aliases with the write scope.
 */
export const REGISTRY_ROUTES = [
  { method: 'POST', path: `${MLFLOW}/registered-models/create`, scope: 'write' },
  { method: 'GET', path: `${MLFLOW}/registered-models/get`, scope: 'read' },
  { method: 'GET', path: `${MLFLOW}/registered-models/search`, scope: 'read' },
  { method: 'PATCH', path: `${MLFLOW}/registered-models/update`, scope: 'write' },
  { method: 'POST', path: `${MLFLOW}/registered-models/rename`, scope: 'write' },
  { method: 'DELETE', path: `${MLFLOW}/registered-models/delete`, scope: 'write' },
  { method: 'POST', path: `${MLFLOW}/registered-models/set-tag`, scope: 'write' },
  { method: 'DELETE', path: `${MLFLOW}/registered-models/delete-tag`, scope: 'write' },
  { method: 'POST', path: `${MLFLOW}/registered-models/alias`, scope: 'write' },
  { method: 'DELETE', path: `${MLFLOW}/registered-models/alias`, scope: 'write' },
  { method: 'GET', path: `${MLFLOW}/registered-models/alias`, scope: 'read' },
  { method: 'POST', path: `${MLFLOW}/registered-models/get-latest-versions`, scope: 'read' },
  { method: 'GET', path: `${MLFLOW}/registered-models/get-latest-versions`, scope: 'read' },
  { method: 'POST', path: `${MLFLOW}/model-versions/create`, scope: 'write' },
  { method: 'GET', path: `${MLFLOW}/model-versions/get`, scope: 'read' },
  { method: 'GET', path: `${MLFLOW}/model-versions/search`, scope: 'read' },
  { method: 'PATCH', path: `${MLFLOW}/model-versions/update`, scope: 'write' },
  { method: 'DELETE', path: `${MLFLOW}/model-versions/delete`, scope: 'write' },
  { method: 'POST', path: `${MLFLOW}/model-versions/set-tag`, scope: 'write' },
  { method: 'DELETE', path: `${MLFLOW}/model-versions/delete-tag`, scope: 'write' },
  { method: 'POST', path: `${MLFLOW}/model-versions/transition-stage`, scope: 'write' },
  { method: 'GET', path: `${MLFLOW}/model-versions/get-download-uri`, scope: 'read' },
  { method: 'GET', path: '/api/2.0/mlops/lineage', scope: 'read' },
  { method: 'GET', path: '/api/2.0/mlops/audit', scope: 'read' },
  { method: 'GET', path: '/api/2.0/mlops/registry/export', scope: 'read' },
  { method: 'POST', path: '/api/2.0/mlops/registry/import', scope: 'write' },
  { method: 'POST', path: '/api/2.0/mlops/registry/import/complete', scope: 'write' },
] as const satisfies readonly RouteDefinition[];
