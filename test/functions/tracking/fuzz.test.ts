/**
 * Malformed requests across the tracking and artifact routes: every one must be answered with a 4xx
 * in MLflow's error format (never a 5xx), and none may change what is stored. Requests are generated
 * from a valid template per route with a seeded generator, so a failure reproduces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlflowHttp, startMlflowHttp } from './mlflow-http.ts';

const API = '/api/2.0/mlflow';
const ARTIFACTS = '/api/2.0/mlflow-artifacts';
const REQUESTS = 1200;

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Fixture {
  readonly experimentId: string;
  readonly runId: string;
  readonly modelId: string;
}

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  /** A raw body (sent as is) or a JSON value. */
  readonly raw?: string;
  readonly json?: unknown;
  readonly contentType?: string;
  readonly what: string;
}

interface Template {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** Valid fields (query for GET, JSON body otherwise). */
  readonly fields: Record<string, unknown>;
  readonly required: readonly string[];
  /** Extra invalid variants specific to the route. */
  readonly invalid?: readonly Record<string, unknown>[];
}

const NOT_STRINGS = [123, 1.5, true, null, {}, ['x'], { key: 'v' }];
const NOT_INTS = ['abc', 1.5, {}, ['1'], '1e3', null, '9'.repeat(30)];
const BAD_KEYS = ['bad$key', '../up', 'a//b', '/abs', '', 'x'.repeat(251), 'semi;colon', 'new\nline', '.'];
const BAD_FILTERS: string[] = [
  'metrics.acc >> 1',
  "params.a = '1' OR params.b = '2'",
  'nonsense',
  "tags.x = 'unterminated",
  'metrics.acc > ',
  "foo.bar = 'x'",
  'metrics.a > 1 AND',
  '((()',
  'attributes.status IN (1, 2)',
  'metrics.`x > 1',
];
const BAD_TOKENS = ['!!!', 'eyJvZmZzZXQiOiAtMX0=', 'bm90IGpzb24=', '%%%'];

