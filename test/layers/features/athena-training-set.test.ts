import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AthenaTrainingSetDeps,
  buildTrainingSetOnAthena,
  glueTablesFromCatalog,
  TrainingSetQueryError,
} from '../../../layers/features/athena-training-set.ts';
import { openDuckDb } from '../../../layers/features/duckdb-executor.ts';
import { FeatureDataError } from '../../../layers/features/errors.ts';
import { downloadSnapshot } from '../../../layers/features/lakehouse-source.ts';
import { quoteIdentifier, quoteLiteral } from '../../../layers/features/point-in-time-sql.ts';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import { manifestKey } from '../../../layers/features/training-set.ts';
import { append, createTable, openTable, readTable, tableExists } from '../../../layers/lakehouse/index.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { type LocalLakehouse, startLocalLakehouse } from '../lakehouse/local-lakehouse.ts';
import { loadGeneratedData } from './lakehouse-fixtures.ts';
import { type GeneratedData, generateData, referenceJoin } from './pit-data.ts';

const DATABASE = 'mlops_test';
const UNLOAD =
  /^UNLOAD \(\n([\s\S]*)\n\) TO '(s3:\/\/[^']+)' WITH \(format = 'PARQUET', compression = 'SNAPPY'\)$/;

let local: LocalLakehouse;
let registry: DynamoDbFeatureRegistryStore;
let dir: string;
let data: GeneratedData;
let tables: Record<string, string>;
let entityUri: string;
const athena = new AthenaClient({ region: 'eu-west-1' });
const athenaMock = mockClient(athena);
/** Glue table name of each lakehouse table the tests use. */
const glueNames = new Map<string, string>();

beforeAll(async () => {
  local = await startLocalLakehouse();
  const client = createDynamoDbClient(local.platform.config);
  registry = new DynamoDbFeatureRegistryStore(createDocumentClient(client), 'mlops_feature_registry');
  dir = mkdtempSync(join(tmpdir(), 'mlops-athena-training-set-'));
  data = generateData(dir, 5, 150);
  ({ tables } = await loadGeneratedData(local.lake, registry, data, (name) => local.uri(name)));
  for (const [name, uri] of Object.entries(tables)) glueNames.set(uri, name);
  entityUri = local.uri('entities');
  glueNames.set(entityUri, 'entities');
  const entityTable = openTable(local.lake, entityUri);
  await createTable(entityTable, {
    columns: [
      { name: 'customer_id', type: 'string' },
      { name: 'merchant_id', type: 'long' },
      { name: 'event_timestamp', type: 'timestamp' },
      { name: 'label', type: 'integer' },
    ],
  });
  await append(entityTable, data.entityRows);
});
afterEach(() => {
  athenaMock.reset();
});
afterAll(async () => {
  await local.stop();
  rmSync(dir, { recursive: true, force: true });
});

const deps = (): AthenaTrainingSetDeps => ({
  registry,
  openTable: (uri) => openTable(local.lake, uri),
  athena,
  workGroup: 'mlops-test',
  glueTable: async (uri) => {
    const table = glueNames.get(uri);
    if (!table) throw new Error(`no Glue table for ${uri}`);
    return { database: DATABASE, table };
  },
  pollIntervalMs: 1,
  newId: () => 'build-1',
});

/**
 * Stands in for Athena's execution of an UNLOAD: the statement's SELECT, with each Glue table
 * replaced by the current snapshot's files of the lakehouse table behind it, runs on DuckDB, and
 * the Parquet it writes is put under the UNLOAD destination, as Athena would.
 */
