import type { RouteDefinition } from '../../infra/platform/api.ts';

const API = '/api/2.0/mlflow';

/**
 * The MLflow tracking routes the tracking function serves. Reads need the `read` scope, writes the
 * `write` scope (searches are POSTs but read). The greedy routes answer ENDPOINT_NOT_FOUND (or 405)
 * in MLflow's format for anything else under the prefix, and serve the `/ajax-api` alias.
 */
export const TRACKING_ROUTES = [
  { method: 'GET', path: '/api/3.0/mlflow/server-info', scope: 'read' },
  { method: 'GET', path: '/version', scope: 'read' },
  { method: 'POST', path: `${API}/experiments/create`, scope: 'write' },
  { method: 'GET', path: `${API}/experiments/get`, scope: 'read' },
  { method: 'GET', path: `${API}/experiments/get-by-name`, scope: 'read' },
  { method: 'POST', path: `${API}/experiments/search`, scope: 'read' },
  { method: 'GET', path: `${API}/experiments/search`, scope: 'read' },
  { method: 'POST', path: `${API}/experiments/update`, scope: 'write' },
  { method: 'POST', path: `${API}/experiments/delete`, scope: 'write' },
  { method: 'POST', path: `${API}/experiments/restore`, scope: 'write' },
  { method: 'POST', path: `${API}/experiments/set-experiment-tag`, scope: 'write' },
  { method: 'POST', path: `${API}/experiments/delete-experiment-tag`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/create`, scope: 'write' },
  { method: 'GET', path: `${API}/runs/get`, scope: 'read' },
  { method: 'POST', path: `${API}/runs/update`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/delete`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/restore`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/search`, scope: 'read' },
  { method: 'POST', path: `${API}/runs/log-metric`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/log-parameter`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/log-batch`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/log-inputs`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/outputs`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/set-tag`, scope: 'write' },
  { method: 'POST', path: `${API}/runs/delete-tag`, scope: 'write' },
  { method: 'GET', path: `${API}/metrics/get-history`, scope: 'read' },
  { method: 'GET', path: `${API}/metrics/get-history-bulk-interval`, scope: 'read' },
  { method: 'GET', path: `${API}/artifacts/list`, scope: 'read' },
  { method: 'POST', path: `${API}/logged-models`, scope: 'write' },
  { method: 'POST', path: `${API}/logged-models/search`, scope: 'read' },
  { method: 'GET', path: `${API}/logged-models/{model_id}`, scope: 'read' },
  { method: 'PATCH', path: `${API}/logged-models/{model_id}`, scope: 'write' },
  { method: 'DELETE', path: `${API}/logged-models/{model_id}`, scope: 'write' },
  { method: 'PATCH', path: `${API}/logged-models/{model_id}/tags`, scope: 'write' },
  { method: 'DELETE', path: `${API}/logged-models/{model_id}/tags/{tag_key}`, scope: 'write' },
  { method: 'POST', path: `${API}/logged-models/{model_id}/params`, scope: 'write' },
  { method: 'GET', path: `${API}/logged-models/{model_id}/artifacts/directories`, scope: 'read' },
  { method: 'ANY', path: `${API}/{proxy+}`, scope: 'read' },
  { method: 'GET', path: '/ajax-api/2.0/mlflow/{proxy+}', scope: 'read' },
  { method: 'POST', path: '/ajax-api/2.0/mlflow/{proxy+}', scope: 'write' },
] as const satisfies readonly RouteDefinition[];

const ARTIFACTS = '/api/2.0/mlflow-artifacts';

/** The `mlflow-artifacts` proxy routes, served by the artifacts function. */
export const ARTIFACT_ROUTES = [
  { method: 'GET', path: `${ARTIFACTS}/artifacts`, scope: 'read' },
  { method: 'GET', path: `${ARTIFACTS}/artifacts/{proxy+}`, scope: 'read' },
  { method: 'PUT', path: `${ARTIFACTS}/artifacts/{proxy+}`, scope: 'write' },
  { method: 'DELETE', path: `${ARTIFACTS}/artifacts/{proxy+}`, scope: 'write' },
  { method: 'POST', path: `${ARTIFACTS}/mpu/create/{proxy+}`, scope: 'write' },
  { method: 'POST', path: `${ARTIFACTS}/mpu/complete/{proxy+}`, scope: 'write' },
  { method: 'POST', path: `${ARTIFACTS}/mpu/abort/{proxy+}`, scope: 'write' },
  { method: 'GET', path: `${ARTIFACTS}/presigned/{proxy+}`, scope: 'read' },
  { method: 'ANY', path: `${ARTIFACTS}/{proxy+}`, scope: 'read' },
] as const satisfies readonly RouteDefinition[];
