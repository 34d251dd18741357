import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, R, startHarness, V } from './registry-harness.ts';

describe('registry errors', () => {
  let h: Harness;
  let auditedBefore: number;
  let eventsBefore: number;
  beforeAll(async () => {
    h = await startHarness();
    await h.call('POST', `${R}/create`, { name: 'm' });
    await h.call('POST', `${V}/create`, { name: 'm', source: 's3://b/1' });
    await h.call('POST', `${R}/alias`, { name: 'm', alias: 'champion', version: '1' });
    auditedBefore = (await h.auditLog.list('m', 1000)).records.length;
    eventsBefore = h.events.length;
  });
  afterAll(async () => {
    await h.stop();
  });

  const cases: [string, string, string, Record<string, unknown>, number, string, string][] = [
    [
      'a model name with a slash',
      'POST',
      `${R}/create`,
      { name: 'a/b' },
      400,
      'INVALID_PARAMETER_VALUE',
      "Invalid model name 'a/b'. Names cannot contain '/' or ':'.",
    ],
    [
      'a model name with a colon',
      'POST',
      `${R}/create`,
      { name: 'a:b' },
      400,
      'INVALID_PARAMETER_VALUE',
      "Invalid model name 'a:b'. Names cannot contain '/' or ':'.",
    ],
    [
      'an empty model name',
      'POST',
      `${R}/create`,
      { name: '' },
      400,
      'INVALID_PARAMETER_VALUE',
      'Registered model name cannot be empty.',
    ],
    [
      'a missing model name',
      'POST',
      `${R}/create`,
      {},
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'name'.",
    ],
    [
      'an unknown version',
      'GET',
      `${V}/get`,
      { name: 'm', version: '7' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'Model Version (name=m, version=7) not found',
    ],
    [
      'a non-integer version',
      'GET',
      `${V}/get`,
      { name: 'm', version: 'x1' },
      400,
      'INVALID_PARAMETER_VALUE',
      "Parameter 'version' must be an integer, got 'x1'.",
    ],
    [
      'an alias on an unknown version',
      'POST',
      `${R}/alias`,
      { name: 'm', alias: 'champion', version: '9' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'Model Version (name=m, version=9) not found',
    ],
    [
      'an unknown alias',
      'GET',
      `${R}/alias`,
      { name: 'm', alias: 'nope' },
      400,
      'INVALID_PARAMETER_VALUE',
      'Registered model alias nope not found.',
    ],
    [
      'a reserved alias',
      'POST',
      `${R}/alias`,
      { name: 'm', alias: 'Latest', version: '1' },
      400,
      'INVALID_PARAMETER_VALUE',
      "'latest' alias name (case insensitive) is reserved.",
    ],
    [
      'an alias with a space',
      'POST',
      `${R}/alias`,
      { name: 'm', alias: 'a b', version: '1' },
      400,
      'INVALID_PARAMETER_VALUE',
      "Invalid alias name: 'a b'. Names may only contain alphanumerics, underscores (_) and dashes (-), at most 255 characters.",
    ],
    [
      'a version of an unknown model',
      'POST',
      `${V}/create`,
      { name: 'ghost', source: 's3://b/x' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'Registered Model with name=ghost not found',
    ],
    [
      'a tag on an unknown version',
      'POST',
      `${V}/set-tag`,
      { name: 'm', version: '5', key: 'k', value: 'v' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'Model Version (name=m, version=5) not found',
    ],
    [
      'a transition to an unknown stage',
      'POST',
      `${V}/transition-stage`,
      { name: 'm', version: '1', stage: 'Live' },
      400,
      'INVALID_PARAMETER_VALUE',
      'Invalid Model Version stage: Live. Value must be one of None, Staging, Production, Archived.',
    ],
    [
      'a rename onto a taken name',
      'POST',
      `${R}/rename`,
      { name: 'm', new_name: 'm' },
      400,
      'RESOURCE_ALREADY_EXISTS',
      'Registered Model (name=m) already exists.',
    ],
    [
      'a search with OR',
      'GET',
      `${V}/search`,
      { filter: "name = 'm' OR name = 'n'" },
      400,
      'INVALID_PARAMETER_VALUE',
      "Invalid clause(s) in filter string: 'OR'",
    ],
    [
      'a lineage query without a version',
      'GET',
      '/api/2.0/mlops/lineage',
      { name: 'm' },
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'version' (or 'model_version').",
    ],
  ];

  it.each(cases)(
    'answers %s with a clear error',
    async (_what, method, path, fields, status, code, message) => {
      const response = await h.call(method, path, fields);
      expect(response).toEqual({ status, body: { error_code: code, message } });
    },
  );

  it('changed nothing and audited nothing for any of them', async () => {
    const model = await h.store.getModel('m');
    expect(model?.aliases).toEqual({ champion: 1 });
    expect(model?.lastVersion).toBe(1);
    expect((await h.store.listVersions('m')).map((v) => v.currentStage)).toEqual(['None']);
    expect(await h.store.getModel('ghost')).toBeUndefined();
    expect((await h.auditLog.list('m', 1000)).records).toHaveLength(auditedBefore);
    expect((await h.auditLog.list('a/b', 1000)).records).toHaveLength(0);
    expect(h.events).toHaveLength(eventsBefore);
  });
});
