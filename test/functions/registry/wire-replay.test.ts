import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';

interface WirePair {
  readonly label: string;
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly query: Record<string, string | number | string[]> | null;
    readonly json: unknown;
  };
  readonly response: { readonly status: number; readonly body: unknown };
}

const PAIRS = (
  JSON.parse(
    readFileSync(new URL('../../fixtures/mlflow-wire-examples.json', import.meta.url), 'utf8'),
  ) as WirePair[]
).filter((pair) => /\/(registered-models|model-versions)\//.test(pair.request.path));

/**
 * Pairs whose message is the reference's Python-specific text ("Value was of type 'str'"); the kit
 * answers the same status and error_code with a message that says what the limit is.
 */
const OWN_MESSAGE = new Set(['search registered models max_results too big']);

/** Timestamps differ from run to run; every other byte must match. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key.endsWith('_timestamp') && typeof inner === 'number' ? '<timestamp>' : normalise(inner),
      ]),
    );
  }
  return value;
}

function url(base: string, pair: WirePair): string {
  const target = new URL(pair.request.path, base);
  for (const [key, value] of Object.entries(pair.request.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) target.searchParams.append(key, String(item));
  }
  return target.href;
}

describe('registry wire compatibility', () => {
  let platform: LocalPlatform;
  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
  });
  afterAll(async () => {
    await platform.stop();
  });

  it('holds the registry pairs captured from MLflow', () => {
    expect(PAIRS.length).toBeGreaterThan(30);
  });

  it('answers every registry pair as MLflow did, in order', async () => {
    for (const pair of PAIRS) {
      const response = await fetch(url(platform.url, pair), {
        method: pair.request.method,
        ...(pair.request.json === null
          ? {}
          : { body: JSON.stringify(pair.request.json), headers: { 'content-type': 'application/json' } }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      const expected = pair.response.body as Record<string, unknown>;
      if (OWN_MESSAGE.has(pair.label)) {
        expect(body.message).toMatch(/max_results/);
        body.message = expected.message;
      }
      expect({ label: pair.label, status: response.status, body: normalise(body) }).toEqual({
        label: pair.label,
        status: pair.response.status,
        body: normalise(pair.response.body),
      });
    }
  });
});
