import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, R, startHarness, V } from './registry-harness.ts';

describe('model versions', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('numbers 20 concurrent create_model_version calls 1..20, each once', async () => {
    await h.call('POST', `${R}/create`, { name: 'concurrent' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.call('POST', `${V}/create`, { name: 'concurrent', source: `s3://b/m/${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const numbers = results.map((r) => Number((r.body.model_version as { version: string }).version));
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const stored = await h.store.listVersions('concurrent');
    expect(stored.map((v) => v.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const sources = new Set(stored.map((v) => v.source));
    expect(sources.size).toBe(20);
    const audit = await h.auditLog.list('concurrent', 100);
    expect(audit.records.filter((r) => r.action === 'version.created')).toHaveLength(20);
  });

  it('records who created a version, when, and what, and announces it', async () => {
    await h.call('POST', `${R}/create`, { name: 'audited' });
    const before = Date.now();
    await h.call(
      'POST',
      `${V}/create`,
      { name: 'audited', source: 's3://b/a', run_id: 'r1', tags: [{ key: 'k', value: 'v' }] },
      { principal: 'bob' },
    );
    const { body } = await h.call('GET', '/api/2.0/mlops/audit', { name: 'audited' });
    const records = body.records as Record<string, unknown>[];
    expect(records.map((r) => r.action)).toEqual(['model.created', 'version.created']);
    const created = records[1] as Record<string, unknown>;
    expect(created).toMatchObject({ principal: 'bob', version: '1', outcome: 'done', model: 'audited' });
    expect(created.after).toMatchObject({ source: 's3://b/a', runId: 'r1', tags: { k: 'v' } });
    expect(created.timestamp as number).toBeGreaterThanOrEqual(before);
    const event = h.events.find((e) => e.detailType === 'version.created' && e.detail.model === 'audited');
    expect(event).toMatchObject({ source: 'mlops.registry', resources: ['audited/1'] });
  });

  it('transitions stages, archiving the previous holder when asked, and audits both moves', async () => {
    await h.call('POST', `${R}/create`, { name: 'staged' });
    await h.call('POST', `${V}/create`, { name: 'staged', source: 's3://b/1' });
    await h.call('POST', `${V}/create`, { name: 'staged', source: 's3://b/2' });
    await h.call('POST', `${V}/transition-stage`, { name: 'staged', version: '1', stage: 'production' });
    const moved = await h.call('POST', `${V}/transition-stage`, {
      name: 'staged',
      version: '2',
      stage: 'Production',
      archive_existing_versions: true,
    });
    expect((moved.body.model_version as { current_stage: string }).current_stage).toBe('Production');
    const first = await h.call('GET', `${V}/get`, { name: 'staged', version: '1' });
    expect((first.body.model_version as { current_stage: string }).current_stage).toBe('Archived');
    const latest = await h.call('POST', `${R}/get-latest-versions`, {
      name: 'staged',
      stages: ['Production'],
    });
    expect((latest.body.model_versions as { version: string }[]).map((v) => v.version)).toEqual(['2']);
    const audit = (await h.auditLog.list('staged', 100)).records.filter(
      (r) => r.action === 'version.stage.transitioned',
    );
    expect(audit.map((r) => [r.version, r.before, r.after])).toEqual([
      ['1', 'None', 'Production'],
      ['1', 'Production', 'Archived'],
      ['2', 'None', 'Production'],
    ]);
  });

  it('deletes a version with the aliases that point at it, auditing both', async () => {
    await h.call('POST', `${R}/create`, { name: 'deleting' });
    await h.call('POST', `${V}/create`, { name: 'deleting', source: 's3://b/1' });
    await h.call('POST', `${R}/alias`, { name: 'deleting', alias: 'candidate', version: '1' });
    expect((await h.call('DELETE', `${V}/delete`, { name: 'deleting', version: '1' })).status).toBe(200);
    expect((await h.call('GET', `${V}/get`, { name: 'deleting', version: '1' })).status).toBe(404);
    const model = await h.store.getModel('deleting');
    expect(model?.aliases).toEqual({});
    const actions = (await h.auditLog.list('deleting', 100)).records.map((r) => r.action);
    expect(actions).toEqual([
      'model.created',
      'version.created',
      'alias.set',
      'alias.deleted',
      'version.deleted',
    ]);
  });

  it('records tag changes with the value before and after', async () => {
    await h.call('POST', `${R}/create`, { name: 'tagged' });
    await h.call('POST', `${V}/create`, { name: 'tagged', source: 's3://b/1' });
    await h.call('POST', `${V}/set-tag`, { name: 'tagged', version: '1', key: 'qa', value: 'pending' });
    await h.call('POST', `${V}/set-tag`, { name: 'tagged', version: '1', key: 'qa', value: 'ok' });
    await h.call('DELETE', `${V}/delete-tag`, { name: 'tagged', version: '1', key: 'qa' });
    await h.call('POST', `${R}/set-tag`, { name: 'tagged', key: 'team', value: 'risk' });
    const records = (await h.auditLog.list('tagged', 100)).records.filter((r) => r.action.includes('tag'));
    expect(records.map((r) => [r.action, r.key, r.before, r.after])).toEqual([
      ['version.tag.set', 'qa', undefined, 'pending'],
      ['version.tag.set', 'qa', 'pending', 'ok'],
      ['version.tag.deleted', 'qa', 'ok', undefined],
      ['model.tag.set', 'team', undefined, 'risk'],
    ]);
  });
});
