import { describe, expect, it } from 'vitest';
import type { LoggedModel, Run } from '../../../functions/tracking/model.ts';
import {
  type LoggedModelOrder,
  type RunSearch,
  searchExperiments,
  searchLoggedModels,
  searchRuns,
} from '../../../functions/tracking/search.ts';

function run(
  name: string,
  options: {
    metrics?: Record<string, number>;
    params?: Record<string, string>;
    tags?: Record<string, string>;
    status?: Run['info']['status'];
    start: number;
    user?: string;
    deleted?: boolean;
    dataset?: { name: string; digest: string; context?: string };
  },
): Run {
  return {
    info: {
      runId: `${name.padEnd(32, '0')}`,
      experimentId: '1',
      runName: name,
      userId: options.user ?? '',
      status: options.status ?? 'RUNNING',
      startTime: options.start,
      artifactUri: `mlflow-artifacts:/1/${name}/artifacts`,
      lifecycleStage: options.deleted ? 'deleted' : 'active',
    },
    metrics: Object.fromEntries(
      Object.entries(options.metrics ?? {}).map(([key, value]) => [
        key,
        { key, value, timestamp: 1, step: 0 },
      ]),
    ),
    params: options.params ?? {},
    tags: { 'mlflow.runName': name, ...options.tags },
    datasetInputs: options.dataset
      ? [
          {
            dataset: {
              name: options.dataset.name,
              digest: options.dataset.digest,
              source_type: 'local',
              source: '{}',
            },
            ...(options.dataset.context
              ? { tags: [{ key: 'mlflow.data.context', value: options.dataset.context }] }
              : {}),
          },
        ]
      : [],
    modelInputs: [],
    modelOutputs: [],
  };
}

const RUNS: Run[] = [
  run('r1', {
    metrics: { acc: 0.9, loss: 0.1 },
    params: { model: 'xgb', lr: '0.1' },
    tags: { grp: 'a', 'mlflow.source.name': 'train.py' },
    status: 'FINISHED',
    start: 1000,
    user: 'alice',
    dataset: { name: 'iris', digest: 'd1', context: 'training' },
  }),
  run('r2', {
    metrics: { acc: 0.5 },
    params: { model: 'lgbm', lr: '0.01' },
    tags: { grp: 'b' },
    start: 2000,
    user: 'bob',
    dataset: { name: 'wine', digest: 'd2', context: 'eval' },
  }),
  run('r3', { metrics: { acc: Number.NaN }, params: { model: 'XGB-large' }, status: 'FAILED', start: 3000 }),
  run('r4', { params: { 'my param': 'x y' }, tags: { 'weird key': 'v' }, start: 4000, deleted: true }),
];

const search = (filter: string, extra: Partial<RunSearch> = {}) =>
  searchRuns(RUNS, { filter, orderBy: [], viewType: 'ACTIVE_ONLY', maxResults: 100, ...extra }).items.map(
    (r) => r.info.runName,
  );

