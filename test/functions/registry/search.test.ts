import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, R, startHarness, V } from './registry-harness.ts';

const names = (body: Record<string, unknown>, key: string) =>
  ((body[key] as { name: string; version?: string }[] | undefined) ?? []).map((m) =>
    m.version ? `${m.name}/${m.version}` : m.name,
  );

describe('registry search', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.call('POST', `${R}/create`, { name: 'churn-a', tags: [{ key: 'team', value: 'risk' }] });
    await h.call('POST', `${R}/create`, { name: 'churn-b' });
    await h.call('POST', `${R}/create`, {
      name: 'summary-prompt',
      tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
    });
    await h.call('POST', `${V}/create`, { name: 'churn-a', source: 's3://b/a1', run_id: 'run-1' });
    await h.call('POST', `${V}/create`, {
      name: 'churn-a',
      source: 's3://b/a2',
      run_id: 'run-2',
      tags: [{ key: 'qa', value: 'ok' }],
    });
    await h.call('POST', `${V}/create`, { name: 'churn-b', source: 's3://b/b1', run_id: 'run-1' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('keeps models without the prompt tag under the exclusion the Python client appends', async () => {
    const all = await h.call('GET', `${R}/search`, { filter: "tag.`mlflow.prompt.is_prompt` != 'true'" });
    expect(names(all.body, 'registered_models')).toEqual(['churn-a', 'churn-b']);
    const like = await h.call('GET', `${R}/search`, {
      filter: "name LIKE 'churn%' AND tags.`mlflow.prompt.is_prompt` != 'true'",
    });
    expect(names(like.body, 'registered_models')).toEqual(['churn-a', 'churn-b']);
  });

  it('filters models by tag and orders and pages them', async () => {
    const tagged = await h.call('GET', `${R}/search`, { filter: "tags.team = 'risk'" });
    expect(names(tagged.body, 'registered_models')).toEqual(['churn-a']);
    const first = await h.call('GET', `${R}/search`, { max_results: 2, order_by: ['name DESC'] });
    expect(names(first.body, 'registered_models')).toEqual(['summary-prompt', 'churn-b']);
    const second = await h.call('GET', `${R}/search`, {
      max_results: 2,
      order_by: ['name DESC'],
      page_token: first.body.next_page_token,
    });
    expect(names(second.body, 'registered_models')).toEqual(['churn-a']);
    expect(second.body.next_page_token).toBeUndefined();
  });

  it('filters versions by run_id, name, version number and tag', async () => {
    const byRun = await h.call('GET', `${V}/search`, { filter: "run_id = 'run-1'", order_by: ['name ASC'] });
    expect(names(byRun.body, 'model_versions')).toEqual(['churn-a/1', 'churn-b/1']);
    const byRuns = await h.call('GET', `${V}/search`, { filter: "run_id IN ('run-2', 'run-9')" });
    expect(names(byRuns.body, 'model_versions')).toEqual(['churn-a/2']);
    const byName = await h.call('GET', `${V}/search`, {
      filter: "name ILIKE 'CHURN-A' AND version_number >= 2",
    });
    expect(names(byName.body, 'model_versions')).toEqual(['churn-a/2']);
    const byTag = await h.call('GET', `${V}/search`, { filter: "tags.qa = 'ok'" });
    expect(names(byTag.body, 'model_versions')).toEqual(['churn-a/2']);
    const none = await h.call('GET', `${V}/search`, { filter: "name = 'nothing'" });
    expect(none.body).toEqual({});
  });

  it('refuses an unknown filter key instead of matching nothing', async () => {
    const response = await h.call('GET', `${V}/search`, { filter: "stage = 'None'" });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("Invalid attribute key 'stage'");
  });
});
