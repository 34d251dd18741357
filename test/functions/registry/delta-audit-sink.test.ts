import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { lakehouseContext, openTable, readTable } from '../../../layers/lakehouse/index.ts';

async function post(platform: LocalPlatform, path: string, body: Record<string, unknown>) {
  const response = await fetch(new URL(path, platform.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, path).toBe(200);
}

describe('DeltaAuditSink on the local platform', () => {
  let platform: LocalPlatform;
  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
  });
  afterAll(async () => {
    await platform.stop();
  });

  it('appends every change, racing ones included, to a Delta table analysts can read', async () => {
    await post(platform, '/api/2.0/mlflow/registered-models/create', { name: 'lake-audited' });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        post(platform, '/api/2.0/mlflow/model-versions/create', {
          name: 'lake-audited',
          source: `s3://b/${i}`,
        }),
      ),
    );
    await post(platform, '/api/2.0/mlflow/registered-models/alias', {
      name: 'lake-audited',
      alias: 'champion',
      version: '2',
    });
    await post(platform, '/api/2.0/mlflow/registered-models/alias', {
      name: 'lake-audited',
      alias: 'champion',
      version: '5',
    });

    const lake = lakehouseContext(platform.config);
    try {
      const { rows } = await readTable(openTable(lake, 's3://mlops-lakehouse/registry/audit'), {
        where: "model = 'lake-audited'",
      });
      const actions = rows.map((row) => row.action).sort();
      expect(actions).toEqual([
        'alias.set',
        'alias.set',
        'model.created',
        ...Array(6).fill('version.created'),
      ]);
      const moves = rows
        .filter((row) => row.action === 'alias.set')
        .sort((a, b) => (a.ts as Date).getTime() - (b.ts as Date).getTime());
      expect(
        moves.map((row) => [row.principal, row.alias, row.before_json, row.after_json, row.outcome]),
      ).toEqual([
        ['local-user', 'champion', null, '"2"', 'done'],
        ['local-user', 'champion', '"2"', '"5"', 'done'],
      ]);
      expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    } finally {
      lake.destroy();
    }
  });
});
