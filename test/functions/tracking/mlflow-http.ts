/**
 * A tiny MLflow-speaking HTTP helper for the tracking tests: JSON in, status and JSON out, against a
 * local platform started on free ports.
 */
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
  readonly text: string;
}

export interface MlflowHttp {
  readonly platform: LocalPlatform;
  call(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | string[]>,
  ): Promise<Reply>;
  stop(): Promise<void>;
}

/** MLflow calls against a running local platform (paths from the root, e.g. `/api/2.0/mlflow/…`). */
export function mlflowCall(platform: LocalPlatform): MlflowHttp['call'] {
  return async (method, path, body, query) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) search.append(key, item);
    }
    const url = `${platform.url}${path}${search.size ? `?${search}` : ''}`;
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    return { status: response.status, body: parsed, headers: response.headers, text };
  };
}

export async function startMlflowHttp(): Promise<MlflowHttp> {
  const platform = await startLocalPlatform({ port: 0 });
  return { platform, call: mlflowCall(platform), stop: () => platform.stop() };
}