function templates(f: Fixture): Template[] {
  const metric = { key: 'm', value: 1, timestamp: 1, step: 0 };
  return [
    {
      method: 'POST',
      path: `${API}/experiments/create`,
      fields: { name: 'fuzz-new' },
      required: ['name'],
      invalid: [
        { name: '   ' },
        { name: 'n'.repeat(501) },
        { name: 'x', artifact_location: 'runs:/abc' },
        { name: 'x', tags: [{ key: 'bad$', value: 'v' }] },
      ],
    },
    {
      method: 'GET',
      path: `${API}/experiments/get`,
      fields: { experiment_id: f.experimentId },
      required: ['experiment_id'],
      invalid: [{ experiment_id: 'abc' }, { experiment_id: '99999999' }, { experiment_id: '-1' }],
    },
    {
      method: 'GET',
      path: `${API}/experiments/get-by-name`,
      fields: { experiment_name: 'fuzz' },
      required: ['experiment_name'],
      invalid: [{ experiment_name: 'nope' }, { experiment_name: 'n'.repeat(3000) }],
    },
    {
      method: 'POST',
      path: `${API}/experiments/search`,
      fields: { max_results: 10 },
      required: [],
      invalid: BAD_FILTERS.map((filter): Record<string, unknown> => ({ filter })).concat([
        { max_results: 0 },
        { max_results: 50_001 },
        { max_results: -3 },
        { view_type: 'NOPE' },
        { view_type: 9 },
        { order_by: ['nope DESC'] },
        { page_token: '!!!' },
      ]),
    },
    {
      method: 'GET',
      path: `${API}/experiments/search`,
      fields: { max_results: '10' },
      required: [],
      invalid: [{ max_results: 'x' }, { filter: 'nonsense' }, { view_type: 'X' }, { page_token: '%%%' }],
    },
    {
      method: 'POST',
      path: `${API}/experiments/update`,
      fields: { experiment_id: f.experimentId, new_name: 'fuzz-renamed' },
      required: ['experiment_id', 'new_name'],
      invalid: [
        { experiment_id: '99999999', new_name: 'x' },
        { experiment_id: f.experimentId, new_name: '' },
        { experiment_id: '0', new_name: 'fuzz' },
      ],
    },
    {
      method: 'POST',
      path: `${API}/experiments/delete`,
      fields: { experiment_id: f.experimentId },
      required: ['experiment_id'],
      invalid: [{ experiment_id: '99999999' }, { experiment_id: '0' }, { experiment_id: 'x' }],
    },
    {
      method: 'POST',
      path: `${API}/experiments/restore`,
      fields: { experiment_id: f.experimentId },
      required: ['experiment_id'],
      invalid: [{ experiment_id: '99999999' }],
    },
    {
      method: 'POST',
      path: `${API}/experiments/set-experiment-tag`,
      fields: { experiment_id: f.experimentId, key: 'k', value: 'v' },
      required: ['experiment_id', 'key', 'value'],
      invalid: BAD_KEYS.map(
        (key): Record<string, unknown> => ({ experiment_id: f.experimentId, key, value: 'v' }),
      ).concat([{ experiment_id: f.experimentId, key: 'k', value: 'v'.repeat(5001) }]),
    },
    {
      method: 'POST',
      path: `${API}/experiments/delete-experiment-tag`,
      fields: { experiment_id: f.experimentId, key: 'never' },
      required: ['experiment_id', 'key'],
    },
    {
      method: 'POST',
      path: `${API}/runs/create`,
      fields: { experiment_id: f.experimentId },
      required: [],
      invalid: [
        { experiment_id: 'abc' },
        { experiment_id: '99999999' },
        { experiment_id: f.experimentId, start_time: 'x' },
        { experiment_id: f.experimentId, tags: [{ key: 'bad$', value: 'v' }] },
        { experiment_id: f.experimentId, tags: 'x' },
        { experiment_id: f.experimentId, run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] },
      ],
    },
    {
      method: 'GET',
      path: `${API}/runs/get`,
      fields: { run_id: f.runId },
      required: ['run_id'],
      invalid: [{ run_id: '0'.repeat(32) }, { run_id: '../etc' }, { run_id: '' }],
    },
    {
      method: 'POST',
      path: `${API}/runs/update`,
      fields: { run_id: f.runId, status: 'FINISHED' },
      required: ['run_id'],
      invalid: [
        { run_id: f.runId, status: 'DONE' },
        { run_id: f.runId, status: 42 },
        { run_id: f.runId, end_time: 'later' },
        { run_id: 'f'.repeat(32) },
      ],
    },
    {
      method: 'POST',
      path: `${API}/runs/delete`,
      fields: { run_id: f.runId },
      required: ['run_id'],
      invalid: [{ run_id: 'f'.repeat(32) }, { run_id: 'a b' }],
    },
    {
      method: 'POST',
      path: `${API}/runs/restore`,
      fields: { run_id: f.runId },
      required: ['run_id'],
      invalid: [{ run_id: 'f'.repeat(32) }],
    },
    {
      method: 'POST',
      path: `${API}/runs/search`,
      fields: { experiment_ids: [f.experimentId] },
      required: [],
      invalid: BAD_FILTERS.map(
        (filter): Record<string, unknown> => ({ experiment_ids: [f.experimentId], filter }),
      ).concat(
        BAD_TOKENS.map((page_token) => ({ experiment_ids: [f.experimentId], page_token })),
        [
          { experiment_ids: ['abc'] },
          { experiment_ids: 'x' },
          { experiment_ids: [f.experimentId], max_results: 50_001 },
          { experiment_ids: [f.experimentId], run_view_type: 'SOME' },
          { experiment_ids: [f.experimentId], order_by: ['metrics.m', 'metrics.m'] },
          { experiment_ids: [f.experimentId], order_by: ['attributes.nope'] },
        ],
      ),
    },
    {
      method: 'POST',
      path: `${API}/runs/log-metric`,
      fields: { run_id: f.runId, ...metric },
      required: ['run_id', 'key', 'value', 'timestamp'],
      invalid: BAD_KEYS.map((key): Record<string, unknown> => ({ run_id: f.runId, ...metric, key })).concat([
        { run_id: f.runId, ...metric, timestamp: -1 },
        { run_id: f.runId, ...metric, value: 'abc' },
        { run_id: f.runId, ...metric, step: 'x' },
        { run_id: '0'.repeat(32), ...metric },
      ]),
    },
    {
      method: 'POST',
      path: `${API}/runs/log-parameter`,
      fields: { run_id: f.runId, key: 'p', value: 'other' },
      required: ['run_id', 'key', 'value'],
      invalid: [
        { run_id: f.runId, key: 'p', value: 'other' },
        ...BAD_KEYS.map((key) => ({ run_id: f.runId, key, value: 'v' })),
      ],
    },
    {
      method: 'POST',
      path: `${API}/runs/set-tag`,
      fields: { run_id: f.runId, key: 't', value: 'v' },
      required: ['run_id', 'key', 'value'],
      invalid: BAD_KEYS.map((key) => ({ run_id: f.runId, key, value: 'v' })),
    },
    {
      method: 'POST',
      path: `${API}/runs/delete-tag`,
      fields: { run_id: f.runId, key: 'never' },
      required: ['run_id', 'key'],
      invalid: [
        { run_id: f.runId, key: '' },
        { run_id: f.runId, key: 'bad$' },
      ],
    },
    {
      method: 'POST',
      path: `${API}/runs/log-batch`,
      fields: { run_id: f.runId, metrics: [metric] },
      required: ['run_id'],
      invalid: [
        { run_id: f.runId, metrics: Array.from({ length: 1001 }, (_, i) => ({ ...metric, step: i })) },
        { run_id: f.runId, params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })) },
        { run_id: f.runId, tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: 'v' })) },
        {
          run_id: f.runId,
          metrics: Array.from({ length: 900 }, (_, i) => ({ ...metric, step: i })),
          params: Array.from({ length: 100 }, (_, i) => ({ key: `q${i}`, value: 'v' })),
          tags: [{ key: 'x', value: 'y' }],
        },
        {
          run_id: f.runId,
          params: [
            { key: 'dup', value: '1' },
            { key: 'dup', value: '2' },
          ],
        },
        { run_id: f.runId, params: [{ key: 'p', value: 'changed' }], metrics: [metric] },
        { run_id: f.runId, metrics: [{ ...metric, key: 'bad$' }] },
        { run_id: f.runId, metrics: [{ key: 'm', value: 1 }] },
        { run_id: f.runId, metrics: 'lots' },
        { run_id: f.runId, metrics: [metric, null] },
        { run_id: f.runId, tags: [{ key: 'k' }] },
      ],
    },
    {
      method: 'POST',
      path: `${API}/runs/log-inputs`,
      fields: { run_id: f.runId, datasets: [] },
      required: ['run_id'],
      invalid: [
        { run_id: f.runId, datasets: [{ dataset: { name: 'd' } }] },
        {
          run_id: f.runId,
          datasets: [{ dataset: { name: 'd', digest: 'x'.repeat(37), source_type: 's', source: 's' } }],
        },
        { run_id: f.runId, models: [{}] },
      ],
    },
    {
      method: 'POST',
      path: `${API}/runs/outputs`,
      fields: { run_id: f.runId, models: [] },
      required: ['run_id'],
      invalid: [
        { run_id: f.runId, models: [{ model_id: 1 }] },
        { run_id: 'f'.repeat(32), models: [] },
      ],
    },
    {
      method: 'GET',
      path: `${API}/metrics/get-history`,
      fields: { run_id: f.runId, metric_key: 'm' },
      required: ['run_id', 'metric_key'],
      invalid: [
        { run_id: f.runId, metric_key: 'm', max_results: '0' },
        { run_id: f.runId, metric_key: 'm', max_results: '25001' },
        { run_id: f.runId, metric_key: 'm', page_token: '!!!' },
        { run_id: 'f'.repeat(32), metric_key: 'm' },
      ],
    },
    {
      method: 'GET',
      path: `${API}/artifacts/list`,
      fields: { run_id: f.runId },
      required: ['run_id'],
      invalid: [{ run_id: 'f'.repeat(32) }],
    },
    {
      method: 'POST',
      path: `${API}/logged-models`,
      fields: { experiment_id: f.experimentId },
      required: ['experiment_id'],
      invalid: [
        { experiment_id: '99999999' },
        { experiment_id: f.experimentId, source_run_id: 'f'.repeat(32) },
        { experiment_id: f.experimentId, tags: [{ key: '../x', value: 'v' }] },
      ],
    },
    {
      method: 'POST',
      path: `${API}/logged-models/search`,
      fields: { experiment_ids: [f.experimentId] },
      required: [],
      invalid: [
        { experiment_ids: ['x'] },
        { experiment_ids: [f.experimentId], filter: 'nonsense' },
        { experiment_ids: [f.experimentId], page_token: '!!!' },
      ],
    },
    {
      method: 'PATCH',
      path: `${API}/logged-models/${f.modelId}`,
      fields: { status: 'LOGGED_MODEL_READY' },
      required: ['status'],
      invalid: [{ status: 'DONE' }, { status: 17 }],
    },
    { method: 'GET', path: `${API}/logged-models/m-${'0'.repeat(32)}`, fields: {}, required: [] },
    { method: 'DELETE', path: `${API}/logged-models/m-${'0'.repeat(32)}`, fields: {}, required: [] },
    {
      method: 'PATCH',
      path: `${API}/logged-models/${f.modelId}/tags`,
      fields: { tags: [{ key: 'a', value: 'b' }] },
      required: [],
      invalid: [{ tags: [{ key: 'bad$', value: 'v' }] }, { tags: 'x' }],
    },
    { method: 'DELETE', path: `${API}/logged-models/${f.modelId}/tags/never`, fields: {}, required: [] },
    {
      method: 'POST',
      path: `${API}/logged-models/${f.modelId}/params`,
      fields: { params: [{ key: 'a', value: 'b' }] },
      required: [],
      invalid: [{ params: [{ key: '', value: 'v' }] }, { params: [{ key: 'a' }] }],
    },
    {
      method: 'POST',
      path: `${ARTIFACTS}/mpu/create/${f.experimentId}/${f.runId}/artifacts`,
      fields: { path: 'big.bin', num_parts: 2 },
      required: ['path', 'num_parts'],
      invalid: [
        { path: '../x', num_parts: 2 },
        { path: 'x', num_parts: 0 },
        { path: 'x', num_parts: 10_001 },
      ],
    },
    {
      method: 'POST',
      path: `${ARTIFACTS}/mpu/complete/${f.experimentId}/${f.runId}/artifacts`,
      fields: { path: 'big.bin', upload_id: 'nope', parts: [{ part_number: 1, etag: 'x' }] },
      required: ['path', 'upload_id', 'parts'],
      invalid: [{ path: 'big.bin', upload_id: 'nope', parts: [] }],
    },
    {
      method: 'POST',
      path: `${ARTIFACTS}/mpu/abort/${f.experimentId}/${f.runId}/artifacts`,
      fields: { path: 'big.bin', upload_id: 'nope' },
      required: ['path', 'upload_id'],
    },
  ];
}

