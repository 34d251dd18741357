/**
 * A typed client for the kit's MLflow-compatible tracking API (and any MLflow tracking server),
 * for the kit's own pipelines, CLI and demo. It speaks MLflow's REST wire format and retries like
 * MLflow's Python client: 408, 429, 500, 502, 503 and 504 and network failures are retried with
 * exponential backoff and jitter, honouring `Retry-After`; every other error is an MlflowApiError
 * with MLflow's `error_code`.
 *
 * `logBatch` splits large batches along MLflow's limits (1000 metrics, 100 params, 100 tags,
 * 1000 entities per request), as the Python client does.
 */

export interface MlflowClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:5000` or the deployed API URL (MLFLOW_TRACKING_URI). */
  readonly trackingUri: string;
  /** Bearer token (MLFLOW_TRACKING_TOKEN). @default none */
  readonly token?: string;
  /** Retries after the first attempt. @default 5 */
  readonly maxRetries?: number;
  /** First backoff delay; doubles per retry, with up to 100% jitter. @default 200 ms */
  readonly backoffMs?: number;
  /** Per-request timeout. @default 120 s (MLflow's default) */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** An MLflow error answer (`{"error_code", "message"}`), or a non-JSON failure status. */
export class MlflowApiError extends Error {
  override readonly name = 'MlflowApiError';
  readonly status: number;
  readonly errorCode: string;

  constructor(status: number, errorCode: string, message: string) {
    super(`${errorCode} (${status}): ${message}`);
    this.status = status;
    this.errorCode = errorCode;
  }
}

export interface TagWire {
  readonly key: string;
  readonly value: string;
}

export interface MetricWire {
  readonly key: string;
  readonly value: number | 'NaN' | 'Infinity' | '-Infinity';
  readonly timestamp: number;
  readonly step: number;
}

export interface ExperimentWire {
  readonly experiment_id: string;
  readonly name: string;
  readonly artifact_location: string;
  readonly lifecycle_stage: 'active' | 'deleted';
  readonly creation_time?: number;
  readonly last_update_time?: number;
  readonly tags?: TagWire[];
}

export interface RunInfoWire {
  readonly run_id: string;
  readonly run_uuid: string;
  readonly experiment_id: string;
  readonly run_name: string;
  readonly user_id: string;
  readonly status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  readonly start_time?: number;
  readonly end_time?: number;
  readonly artifact_uri: string;
  readonly lifecycle_stage: 'active' | 'deleted';
}

export interface RunWire {
  readonly info: RunInfoWire;
  readonly data: { readonly metrics?: MetricWire[]; readonly params?: TagWire[]; readonly tags?: TagWire[] };
  readonly inputs?: { readonly dataset_inputs?: unknown[] };
}

export interface FileInfoWire {
  readonly path: string;
  readonly is_dir: boolean;
  readonly file_size?: number;
}

export interface MetricInput {
  readonly key: string;
  readonly value: number;
  /** @default now */
  readonly timestamp?: number;
  /** @default 0 */
  readonly step?: number;
}

export interface SearchRunsInput {
  readonly experimentIds: readonly string[];
  readonly filter?: string;
  readonly orderBy?: readonly string[];
  readonly viewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
  /** @default 1000 */
  readonly maxResults?: number;
  readonly pageToken?: string;
}

const RETRIED_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const MAX_METRICS = 1000;
const MAX_PARAMS_OR_TAGS = 100;
const MAX_ENTITIES = 1000;

/** MLflow's JSON encoding of a double. */
export function wireValue(value: number): MetricWire['value'] {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

/** The metric value of a wire metric as a number (NaN and ±Infinity included). */
export function metricValue(metric: Pick<MetricWire, 'value'>): number {
  return typeof metric.value === 'number' ? metric.value : Number(metric.value);
}

export class MlflowClient {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #maxRetries: number;
  readonly #backoffMs: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: MlflowClientOptions) {
    this.#base = options.trackingUri.replace(/\/+$/, '');
    this.#token = options.token;
    this.#maxRetries = options.maxRetries ?? 5;
    this.#backoffMs = options.backoffMs ?? 200;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    if (this.#maxRetries < 0) throw new Error(`maxRetries must be at least 0, got ${this.#maxRetries}`);
  }

  // ---- experiments -------------------------------------------------------------------------

  async createExperiment(
    name: string,
    options: { tags?: Record<string, string>; artifactLocation?: string } = {},
  ) {
    const reply = await this.#json<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', {
      name,
      ...(options.artifactLocation ? { artifact_location: options.artifactLocation } : {}),
      tags: tagList(options.tags),
    });
    return reply.experiment_id;
  }

  async getExperiment(experimentId: string): Promise<ExperimentWire> {
    return (
      await this.#json<{ experiment: ExperimentWire }>('GET', '/api/2.0/mlflow/experiments/get', {
        experiment_id: experimentId,
      })
    ).experiment;
  }

  /** The experiment of that name, or undefined (MLflow's RESOURCE_DOES_NOT_EXIST). */
  async getExperimentByName(name: string): Promise<ExperimentWire | undefined> {
    try {
      return (
        await this.#json<{ experiment: ExperimentWire }>('GET', '/api/2.0/mlflow/experiments/get-by-name', {
          experiment_name: name,
        })
      ).experiment;
    } catch (error) {
      if (error instanceof MlflowApiError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  /** `mlflow.set_experiment`: the id of the named experiment, created when missing. */
  async getOrCreateExperiment(name: string): Promise<string> {
    const existing = await this.getExperimentByName(name);
    if (existing) return existing.experiment_id;
    try {
      return await this.createExperiment(name);
    } catch (error) {
      // Another caller created it in between.
      if (error instanceof MlflowApiError && error.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const created = await this.getExperimentByName(name);
        if (created) return created.experiment_id;
      }
      throw error;
    }
  }

  // ---- runs --------------------------------------------------------------------------------

  async createRun(input: {
    experimentId: string;
    runName?: string;
    tags?: Record<string, string>;
    startTime?: number;
    userId?: string;
  }): Promise<RunWire> {
    const reply = await this.#json<{ run: RunWire }>('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: input.experimentId,
      ...(input.runName ? { run_name: input.runName } : {}),
      ...(input.userId ? { user_id: input.userId } : {}),
      start_time: input.startTime ?? Date.now(),
      tags: tagList(input.tags),
    });
    return reply.run;
  }

  async getRun(runId: string): Promise<RunWire> {
    return (await this.#json<{ run: RunWire }>('GET', '/api/2.0/mlflow/runs/get', { run_id: runId })).run;
  }

  async updateRun(
    runId: string,
    update: { status?: RunInfoWire['status']; endTime?: number; runName?: string },
  ): Promise<RunInfoWire> {
    const reply = await this.#json<{ run_info: RunInfoWire }>('POST', '/api/2.0/mlflow/runs/update', {
      run_id: runId,
      ...(update.status ? { status: update.status } : {}),
      ...(update.endTime !== undefined ? { end_time: update.endTime } : {}),
      ...(update.runName ? { run_name: update.runName } : {}),
    });
    return reply.run_info;
  }

  /** `set_terminated`: the run ends with `status` (FINISHED by default) now. */
  terminateRun(runId: string, status: RunInfoWire['status'] = 'FINISHED'): Promise<RunInfoWire> {
    return this.updateRun(runId, { status, endTime: Date.now() });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.#json('POST', '/api/2.0/mlflow/runs/delete', { run_id: runId });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.#json('POST', '/api/2.0/mlflow/runs/restore', { run_id: runId });
  }

  logMetric(runId: string, metric: MetricInput): Promise<void> {
    return this.logBatch(runId, { metrics: [metric] });
  }

  async logParam(runId: string, key: string, value: string): Promise<void> {
    await this.#json('POST', '/api/2.0/mlflow/runs/log-parameter', { run_id: runId, key, value });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.#json('POST', '/api/2.0/mlflow/runs/set-tag', { run_id: runId, key, value });
  }

  /** Logs metrics, params and tags, in as many requests as MLflow's per-request limits need. */
  async logBatch(
    runId: string,
    batch: {
      metrics?: readonly MetricInput[];
      params?: Record<string, string>;
      tags?: Record<string, string>;
    },
  ): Promise<void> {
    const now = Date.now();
    let metrics = (batch.metrics ?? []).map((m) => ({
      key: m.key,
      value: wireValue(m.value),
      timestamp: m.timestamp ?? now,
      step: m.step ?? 0,
    }));
    let params = tagList(batch.params);
    let tags = tagList(batch.tags);
    do {
      const chunkParams = params.slice(0, MAX_PARAMS_OR_TAGS);
      const chunkTags = tags.slice(0, MAX_PARAMS_OR_TAGS);
      const chunkMetrics = metrics.slice(
        0,
        Math.min(MAX_METRICS, MAX_ENTITIES - chunkParams.length - chunkTags.length),
      );
      await this.#json('POST', '/api/2.0/mlflow/runs/log-batch', {
        run_id: runId,
        metrics: chunkMetrics,
        params: chunkParams,
        tags: chunkTags,
      });
      params = params.slice(chunkParams.length);
      tags = tags.slice(chunkTags.length);
      metrics = metrics.slice(chunkMetrics.length);
    } while (metrics.length > 0 || params.length > 0 || tags.length > 0);
  }

  /** Every point of a metric, in step order, across all pages. */
  async getMetricHistory(runId: string, key: string): Promise<MetricWire[]> {
    const points: MetricWire[] = [];
    let pageToken: string | undefined;
    do {
      const reply = await this.#json<{ metrics?: MetricWire[]; next_page_token?: string }>(
        'GET',
        '/api/2.0/mlflow/metrics/get-history',
        {
          run_id: runId,
          metric_key: key,
          max_results: '25000',
          ...(pageToken ? { page_token: pageToken } : {}),
        },
      );
      points.push(...(reply.metrics ?? []));
      pageToken = reply.next_page_token || undefined;
    } while (pageToken);
    return points;
  }

  async searchRuns(input: SearchRunsInput): Promise<{ runs: RunWire[]; nextPageToken?: string }> {
    const reply = await this.#json<{ runs?: RunWire[]; next_page_token?: string }>(
      'POST',
      '/api/2.0/mlflow/runs/search',
      {
        experiment_ids: input.experimentIds,
        ...(input.filter ? { filter: input.filter } : {}),
        order_by: input.orderBy ?? [],
        run_view_type: input.viewType ?? 'ACTIVE_ONLY',
        max_results: input.maxResults ?? 1000,
        ...(input.pageToken ? { page_token: input.pageToken } : {}),
      },
    );
    return {
      runs: reply.runs ?? [],
      ...(reply.next_page_token ? { nextPageToken: reply.next_page_token } : {}),
    };
  }

  /** All runs matching the search, following page tokens. */
  async searchAllRuns(input: Omit<SearchRunsInput, 'pageToken'>): Promise<RunWire[]> {
    const runs: RunWire[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.searchRuns({ ...input, ...(pageToken ? { pageToken } : {}) });
      runs.push(...page.runs);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return runs;
  }

  async logInputs(
    runId: string,
    datasets: readonly {
      name: string;
      digest: string;
      sourceType: string;
      source: string;
      context?: string;
    }[],
  ): Promise<void> {
    await this.#json('POST', '/api/2.0/mlflow/runs/log-inputs', {
      run_id: runId,
      datasets: datasets.map((d) => ({
        dataset: { name: d.name, digest: d.digest, source_type: d.sourceType, source: d.source },
        ...(d.context ? { tags: [{ key: 'mlflow.data.context', value: d.context }] } : {}),
      })),
    });
  }

  // ---- artifacts ---------------------------------------------------------------------------

  /** Uploads one file under an `mlflow-artifacts:/...` root (a run's artifact_uri). */
  async uploadArtifact(
    artifactUri: string,
    path: string,
    bytes: Uint8Array,
    contentType = 'application/octet-stream',
  ) {
    const response = await this.#send('PUT', this.#artifactUrl(artifactUri, path), {
      body: bytes,
      contentType,
    });
    await this.#read(response);
  }

  /** The bytes of one artifact (the server answers with a redirect to storage, which is followed). */
  async downloadArtifact(artifactUri: string, path: string): Promise<Buffer> {
    const response = await this.#send('GET', this.#artifactUrl(artifactUri, path), {});
    if (!response.ok) await this.#read(response);
    return Buffer.from(await response.arrayBuffer());
  }

  async listArtifacts(artifactUri: string, path = ''): Promise<FileInfoWire[]> {
    const root = artifactPath(artifactUri);
    const reply = await this.#json<{ files?: FileInfoWire[] }>('GET', '/api/2.0/mlflow-artifacts/artifacts', {
      path: [root, path].filter(Boolean).join('/'),
    });
    return reply.files ?? [];
  }

  #artifactUrl(artifactUri: string, path: string): string {
    const full = [artifactPath(artifactUri), path].filter(Boolean).join('/');
    return `${this.#base}/api/2.0/mlflow-artifacts/artifacts/${full.split('/').map(encodeURIComponent).join('/')}`;
  }

  // ---- transport ---------------------------------------------------------------------------

  async #json<T = Record<string, never>>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    fields: Record<string, unknown>,
  ): Promise<T> {
    let url = `${this.#base}${path}`;
    if (method === 'GET') {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(fields)) {
        for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
      }
      if (query.size) url += `?${query}`;
      return this.#read<T>(await this.#send(method, url, {}));
    }
    return this.#read<T>(
      await this.#send(method, url, { body: JSON.stringify(fields), contentType: 'application/json' }),
    );
  }

  async #read<T>(response: Response): Promise<T> {
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok && body !== undefined) return body as T;
    const error = (body ?? {}) as { error_code?: unknown; message?: unknown };
    throw new MlflowApiError(
      response.status,
      typeof error.error_code === 'string' ? error.error_code : `HTTP_${response.status}`,
      typeof error.message === 'string' ? error.message : text.slice(0, 500),
    );
  }

  /** One request with MLflow's retry policy. */
  async #send(
    method: string,
    url: string,
    options: { body?: string | Uint8Array; contentType?: string },
  ): Promise<Response> {
    for (let attempt = 0; ; attempt += 1) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await this.#fetch(url, {
          method,
          headers: {
            ...(options.contentType ? { 'content-type': options.contentType } : {}),
            ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
          },
          ...(options.body !== undefined ? { body: options.body } : {}),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        failure = error;
      }
      const retryable = response === undefined || RETRIED_STATUSES.has(response.status);
      if (!retryable && response) return response;
      if (attempt >= this.#maxRetries) {
        if (response) return response;
        throw failure;
      }
      const retryAfter = Number(response?.headers.get('retry-after'));
      const backoff = this.#backoffMs * 2 ** attempt * (1 + Math.random());
      await response?.body?.cancel();
      await this.#sleep(
        Number.isFinite(retryAfter) && retryAfter >= 0 && response?.headers.has('retry-after')
          ? retryAfter * 1000
          : backoff,
      );
    }
  }
}

function tagList(tags: Record<string, string> | undefined): TagWire[] {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
}

/** The artifact path of an `mlflow-artifacts:/...` URI. */
function artifactPath(uri: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri);
  if (!match) throw new Error(`not an mlflow-artifacts URI: ${uri}`);
  return (match[1] as string).replace(/\/+$/, '');
}
