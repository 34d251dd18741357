import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/monitoring/handler.ts';
import { errorNamesOf, loadDefinition, placeholdersOf } from '../../infra/local/asl.ts';
import { runPipelineLocally } from '../../infra/local/pipeline-runner.ts';
import { type LocalPlatform, startLocalPlatform } from '../../infra/local/platform.ts';
import { PIPELINES } from '../../infra/platform/pipelines.ts';
import * as lakehouseErrors from '../../layers/lakehouse/errors.ts';
import {
  append,
  createTable,
  lakehouseContext,
  openTable,
  readTable,
  S3ObjectStore,
  tableExists,
} from '../../layers/lakehouse/index.ts';
import { createBaseline } from '../../layers/monitoring/evaluate-window.ts';
import { ObjectBaselineStore } from '../../layers/monitoring/lakehouse-stores.ts';
import { EVENT_SOURCE } from '../../layers/monitoring/publish-outcome.ts';
import { loadRuntimeConfig } from '../../layers/runtime/config.ts';
import * as runtimeErrors from '../../layers/runtime/errors.ts';
import { type DomainEvent, localEventBus } from '../../layers/runtime/events.ts';
import { FEATURES, sampleRows } from '../layers/monitoring/synthetic.ts';

const pipeline = PIPELINES.monitoring!;
const FILE = new URL(`../../${pipeline.file}`, import.meta.url).pathname;
const validate = createRequire(import.meta.url)('asl-validator') as (
  definition: unknown,
  options: { checkArn: boolean; checkPaths: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

/** Error classes a Retry or Catch may name: the kit's own, by their `name`. */
function kitErrorNames(): Set<string> {
  const names = new Set<string>();
  for (const exported of [...Object.values(runtimeErrors), ...Object.values(lakehouseErrors)]) {
    if (typeof exported !== 'function') continue;
    try {
      const instance = new (exported as new (...args: unknown[]) => Error)('x', 'y');
      if (instance instanceof Error) names.add(instance.name);
    } catch {
      // Not constructible with two strings: not an error class.
    }
  }
  return names;
}

describe('state-machines/monitoring.asl.json', () => {
  const text = readFileSync(FILE, 'utf8');

  it('passes asl-validator with every placeholder declared by the pipeline', () => {
    const declared = [...Object.keys(pipeline.tasks), ...Object.keys(pipeline.resources)].sort();
    expect(placeholdersOf(text)).toEqual(declared);
    const values = Object.fromEntries(
      declared.map((name) => [name, `arn:aws:lambda:eu-west-1:111111111111:function:${name}`]),
    );
    const result = validate(loadDefinition(FILE, values), { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('names only real error classes in Retry and Catch', () => {
    const known = kitErrorNames();
    expect([...known]).toEqual(
      expect.arrayContaining(['ThrottledError', 'InvalidParameterError', 'CommitConflictError']),
    );
    const unknown = errorNamesOf(loadDefinition(FILE, { MonitorFunction: 'arn' })).filter(
      (name) => !name.startsWith('States.') && !name.startsWith('Lambda.') && !known.has(name),
    );
    expect(unknown).toEqual([]);
  });
});

describe('the monitoring pipeline, run locally', () => {
  let platform: LocalPlatform;
  const metrics: string[] = [];
  const announced: DomainEvent[] = [];
  let unsubscribe: () => void;

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    unsubscribe = localEventBus.subscribe(EVENT_SOURCE, (event) => {
      announced.push(event);
    });
    const runtime = loadRuntimeConfig(platform.env);
    const lake = lakehouseContext(runtime);
    try {
      const inference = openTable(lake, 's3://mlops-lakehouse/inference/churn');
      await createTable(inference, {
        columns: [
          { name: 'request_id', type: 'string' },
          { name: 'timestamp', type: 'timestamp' },
          ...FEATURES.map((f) => ({ name: f.name, type: f.kind === 'numeric' ? 'double' : 'string' })),
          { name: 'prediction', type: 'double' },
        ],
      });
      const start = Date.parse('2026-01-01T00:00:00Z');
      await append(
        inference,
        sampleRows(31, 1000, { newPlanShare: 0.06 }).map(({ label: _label, ...row }, i) => {
          const out: Record<string, unknown> = {
            ...row,
            request_id: `r${i}`,
            timestamp: new Date(start + i * 600_000),
          };
          for (const f of FEATURES)
            if (f.kind === 'numeric' && out[f.name] !== null) out[f.name] = Number(out[f.name]);
          return out;
        }),
      );
      await new ObjectBaselineStore(new S3ObjectStore(lake.s3, 'mlops-artifacts', 'monitoring')).put(
        createBaseline({
          model: 'churn',
          version: '7',
          task: 'binary-classification',
          features: FEATURES,
          trainingRows: sampleRows(1, 3000),
        }),
      );
    } finally {
      lake.destroy();
    }
  });
  afterAll(async () => {
    unsubscribe();
    await platform.stop();
  });

  const run = (input: unknown) =>
    runPipelineLocally({
      name: 'monitoring',
      pipeline,
      env: platform.env,
      input,
      taskHandlers: {
        MonitorFunction: createHandler(platform.env, { writeMetrics: (line) => metrics.push(line) }),
      },
    });

  it('ends in ThresholdCrossed, writes the metrics tables and announces the alarm', async () => {
    const execution = await run({ model: 'churn', window: '7d', end: '2026-01-08T00:00:00Z' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.events.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual([
      'Monitor',
      'Outcome',
      'ThresholdCrossed',
    ]);
    expect(execution.output).toMatchObject({
      model: 'churn',
      modelVersion: '7',
      outcome: 'alarm',
      rows: 1000,
      report: 's3://mlops-artifacts/monitoring/churn/reports/2026-01-08T00:00:00.000Z.html',
      trackingRun: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(announced.map((e) => e.detail.model)).toEqual(['churn']);
    expect(JSON.parse(metrics[0]!)).toMatchObject({ Model: 'churn', Rows: 1000 });
    const lake = lakehouseContext(loadRuntimeConfig(platform.env));
    try {
      const drift = await readTable(openTable(lake, 's3://mlops-lakehouse/monitoring/churn_drift_metrics'));
      expect(drift.rows.filter((r) => r.alarm === true).map((r) => `${r.column}:${r.statistic}`)).toContain(
        'plan:new_category_share',
      );
    } finally {
      lake.destroy();
    }
  });

  it('fails in Rejected on an invalid input and writes nothing', async () => {
    const execution = await run({ model: 'churn2', window: 'weekly', end: '2026-01-08T00:00:00Z' });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('MonitoringRejected');
    expect(
      execution.events.some((e) => e.type === 'StateCaught' || e.error === 'InvalidParameterError'),
    ).toBe(true);
    const lake = lakehouseContext(loadRuntimeConfig(platform.env));
    try {
      for (const suffix of ['profile_metrics', 'drift_metrics']) {
        expect(await tableExists(openTable(lake, `s3://mlops-lakehouse/monitoring/churn2_${suffix}`))).toBe(
          false,
        );
      }
    } finally {
      lake.destroy();
    }
  });
});