async function runOnDuckDb(sql: string): Promise<void> {
  const match = UNLOAD.exec(sql);
  if (!match) throw new Error(`not an UNLOAD statement:\n${sql}`);
  let select = match[1] as string;
  const destination = match[2] as string;
  const work = mkdtempSync(join(dir, 'athena-'));
  for (const [uri, name] of glueNames) {
    const relation = `${quoteIdentifier(DATABASE)}.${quoteIdentifier(name)}`;
    if (!select.includes(relation)) continue;
    const downloaded = await downloadSnapshot(openTable(local.lake, uri), join(work, name));
    select = select.replaceAll(relation, `read_parquet([${downloaded.files.map(quoteLiteral).join(', ')}])`);
  }
  const file = join(work, 'result.parquet');
  const db = await openDuckDb();
  try {
    await db.connection.run(`COPY (\n${select}\n) TO ${quoteLiteral(file)} (FORMAT PARQUET)`);
  } finally {
    db.close();
  }
  const out = [...Object.keys(outTables)].find((uri) => destination.startsWith(`${uri}/`));
  if (!out) throw new Error(`UNLOAD to ${destination}, outside every output table`);
  const key = `${destination.slice(out.length + 1)}20240101_000000_00000_abcde_part0`;
  await openTable(local.lake, out).objects.put(key, readFileSync(file));
}

/** Output tables of the tests (UNLOAD writes inside them). */
const outTables: Record<string, true> = {};
const newOut = (name: string) => {
  const uri = local.uri(name);
  outTables[uri] = true;
  return uri;
};

const plain = (rows: Record<string, unknown>[]) =>
  rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [
        key,
        value instanceof Date ? value.getTime() : typeof value === 'bigint' ? Number(value) : value,
      ]),
    ),
  );

