import { describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/demo/run-demo.ts';
import { DemoRunner, DemoStepError } from '../../cli/demo/steps.ts';

describe('runDemo', () => {
  it('runs the whole lifecycle on a fresh platform and reports figures read back from it', async () => {
    const lines: string[] = [];
    const { runner, report } = await runDemo({ customers: 400, write: (line) => lines.push(line) });
    expect(runner.results.map((result) => result.name)).toEqual([
      'start the local platform',
      'generate the churn dataset',
      'ingest into lakehouse tables',
      'apply the feature definitions',
      'materialize the online store',
      'select the training labels',
      'train version 1 (3 boosting rounds)',
      'make version 1 the champion',
      'train version 2 (50 boosting rounds)',
      'promote the challenger to champion under the approval rule',
      'build the scoring features',
      'deploy the champion',
      'run batch inference',
      'score every customer online by entity key',
      'query the predictions with SQL',
      'trace one prediction back to its data',
      'monitor the served traffic for drift',
    ]);
    expect(report.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(report.versions[1]!.auc).toBeGreaterThan(report.versions[0]!.auc);
    expect(report.champion).toBe(2);
    expect(report.predictions).toMatchObject({ rows: 400, queryAs: 'mlops_local.churn_predictions' });
    expect(report.online).toHaveLength(400);
    for (const scored of report.online) expect(scored.prediction).toBeCloseTo(scored.batch as number, 6);
    // The dataset drifts in minutes_used and support_tickets (and plan, which no model uses).
    expect(report.drift.outcome).toBe('alarm');
    expect(report.drift.columns).toEqual(['activity__minutes_used', 'activity__support_tickets']);
    const text = lines.join('\n');
    expect(text).toContain(`churn v2: holdout AUC ${report.versions[1]!.auc.toFixed(4)}`);
    expect(text).toContain('← s3://mlops-lakehouse/demo/activity@');
    expect(text).toMatch(/Demo finished in \d+\.\d s/);
  }, 240_000);
});

describe('DemoRunner', () => {
  it('stops at a failing step and names it', async () => {
    const lines: string[] = [];
    const runner = new DemoRunner((line) => lines.push(line));
    await runner.step('first', async () => ({ value: 1, summary: 'done' }));
    const failing = runner.step('deploy the champion', async () => {
      throw new Error('endpoint refused the model');
    });
    await expect(failing).rejects.toBeInstanceOf(DemoStepError);
    await expect(failing).rejects.toThrow(
      'demo step "deploy the champion" failed: endpoint refused the model',
    );
    expect(runner.results.map((r) => r.name)).toEqual(['first']);
  });
});
