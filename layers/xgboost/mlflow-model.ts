/**
 * A kit model as an MLflow model: the files of an MLflow model directory (an `MLmodel` with the
 * `xgboost` and `python_function` flavors, the XGBoost JSON model, the SageMaker package and the
 * kit's metadata), and logging them through the tracking API (MLflow 3's logged models: create,
 * upload through the `mlflow-artifacts` proxy, finalize), so that `mlflow.xgboost.load_model` and
 * `mlflow.pyfunc.load_model` open it like a model logged from Python.
 */
import { randomUUID } from 'node:crypto';
import type { XgbModel } from './model-json.ts';
import { writeXgbModel } from './model-json.ts';
import type { ModelMetadata } from './model-package.ts';

export const MLFLOW_MODEL_FILE = 'model.json';
export const MLFLOW_PACKAGE_FILE = 'model.tar.gz';

/** The files of the MLflow model directory, by relative path. */
export function mlflowModelFiles(
  model: XgbModel,
  metadata: ModelMetadata,
  packageBytes: Uint8Array,
  options: { readonly modelId?: string; readonly runId?: string; readonly createdAt?: Date } = {},
): Record<string, Uint8Array> {
  const signature = (columns: readonly { name: string; type: string }[], named: boolean) =>
    JSON.stringify(
      columns.map((c) => ({ type: c.type, ...(named ? { name: c.name } : {}), required: true })),
    );
  const lines = [
    'artifact_path: model',
    'flavors:',
    '  python_function:',
    `    data: ${MLFLOW_MODEL_FILE}`,
    '    loader_module: mlflow.xgboost',
    '    python_version: 3.11.0',
    '  xgboost:',
    '    code: null',
    `    data: ${MLFLOW_MODEL_FILE}`,
    '    model_class: xgboost.core.Booster',
    '    model_format: json',
    `    xgb_version: ${model.version.join('.')}`,
    ...(options.modelId ? [`model_id: ${options.modelId}`] : []),
    `model_uuid: ${randomUUID().replaceAll('-', '')}`,
    ...(options.runId ? [`run_id: ${options.runId}`] : []),
    'signature:',
    `  inputs: '${signature(metadata.signature.inputs, true)}'`,
    `  outputs: '${signature(metadata.signature.outputs, metadata.signature.outputs.length > 1)}'`,
    '  params: null',
    `utc_time_created: '${(options.createdAt ?? new Date()).toISOString().replace('T', ' ').replace('Z', '')}'`,
  ];
  const text = (s: string) => Buffer.from(s, 'utf8');
  return {
    MLmodel: text(`${lines.join('\n')}\n`),
    [MLFLOW_MODEL_FILE]: text(writeXgbModel(model)),
    [MLFLOW_PACKAGE_FILE]: packageBytes,
    'mlops-model.json': text(`${JSON.stringify(metadata, null, 2)}\n`),
    'requirements.txt': text(`mlflow\nxgboost==${model.version.join('.')}\n`),
  };
}

export interface LogModelOptions {
  /** The tracking server's base URL (`MLFLOW_TRACKING_URI`). */
  readonly trackingUri: string;
  readonly experimentId: string;
  readonly name: string;
  readonly runId?: string;
  readonly model: XgbModel;
  readonly metadata: ModelMetadata;
  readonly packageBytes: Uint8Array;
  /** Sent as `Authorization: Bearer <token>`. @default none */
  readonly token?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface LoggedModel {
  readonly modelId: string;
  /** `mlflow-artifacts:/...` location of the model's files. */
  readonly artifactLocation: string;
  /** `models:/<model_id>`, the URI MLflow 3 loads the model by. */
  readonly modelUri: string;
}

/** Logs the model through the tracking API; throws with the server's message on a refusal. */
export async function logModel(options: LogModelOptions): Promise<LoggedModel> {
  const send = options.fetch ?? fetch;
  const base = options.trackingUri.replace(/\/$/, '');
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await send(`${base}${path}`, {
      method,
      headers: { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const created = (await call('POST', '/api/2.0/mlflow/logged-models', {
    experiment_id: options.experimentId,
    name: options.name,
    model_type: 'xgboost',
    ...(options.runId ? { source_run_id: options.runId } : {}),
    params: Object.entries(options.metadata.params).map(([key, value]) => ({ key, value })),
    tags: [{ key: 'mlops.objective', value: options.metadata.objective }],
  })) as { model: { info: { model_id: string; artifact_uri: string } } };
  const { model_id: modelId, artifact_uri: artifactLocation } = created.model.info;
  const files = mlflowModelFiles(options.model, options.metadata, options.packageBytes, {
    modelId,
    ...(options.runId ? { runId: options.runId } : {}),
  });
  const root = artifactLocation.replace(/^mlflow-artifacts:\/*/, '');
  for (const [path, bytes] of Object.entries(files)) {
    const response = await send(`${base}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, {
      method: 'PUT',
      // Binary, so that API Gateway passes the bytes base64-encoded rather than as text.
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    if (!response.ok)
      throw new Error(`uploading ${path} answered ${response.status}: ${await response.text()}`);
  }
  await call('PATCH', `/api/2.0/mlflow/logged-models/${modelId}`, { status: 'LOGGED_MODEL_READY' });
  return { modelId, artifactLocation, modelUri: `models:/${modelId}` };
}