describe('buildTrainingSetOnAthena', () => {
  it('unloads the point-in-time join over the Glue tables and commits it as the training-set table with its manifest', async () => {
    const out = newOut('training');
    let started: StartQueryExecutionCommandInput | undefined;
    athenaMock.on(StartQueryExecutionCommand).callsFake(async (input: StartQueryExecutionCommandInput) => {
      started = input;
      await runOnDuckDb(input.QueryString as string);
      return { QueryExecutionId: 'q-1' };
    });
    athenaMock
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });

    const manifest = await buildTrainingSetOnAthena(deps(), {
      service: 'generated',
      entities: { kind: 'table', uri: entityUri },
      out,
    });

    expect(started?.WorkGroup).toBe('mlops-test');
    const sql = started?.QueryString as string;
    expect(sql).toMatch(UNLOAD);
    expect(UNLOAD.exec(sql)?.[2]).toBe(`${out}/staging/build-1/`);
    for (const name of [...Object.keys(tables), 'entities']) expect(sql).toContain(`"${DATABASE}"."${name}"`);
    expect(athenaMock.commandCalls(GetQueryExecutionCommand)).toHaveLength(2);

    expect(manifest.sourceTables).toEqual(
      Object.values(tables).map((table) => ({ table, version: 3, pinning: 'query-start' })),
    );
    expect(manifest.entities).toEqual({ table: entityUri, version: 1, pinning: 'query-start' });
    expect(manifest.output).toEqual({ table: out, version: 1 });
    expect(manifest.rows).toBe(data.entityRows.length);
    expect(manifest.lineageTags['mlops.lineage.training_set']).toBe(`${out}@1`);
    expect(manifest.lineageTags['mlops.lineage.source_tables']).toBe(
      Object.values(tables)
        .map((table) => `${table}@3`)
        .join(','),
    );
    const { rows, version } = await readTable(openTable(local.lake, out));
    expect(version).toBe(1);
    const key = (row: Record<string, unknown>) => JSON.stringify(row);
    expect(plain(rows).map(key).sort()).toEqual(plain(referenceJoin(data)).map(key).sort());
    const stored = await openTable(local.lake, out).objects.get(manifestKey(1));
    expect(JSON.parse(Buffer.from(stored as Uint8Array).toString('utf8'))).toEqual(manifest);
  });

  it('records the version a source table reached when a commit landed while the query ran', async () => {
    const out = newOut('training-moving');
    const moving = Object.values(tables)[0] as string;
    athenaMock.on(StartQueryExecutionCommand).callsFake(async (input: StartQueryExecutionCommandInput) => {
      await runOnDuckDb(input.QueryString as string);
      // The same rows again: a new version, the same point-in-time answer.
      const view = data.views[0];
      await append(openTable(local.lake, moving), (view?.rows ?? []).slice(0, 1));
      return { QueryExecutionId: 'q-2' };
    });
    athenaMock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    const manifest = await buildTrainingSetOnAthena(deps(), {
      service: 'generated',
      entities: { kind: 'table', uri: entityUri },
      out,
    });
    expect(manifest.sourceTables[0]).toEqual({
      table: moving,
      version: 3,
      pinning: 'query-start',
      versionAfterQuery: 4,
    });
    expect(manifest.sourceTables[1]).toEqual({
      table: Object.values(tables)[1],
      version: 3,
      pinning: 'query-start',
    });
  });

  it('throws TrainingSetQueryError with Athena’s reason when the query fails, committing nothing', async () => {
    const out = newOut('training-failed');
    athenaMock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
    athenaMock.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: line 3:8' } },
    });
    const build = buildTrainingSetOnAthena(deps(), {
      service: 'generated',
      entities: { kind: 'table', uri: entityUri },
      out,
    });
    await expect(build).rejects.toThrow(TrainingSetQueryError);
    await expect(build).rejects.toThrow('the training-set query q-3 failed: TABLE_NOT_FOUND: line 3:8');
    expect(await tableExists(openTable(local.lake, out))).toBe(false);
  });

  it('replaces the previous training set in the same table on a second build', async () => {
    const out = newOut('training-twice');
    athenaMock.on(StartQueryExecutionCommand).callsFake(async (input: StartQueryExecutionCommandInput) => {
      await runOnDuckDb(input.QueryString as string);
      return { QueryExecutionId: 'q-5' };
    });
    athenaMock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    const request = { service: 'generated', entities: { kind: 'table' as const, uri: entityUri }, out };
    await buildTrainingSetOnAthena({ ...deps(), newId: () => 'first' }, request);
    const second = await buildTrainingSetOnAthena({ ...deps(), newId: () => 'second' }, request);
    expect(second.output).toEqual({ table: out, version: 2 });
    const { rows } = await readTable(openTable(local.lake, out));
    expect(rows).toHaveLength(data.entityRows.length);
  });

  it('refuses to replace a table of another shape, leaving it as it was', async () => {
    const out = newOut('training-other');
    await createTable(openTable(local.lake, out), { columns: [{ name: 'x', type: 'long' }] });
    athenaMock.on(StartQueryExecutionCommand).callsFake(async (input: StartQueryExecutionCommandInput) => {
      await runOnDuckDb(input.QueryString as string);
      return { QueryExecutionId: 'q-4' };
    });
    athenaMock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    await expect(
      buildTrainingSetOnAthena(deps(), {
        service: 'generated',
        entities: { kind: 'table', uri: entityUri },
        out,
      }),
    ).rejects.toThrow(`${out} already holds a table with other columns or partitions`);
    expect((await readTable(openTable(local.lake, out))).version).toBe(0);
  });

  it('finds the Glue table of a lakehouse table in the kit catalog, and says when there is none', async () => {
    const catalog = {
      register: async () => {
        throw new Error('not used');
      },
      list: async () => [
        { database: 'mlops_dev', table: 'orders', location: 's3://lake/raw/orders', registeredAt: '' },
      ],
    };
    const glueTable = glueTablesFromCatalog(catalog);
    expect(await glueTable('s3://lake/raw/orders/')).toEqual({ database: 'mlops_dev', table: 'orders' });
    await expect(glueTable('s3://lake/raw/other')).rejects.toThrow(
      'table s3://lake/raw/other is not registered in the Glue catalog',
    );
  });

  it('refuses an entity file, which Athena cannot read, before starting a query', async () => {
    await expect(
      buildTrainingSetOnAthena(deps(), {
        service: 'generated',
        entities: { kind: 'file', path: '/tmp/entities.csv', format: 'csv' },
        out: newOut('training-file'),
      }),
    ).rejects.toThrow(FeatureDataError);
    expect(athenaMock.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });
});
