import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type Harness, R, startHarness, V, WRITER } from './registry-harness.ts';

async function modelWithVersions(h: Harness, name: string, metrics: (Record<string, number> | undefined)[]) {
  await h.call('POST', `${R}/create`, { name });
  for (const [i, versionMetrics] of metrics.entries()) {
    const tags = Object.entries(versionMetrics ?? {}).map(([key, value]) => ({
      key: `mlops.metric.${key}`,
      value: String(value),
    }));
    await h.call('POST', `${V}/create`, { name, source: `s3://b/${name}/${i + 1}`, tags });
  }
}

describe('aliases', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('lets the last of two racing moves win and audits both with what each replaced', async () => {
    await modelWithVersions(h, 'racing', [undefined, undefined, undefined]);
    await h.call('POST', `${R}/alias`, { name: 'racing', alias: 'candidate', version: '1' });
    const [a, b] = await Promise.all([
      h.call(
        'POST',
        `${R}/alias`,
        { name: 'racing', alias: 'candidate', version: '2' },
        { principal: 'ann' },
      ),
      h.call(
        'POST',
        `${R}/alias`,
        { name: 'racing', alias: 'candidate', version: '3' },
        { principal: 'ben' },
      ),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const moves = (await h.auditLog.list('racing', 100)).records.filter(
      (r) => r.action === 'alias.set' && r.principal !== 'alice',
    );
    expect(moves).toHaveLength(2);
    expect(moves.every((r) => r.outcome === 'done')).toBe(true);
    // The moves form a chain: 1 → first writer's version → last writer's version.
    const [first, last] = [...moves].sort((x, y) => (x.before === '1' ? -1 : y.before === '1' ? 1 : 0));
    expect(first?.before).toBe('1');
    expect(last?.before).toBe(first?.after);
    const holder = await h.call('GET', `${R}/alias`, { name: 'racing', alias: 'candidate' });
    expect((holder.body.model_version as { version: string }).version).toBe(last?.after);
    expect(h.events.filter((e) => e.detailType === 'alias.set' && e.detail.model === 'racing')).toHaveLength(
      3,
    );
  });

  it('refuses a protected alias move without the admin scope: 403 naming the rule, nothing changed', async () => {
    await modelWithVersions(h, 'guarded', [undefined, undefined]);
    await h.call('POST', `${R}/alias`, { name: 'guarded', alias: 'champion', version: '1' });
    const refused = await h.call(
      'POST',
      `${R}/alias`,
      { name: 'guarded', alias: 'champion', version: '2' },
      { scopes: WRITER, principal: 'mallory' },
    );
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      error_code: 'PERMISSION_DENIED',
      message:
        "Alias 'champion' of model 'guarded' is protected (protected aliases: champion): moving it requires the admin scope.",
    });
    expect((await h.store.getModel('guarded'))?.aliases).toEqual({ champion: 1 });
    const records = (await h.auditLog.list('guarded', 100)).records.filter((r) => r.principal === 'mallory');
    expect(records.map((r) => [r.action, r.outcome, r.before, r.after])).toEqual([
      ['alias.set', 'refused', '1', '2'],
    ]);
    expect(h.events.some((e) => e.detailType === 'alias.set' && e.detail.principal === 'mallory')).toBe(
      false,
    );
    // An unprotected alias moves with the write scope alone.
    const free = await h.call(
      'POST',
      `${R}/alias`,
      { name: 'guarded', alias: 'challenger', version: '2' },
      { scopes: WRITER },
    );
    expect(free.status).toBe(200);
  });

  it('refuses a champion whose metrics fail the rule: 400 naming the rule, nothing changed', async () => {
    await modelWithVersions(h, 'ruled', [{ auc: 0.8 }, { auc: 0.7 }, { auc: 0.77 }, { auc: 0.82 }]);
    await h.call('POST', `${R}/set-tag`, {
      name: 'ruled',
      key: 'mlops.approval.rule',
      value: 'metrics.auc >= 0.75 AND metrics.auc >= holder - 0.02',
    });
    expect(
      (await h.call('POST', `${R}/alias`, { name: 'ruled', alias: 'champion', version: '1' })).status,
    ).toBe(200);

    const below = await h.call('POST', `${R}/alias`, { name: 'ruled', alias: 'champion', version: '2' });
    expect(below.status).toBe(400);
    expect(below.body).toEqual({
      error_code: 'INVALID_STATE',
      message:
        "Moving alias 'champion' of model 'ruled' to version 2 was refused by the approval rule 'metrics.auc >= 0.75 AND metrics.auc >= holder - 0.02': metrics.auc = 0.7 is not >= 0.75.",
    });
    const worse = await h.call('POST', `${R}/alias`, { name: 'ruled', alias: 'champion', version: '3' });
    expect(worse.status).toBe(400);
    expect(worse.body.message).toContain(
      "metrics.auc = 0.77 is not >= 0.78 (the current holder's 0.8 - 0.02)",
    );
    expect((await h.store.getModel('ruled'))?.aliases).toEqual({ champion: 1 });

    const better = await h.call('POST', `${R}/alias`, { name: 'ruled', alias: 'champion', version: '4' });
    expect(better.status).toBe(200);
    const moves = (await h.auditLog.list('ruled', 100)).records.filter((r) => r.action === 'alias.set');
    expect(moves.map((r) => [r.version, r.outcome])).toEqual([
      ['1', 'done'],
      ['2', 'refused'],
      ['3', 'refused'],
      ['4', 'done'],
    ]);
  });

  it('protects the aliases a model names in its tag instead of the default', async () => {
    await modelWithVersions(h, 'custom', [undefined]);
    await h.call('POST', `${R}/set-tag`, {
      name: 'custom',
      key: 'mlops.approval.protected_aliases',
      value: 'prod, gold',
    });
    const champion = await h.call(
      'POST',
      `${R}/alias`,
      { name: 'custom', alias: 'champion', version: '1' },
      { scopes: WRITER },
    );
    expect(champion.status).toBe(200);
    const gold = await h.call(
      'POST',
      `${R}/alias`,
      { name: 'custom', alias: 'gold', version: '1' },
      { scopes: WRITER },
    );
    expect(gold.status).toBe(403);
  });

  it('needs the admin scope to change an approval tag, and refuses a malformed rule', async () => {
    await modelWithVersions(h, 'rules-guarded', []);
    const loosen = await h.call(
      'DELETE',
      `${R}/delete-tag`,
      { name: 'rules-guarded', key: 'mlops.approval.rule' },
      { scopes: WRITER },
    );
    expect(loosen.status).toBe(403);
    const malformed = await h.call(
      'POST',
      `${R}/set-tag`,
      { name: 'rules-guarded', key: 'mlops.approval.rule', value: 'auc > 0.5' },
      { scopes: ADMIN },
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toContain("Invalid approval rule clause 'auc > 0.5'");
    expect((await h.store.getModel('rules-guarded'))?.tags).toEqual({});
  });

  it('refuses to delete a version a protected alias points at without the admin scope', async () => {
    await modelWithVersions(h, 'held', [undefined]);
    await h.call('POST', `${R}/alias`, { name: 'held', alias: 'champion', version: '1' });
    const refused = await h.call('DELETE', `${V}/delete`, { name: 'held', version: '1' }, { scopes: WRITER });
    expect(refused.status).toBe(403);
    expect(await h.store.getVersion('held', 1)).toBeDefined();
    expect((await h.store.getModel('held'))?.aliases).toEqual({ champion: 1 });
  });
});