function* generate(f: Fixture, random: () => number): Generator<FuzzRequest> {
  const all = templates(f);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const path = (t: Template) => t.path;
  for (;;) {
    const t = pick(all);
    const kind = Math.floor(random() * 7);
    const isGet = t.method === 'GET';
    const send = (fields: unknown, what: string): FuzzRequest =>
      isGet
        ? { method: t.method, path: path(t), query: fields as Record<string, string>, what }
        : { method: t.method, path: path(t), json: fields, what };
    if (kind === 0 && !isGet) {
      yield {
        method: t.method,
        path: path(t),
        raw: pick(['{not json', '{"a":', '[1,2', '{"name": "x",}', 'undefined', '\u0000']),
        contentType: 'application/json',
        what: 'malformed JSON',
      };
    } else if (kind === 1 && !isGet) {
      yield {
        method: t.method,
        path: path(t),
        raw: pick(['[]', '1', '"x"', 'null', 'true', '[{"name":"x"}]']),
        contentType: 'application/json',
        what: 'JSON that is not an object',
      };
    } else if (kind === 2 && t.method !== 'GET' && t.method !== 'DELETE') {
      yield {
        method: t.method,
        path: path(t),
        raw: JSON.stringify(t.fields),
        contentType: pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml']),
        what: 'wrong content type',
      };
    } else if (kind === 3 && t.required.length > 0) {
      const field = pick(t.required);
      const { [field]: _removed, ...rest } = t.fields;
      yield send(rest, `missing ${field}`);
    } else if (kind === 4 && t.required.length > 0 && !isGet) {
      const field = pick(t.required);
      const value = ['timestamp', 'num_parts'].includes(field)
        ? pick(NOT_INTS)
        : field === 'value' && t.path.endsWith('log-metric')
          ? pick(['abc', {}, [], null, ''])
          : field === 'parts' || field === 'status'
            ? pick(['x', 3.5, {}, null])
            : pick(NOT_STRINGS);
      yield send({ ...t.fields, [field]: value }, `${field} of the wrong type`);
    } else if (kind === 5 && t.invalid?.length) {
      yield send(pick(t.invalid), 'invalid value');
    } else if (kind === 6) {
      yield pick<FuzzRequest>([
        {
          method: 'GET',
          path: `${ARTIFACTS}/artifacts/${pick(['..%2F..%2Fetc%2Fpasswd', 'a/..%2F..%2Fb', '%2E%2E%2Fx', '%2Fabs', 'a%5Cb', 'x%00y', `${'x'.repeat(1100)}`])}`,
          what: 'artifact path traversal',
        },
        {
          method: 'PUT',
          path: `${ARTIFACTS}/artifacts/${pick(['..%2Fx', 'a/..%2F..%2Fb', '%2E%2E%2F%2E%2E'])}`,
          raw: 'x',
          contentType: 'text/plain',
          what: 'artifact upload outside the root',
        },
        {
          method: 'DELETE',
          path: `${ARTIFACTS}/artifacts/${pick(['..%2F', 'x/..%2F..'])}`,
          what: 'artifact delete outside the root',
        },
        {
          method: 'GET',
          path: `${ARTIFACTS}/artifacts`,
          query: { path: pick(['../x', '/abs', 'a\\b']) },
          what: 'artifact listing outside the root',
        },
        { method: pick(['DELETE', 'PUT', 'PATCH']), path: `${API}/runs/log-batch`, what: 'wrong method' },
        {
          method: 'GET',
          path: `${API}/${pick(['nope', 'runs/nope', 'experiments/create/extra', 'runs'])}`,
          what: 'unknown endpoint',
        },
        {
          method: 'POST',
          path: `${API}/runs/log-batch`,
          raw: `{"run_id":"${f.runId}","tags":[{"key":"big","value":"${'x'.repeat(5.5 * 1024 * 1024)}"}]}`,
          contentType: 'application/json',
          what: 'oversize body',
        },
      ]);
    }
  }
}

