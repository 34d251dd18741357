import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import {
  append,
  createTable,
  DynamoDbCatalogStore,
  lakehouseContext,
  openTable,
  registerTable,
} from '../../../layers/lakehouse/index.ts';
import { runCli } from './cli-harness.ts';

let platform: LocalPlatform;

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  const lake = lakehouseContext(platform.config);
  const uri = `s3://${lake.bucket}/curated/sales`;
  const table = openTable(lake, uri);
  await createTable(table, {
    columns: [
      { name: 'id', type: 'long' },
      { name: 'country', type: 'string' },
      { name: 'amount', type: 'decimal(10,2)' },
      { name: 'day', type: 'date' },
    ],
    partitionColumns: ['country'],
  });
  await append(table, [
    { id: 1n, country: 'FR', amount: '10.50', day: '2026-01-01' },
    { id: 2n, country: 'FR', amount: '4.50', day: '2026-01-02' },
    { id: 3n, country: 'DE', amount: '7.00', day: '2026-01-02' },
    { id: 4n, country: null, amount: null, day: null },
  ]);
  await append(table, [{ id: 5n, country: 'DE', amount: '1.00', day: '2026-01-03', note: 'late' }], {
    mergeSchema: true,
  });
  await registerTable({
    catalog: new DynamoDbCatalogStore(lake.dynamodb, platform.env.MLOPS_PLATFORM_TABLE as string),
    stage: 'local',
    location: uri,
  });
  lake.destroy();
});

afterAll(async () => {
  await platform?.stop();
});

const cli = (...args: string[]) => runCli(platform.env, args);

describe('mlops query', () => {
  it('runs SQL over the current snapshot under <database>.<table>, as an aligned table', async () => {
    const run = await cli(
      'query',
      'SELECT country, count(*) AS n, sum(amount) AS total FROM mlops_local.sales GROUP BY country ORDER BY country NULLS LAST',
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      [
        'country  n  total',
        '-------  -  -----',
        'DE       2  8',
        'FR       2  15',
        'NULL     1  NULL',
        '(3 rows)',
        '',
      ].join('\n'),
    );
  });

  it('prints CSV and JSON lines, with partition columns and evolved columns typed', async () => {
    const csv = await cli(
      'query',
      'SELECT id, country, note FROM mlops_local.sales WHERE id >= 4 ORDER BY id',
      '--csv',
    );
    expect(csv.stdout).toBe('id,country,note\n4,,\n5,DE,late\n');
    const json = await cli(
      'query',
      "SELECT id, day FROM mlops_local.sales WHERE day = DATE '2026-01-02' ORDER BY id",
      '--json',
    );
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { id: 2, day: expect.stringMatching(/^2026-01-02/) },
      { id: 3, day: expect.stringMatching(/^2026-01-02/) },
    ]);
    const types = await cli(
      'query',
      'SELECT typeof(id) AS a, typeof(amount) AS b, typeof(country) AS c FROM mlops_local.sales LIMIT 1',
      '--csv',
    );
    expect(types.stdout).toBe('a,b,c\nBIGINT,"DECIMAL(10,2)",VARCHAR\n');
  });

  it('lists the catalog and reports SQL errors as one line', async () => {
    const tables = await cli('query', '', '--tables');
    expect(tables.stdout).toContain('mlops_local.sales');
    const bad = await cli('query', 'SELECT * FROM mlops_local.nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mlops: query failed: .*nope/);
  });
});