describe('runs/search filter grammar', () => {
  // filter → the runs it must return (default order: start_time DESC)
  const table: [string, string[]][] = [
    ['', ['r3', 'r2', 'r1']],
    ['metrics.acc > 0.6', ['r1']],
    ['metrics.acc >= 0.5', ['r2', 'r1']],
    ['metrics.acc != 0.5', ['r1']],
    ['metric.acc = 0.9', ['r1']],
    ['metrics.acc > 1e-1', ['r2', 'r1']],
    ['metrics.acc < -1', []],
    ['metrics.missing > 0', []],
    ["params.model = 'xgb'", ['r1']],
    ["param.model != 'xgb'", ['r3', 'r2']],
    ["params.model LIKE 'xgb%'", ['r1']],
    ["params.model ILIKE 'xgb%'", ['r3', 'r1']],
    ["params.model LIKE '_gbm'", ['r2']],
    ["parameters.lr = '0.1'", ['r1']],
    ["params.lr = '0.10'", []],
    ['tags.grp IS NULL', ['r3']],
    ['tags.grp IS NOT NULL', ['r2', 'r1']],
    ["tags.`mlflow.source.name` = 'train.py'", ['r1']],
    ['tags."mlflow.source.name" = \'train.py\'', ['r1']],
    ["tag.grp = 'a' and tags.grp != 'b'", ['r1']],
    ["attributes.status = 'FINISHED'", ['r1']],
    ["status = 'RUNNING'", ['r2']],
    ["attributes.status IN ('FINISHED', 'RUNNING')", ['r2', 'r1']],
    ["attr.status NOT IN ('FINISHED')", ['r3', 'r2']],
    ["attributes.run_name LIKE 'r%'", ['r3', 'r2', 'r1']],
    ["run.run_name = 'r2'", ['r2']],
    ["attributes.`run name` = 'r2'", ['r2']],
    ["attributes.user_id = 'alice'", ['r1']],
    ['attributes.start_time > 1500', ['r3', 'r2']],
    ['attributes.created <= 2000', ['r2', 'r1']],
    [`attributes.run_id IN ('${'r1'.padEnd(32, '0')}', '${'r3'.padEnd(32, '0')}')`, ['r3', 'r1']],
    ["datasets.name = 'iris'", ['r1']],
    ["dataset.context = 'eval'", ['r2']],
    ["datasets.digest IN ('d1', 'd2')", ['r2', 'r1']],
    ["metrics.acc > 0.5 AND params.model = 'xgb' AND tags.grp = 'a'", ['r1']],
    ["metrics.acc < 1 and params.model = 'lgbm'", ['r2']],
    ["params.model = 'it''s'", []],
  ];

  for (const [filter, expected] of table) {
    it(`"${filter}" returns ${expected.join(', ') || 'no run'}`, () => {
      expect(search(filter)).toEqual(expected);
    });
  }

  it('finds deleted runs only with run_view_type DELETED_ONLY or ALL', () => {
    expect(search("params.`my param` = 'x y'")).toEqual([]);
    expect(search("params.`my param` = 'x y'", { viewType: 'DELETED_ONLY' })).toEqual(['r4']);
    expect(search("tags.`weird key` = 'v'", { viewType: 'ALL' })).toEqual(['r4']);
    expect(search('', { viewType: 'ALL' })).toEqual(['r4', 'r3', 'r2', 'r1']);
  });

  const errors: [string, string][] = [
    ['metrics.acc >> 1', "Invalid comparator '>>' not one of '{'=', '!=', '>', '>=', '<', '<='}'"],
    ["params.a = '1' OR params.b = '2'", "Invalid clause(s) in filter string: 'OR'"],
    ['params.lr = 0.1', 'Expected a quoted string value for parameters'],
    ["metrics.acc > '0.5'", 'Expected numeric value type for metrics'],
    ["params.lr > '0.05'", "Invalid comparator '>'"],
    ["metrics.acc LIKE '0%'", "Invalid comparator 'LIKE'"],
    ["foo.bar = 'x'", "Invalid entity type 'foo'"],
    ["attributes.nope = 'x'", "Invalid attribute key 'nope'"],
    ["attributes.start_time = 'x'", 'Expected numeric value type for attributes'],
    ['metrics.acc >', 'expected a value'],
    ["params.a = 'unterminated", 'unterminated string'],
    ['metrics.acc > 1 AND', 'Invalid clause(s)'],
    ['AND metrics.acc > 1', "Invalid clause(s) in filter string: 'AND'"],
    ["attributes.status IN ('a', 1)", 'expected string value'],
    ["datasets.size = 'x'", "Invalid dataset key 'size'"],
  ];

  for (const [filter, message] of errors) {
    it(`rejects "${filter}" with INVALID_PARAMETER_VALUE`, () => {
      expect(() => search(filter)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
      expect(() => search(filter)).toThrow(message);
    });
  }
});

describe('runs/search order_by and pages', () => {
  const order = (orderBy: string[]) =>
    searchRuns(RUNS, { orderBy, viewType: 'ACTIVE_ONLY', maxResults: 100 }).items.map((r) => r.info.runName);

  it('orders by a metric, runs without it and NaN last in both directions', () => {
    expect(order(['metrics.acc DESC'])).toEqual(['r1', 'r2', 'r3']);
    expect(order(['metrics.acc ASC'])).toEqual(['r2', 'r1', 'r3']);
    expect(order(['metrics.loss'])).toEqual(['r1', 'r3', 'r2']);
  });

  it('orders by params, tags and attributes, ASC by default, with start_time DESC as tie-break', () => {
    expect(order(['params.model'])).toEqual(['r3', 'r2', 'r1']);
    expect(order(['tags.grp DESC'])).toEqual(['r2', 'r1', 'r3']);
    expect(order(['attributes.start_time ASC'])).toEqual(['r1', 'r2', 'r3']);
    expect(order(['`attributes`.status'.replace('`attributes`', 'attributes')])).toEqual(['r3', 'r1', 'r2']);
    expect(order(['tags.`mlflow.runName` DESC'])).toEqual(['r3', 'r2', 'r1']);
  });

  it('rejects a duplicate order_by field and unknown attributes', () => {
    expect(() => order(['metrics.acc', 'metrics.acc DESC'])).toThrow('duplicate fields');
    expect(() => order(['attributes.nope'])).toThrow("Invalid order_by entity 'nope'");
  });

  it('pages with opaque tokens until the last page, which has none', () => {
    const first = searchRuns(RUNS, { orderBy: [], viewType: 'ALL', maxResults: 3 });
    expect(first.items.map((r) => r.info.runName)).toEqual(['r4', 'r3', 'r2']);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = searchRuns(RUNS, {
      orderBy: [],
      viewType: 'ALL',
      maxResults: 3,
      ...(first.nextPageToken ? { pageToken: first.nextPageToken } : {}),
    });
    expect(second.items.map((r) => r.info.runName)).toEqual(['r1']);
    expect(second.nextPageToken).toBeUndefined();
  });

  it('rejects a page token it did not issue', () => {
    expect(() =>
      searchRuns(RUNS, { orderBy: [], viewType: 'ALL', maxResults: 3, pageToken: 'bogus!' }),
    ).toThrow('Invalid page token');
  });
});

describe('experiments/search', () => {
  const experiments = [
    {
      experimentId: '0',
      name: 'Default',
      artifactLocation: 'a',
      lifecycleStage: 'active',
      creationTime: 1,
      lastUpdateTime: 1,
      tags: {},
    },
    {
      experimentId: '1',
      name: 'churn-a',
      artifactLocation: 'a',
      lifecycleStage: 'active',
      creationTime: 5,
      lastUpdateTime: 9,
      tags: { team: 'ml' },
    },
    {
      experimentId: '2',
      name: 'churn-b',
      artifactLocation: 'a',
      lifecycleStage: 'deleted',
      creationTime: 7,
      lastUpdateTime: 7,
      tags: {},
    },
  ] as const;
  const names = (filter: string, orderBy: string[] = [], viewType: 'ACTIVE_ONLY' | 'ALL' = 'ACTIVE_ONLY') =>
    searchExperiments(experiments, { filter, orderBy, viewType, maxResults: 10 }).items.map((e) => e.name);

  it('filters on name, times and tags, newest first by default', () => {
    expect(names("name LIKE 'churn%'")).toEqual(['churn-a']);
    expect(names("name LIKE 'churn%'", [], 'ALL')).toEqual(['churn-b', 'churn-a']);
    expect(names("tags.team = 'ml'")).toEqual(['churn-a']);
    expect(names('creation_time > 1')).toEqual(['churn-a']);
    expect(names("attributes.name ILIKE 'DEFAULT'")).toEqual(['Default']);
  });

  it('orders by name or id and rejects unknown keys', () => {
    expect(names('', ['name DESC'], 'ALL')).toEqual(['churn-b', 'churn-a', 'Default']);
    expect(names('', ['experiment_id ASC'], 'ALL')).toEqual(['Default', 'churn-a', 'churn-b']);
    expect(() => names("foo = 'x'")).toThrow("Invalid attribute key 'foo'");
    expect(() => names('', ['nope'])).toThrow("Invalid attribute key 'nope'");
  });
});

describe('logged-models/search order_by', () => {
  const model = (id: string, name: string, created: number, status: LoggedModel['status']): LoggedModel => ({
    modelId: id,
    experimentId: '1',
    name,
    creationTimestampMs: created,
    lastUpdatedTimestampMs: 100 - created,
    artifactUri: `mlflow-artifacts:/1/models/${id}/artifacts`,
    status,
    modelType: '',
    ...(name === 'b' ? { sourceRunId: 'r'.repeat(32) } : {}),
    tags: {},
    params: {},
  });
  const MODELS = [
    model('m-3', 'b', 10, 'LOGGED_MODEL_READY'),
    model('m-1', 'a', 20, 'LOGGED_MODEL_PENDING'),
    model('m-2', 'c', 20, 'LOGGED_MODEL_READY'),
  ];
  const ids = (orderBy: LoggedModelOrder[]) =>
    searchLoggedModels(MODELS, { orderBy, maxResults: 10 }).items.map((m) => m.modelId);

  it('orders newest first, then by model id, when no order is given', () => {
    expect(ids([])).toEqual(['m-1', 'm-2', 'm-3']);
  });

  it('orders by the named attribute in either direction, MLflow aliases included', () => {
    expect(ids([{ fieldName: 'name', ascending: true }])).toEqual(['m-1', 'm-3', 'm-2']);
    expect(ids([{ fieldName: 'name', ascending: false }])).toEqual(['m-2', 'm-3', 'm-1']);
    expect(ids([{ fieldName: 'creation_time', ascending: true }])).toEqual(['m-3', 'm-1', 'm-2']);
    expect(ids([{ fieldName: 'last_updated_timestamp', ascending: true }])).toEqual(['m-1', 'm-2', 'm-3']);
    expect(ids([{ fieldName: ' status ', ascending: false }])).toEqual(['m-2', 'm-3', 'm-1']);
  });

  it('sorts models without the attribute last and leaves metric orders to the tie-breakers', () => {
    expect(ids([{ fieldName: 'source_run_id', ascending: false }])).toEqual(['m-3', 'm-1', 'm-2']);
    expect(ids([{ fieldName: 'metrics.auc', ascending: false }])).toEqual(['m-1', 'm-2', 'm-3']);
  });

  it("rejects what MLflow rejects, with MLflow's messages", () => {
    expect(() => ids([{ fieldName: 'params.x', ascending: true }])).toThrow(
      'Invalid order by field name: params, only `metrics.<name>` is allowed.',
    );
    expect(() => ids([{ fieldName: 'nope', ascending: true }])).toThrow('Invalid order by field name: nope.');
    expect(() => ids([{ fieldName: '', ascending: true }])).toThrow('Invalid order by field name: .');
    expect(() => ids([{ fieldName: 'metrics.auc', ascending: true, datasetDigest: 'd' }])).toThrow(
      '`dataset_digest` can only be specified if `dataset_name` is also specified.',
    );
  });
});