async function snapshot(http: MlflowHttp, f: Fixture): Promise<unknown> {
  const [experiments, runs, history, artifacts, models] = await Promise.all([
    http.call('POST', `${API}/experiments/search`, { max_results: 1000, view_type: 'ALL' }),
    http.call('POST', `${API}/runs/search`, { experiment_ids: ['0', f.experimentId], run_view_type: 'ALL' }),
    http.call('GET', `${API}/metrics/get-history`, undefined, { run_id: f.runId, metric_key: 'm' }),
    http.call('GET', `${ARTIFACTS}/artifacts`, undefined, { path: `${f.experimentId}/${f.runId}/artifacts` }),
    http.call('POST', `${API}/logged-models/search`, { experiment_ids: [f.experimentId] }),
  ]);
  return {
    experiments: experiments.body,
    runs: runs.body,
    history: history.body,
    artifacts: artifacts.body,
    models: models.body,
  };
}

describe('malformed requests (fuzz)', () => {
  let http: MlflowHttp;
  let fixture: Fixture;

  beforeAll(async () => {
    http = await startMlflowHttp();
    const experiment = await http.call('POST', `${API}/experiments/create`, {
      name: 'fuzz',
      tags: [{ key: 'k', value: 'v' }],
    });
    const experimentId = experiment.body.experiment_id as string;
    const run = await http.call('POST', `${API}/runs/create`, {
      experiment_id: experimentId,
      run_name: 'target',
    });
    const runId = (run.body.run as { info: { run_id: string } }).info.run_id;
    await http.call('POST', `${API}/runs/log-batch`, {
      run_id: runId,
      metrics: [{ key: 'm', value: 0.5, timestamp: 1, step: 1 }],
      params: [{ key: 'p', value: 'original' }],
      tags: [{ key: 't', value: 'v' }],
    });
    await fetch(`${http.platform.url}${ARTIFACTS}/artifacts/${experimentId}/${runId}/artifacts/a.txt`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'artifact',
    });
    const model = await http.call('POST', `${API}/logged-models`, {
      experiment_id: experimentId,
      name: 'm',
      source_run_id: runId,
    });
    fixture = {
      experimentId,
      runId,
      modelId: (model.body.model as { info: { model_id: string } }).info.model_id,
    };
  });
  afterAll(async () => {
    await http.stop();
  });

  it(`answers ${REQUESTS} generated malformed requests with 4xx in MLflow format and changes nothing`, async () => {
    const before = await snapshot(http, fixture);
    const requests = generate(fixture, prng(20261127));
    const failures: string[] = [];
    const kinds = new Map<string, number>();
    let sent = 0;
    const worker = async () => {
      while (sent < REQUESTS) {
        sent += 1;
        const request = requests.next().value as FuzzRequest;
        kinds.set(request.what, (kinds.get(request.what) ?? 0) + 1);
        const search = new URLSearchParams(request.query ?? {});
        const body = request.raw ?? (request.json === undefined ? undefined : JSON.stringify(request.json));
        const contentType =
          request.contentType ?? (request.json === undefined ? undefined : 'application/json');
        const response = await fetch(
          `${http.platform.url}${request.path}${search.size ? `?${search}` : ''}`,
          {
            method: request.method,
            redirect: 'manual',
            ...(contentType ? { headers: { 'content-type': contentType } } : {}),
            ...(body === undefined ? {} : { body }),
          },
        );
        const text = await response.text();
        let parsed: { error_code?: unknown; message?: unknown } = {};
        try {
          parsed = JSON.parse(text) as typeof parsed;
        } catch {
          // reported below
        }
        const ok =
          response.status >= 400 &&
          response.status < 500 &&
          typeof parsed.error_code === 'string' &&
          typeof parsed.message === 'string';
        if (!ok) {
          failures.push(
            `${request.what}: ${request.method} ${request.path.slice(0, 120)} ${JSON.stringify(request.query ?? request.json ?? request.raw ?? '').slice(0, 200)} → ${response.status} ${text.slice(0, 200)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(REQUESTS);
    expect(kinds.size).toBeGreaterThanOrEqual(15);
    expect(await snapshot(http, fixture)).toEqual(before);
  });

  it('rejects a JSON body over 5 MB with INVALID_PARAMETER_VALUE and writes nothing', async () => {
    const before = await snapshot(http, fixture);
    const body = JSON.stringify({
      run_id: fixture.runId,
      tags: [{ key: 'big', value: 'x'.repeat(5.5 * 1024 * 1024) }],
    });
    const response = await fetch(`${http.platform.url}${API}/runs/log-batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    expect(await snapshot(http, fixture)).toEqual(before);
  });
});
