/**
 * The few MLflow registry calls a promotion job makes, over the kit's HTTP API (MLflow's wire
 * format, so any MLflow-compatible registry works). Errors keep MLflow's error code.
 */

/** A registry's base URL and bearer token. */
export interface RegistryEndpoint {
  readonly url: string;
  /** @default no Authorization header (a local platform) */
  readonly token?: string;
}

export interface ModelVersionInfo {
  readonly name: string;
  readonly version: string;
  readonly runId?: string;
  readonly source?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** A registry answered with an error; `code` is MLflow's error code (or the HTTP status). */
export class RegistryCallError extends Error {
  override readonly name = 'RegistryCallError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The registry operations a promotion needs; implemented over HTTP, and by fakes in unit tests. */
export interface RegistryApi {
  readonly url: string;
  getVersion(model: string, version: string): Promise<ModelVersionInfo>;
  /** Metrics of a run; empty when the registry has no tracking API or no such run. */
  getRunMetrics(runId: string): Promise<Record<string, number>>;
  /** The version an alias points at; undefined when the alias or the model does not exist. */
  getAlias(model: string, alias: string): Promise<string | undefined>;
  setAlias(model: string, alias: string, version: string): Promise<void>;
  deleteAlias(model: string, alias: string): Promise<void>;
}

/** Creates a RegistryApi over the kit's HTTP API. */
export function httpRegistry(endpoint: RegistryEndpoint, http: typeof fetch = fetch): RegistryApi {
  const call = async <T>(method: string, path: string, fields: Record<string, string>): Promise<T> => {
    const url = new URL(path, endpoint.url);
    // As MLflow's own client: query parameters for GET, a JSON body for every other method (DELETE too).
    if (method === 'GET') {
      for (const [key, value] of Object.entries(fields)) url.searchParams.append(key, value);
    }
    const response = await http(url, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {}),
      },
      ...(method === 'GET' ? {} : { body: JSON.stringify(fields) }),
    });
    const body = (await response.json().catch(() => ({}))) as T & { error_code?: string; message?: string };
    if (!response.ok) {
      const code = body.error_code ?? String(response.status);
      throw new RegistryCallError(
        `${method} ${url.pathname} on ${endpoint.url}: ${code} ${body.message ?? ''}`.trim(),
        code,
      );
    }
    return body;
  };
  // MLflow answers RESOURCE_DOES_NOT_EXIST for an unknown model or run, but INVALID_PARAMETER_VALUE
  // ("Registered model alias … not found") for an unknown alias.
  const missing = (error: unknown) =>
    error instanceof RegistryCallError &&
    (error.code === 'RESOURCE_DOES_NOT_EXIST' ||
      error.code === '404' ||
      (error.code === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(error.message)));

  return {
    url: endpoint.url,
    async getVersion(model, version) {
      const { model_version: v } = await call<{
        model_version: {
          name: string;
          version: string;
          run_id?: string;
          source?: string;
          tags?: { key: string; value: string }[];
        };
      }>('GET', '/api/2.0/mlflow/model-versions/get', { name: model, version });
      return {
        name: v.name,
        version: String(v.version),
        ...(v.run_id ? { runId: v.run_id } : {}),
        ...(v.source ? { source: v.source } : {}),
        tags: Object.fromEntries((v.tags ?? []).map((tag) => [tag.key, tag.value])),
      };
    },
    async getRunMetrics(runId) {
      try {
        const { run } = await call<{ run?: { data?: { metrics?: { key: string; value: number }[] } } }>(
          'GET',
          '/api/2.0/mlflow/runs/get',
          { run_id: runId },
        );
        return Object.fromEntries((run?.data?.metrics ?? []).map((metric) => [metric.key, metric.value]));
      } catch (error) {
        if (missing(error)) return {};
        throw error;
      }
    },
    async getAlias(model, alias) {
      try {
        const { model_version: v } = await call<{ model_version: { version: string } }>(
          'GET',
          '/api/2.0/mlflow/registered-models/alias',
          { name: model, alias },
        );
        return String(v.version);
      } catch (error) {
        if (missing(error)) return undefined;
        throw error;
      }
    },
    async setAlias(model, alias, version) {
      await call('POST', '/api/2.0/mlflow/registered-models/alias', { name: model, alias, version });
    },
    async deleteAlias(model, alias) {
      await call('DELETE', '/api/2.0/mlflow/registered-models/alias', { name: model, alias });
    },
  };
}
