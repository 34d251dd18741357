import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  localPointInTimeQuery,
  openDuckDb,
  writeTrainingSetParquet,
} from '../../../layers/features/duckdb-executor.ts';
import {
  pointInTimeSelect,
  pointInTimeStatement,
  quoteLiteral,
  relationFor,
} from '../../../layers/features/point-in-time-sql.ts';
import { type GeneratedData, generateData, referenceJoin } from './pit-data.ts';

let dir: string;
let data: GeneratedData;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-pit-'));
  data = generateData(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Row = Record<string, unknown>;

/** Rows as comparable plain values: timestamps in ms, bigints as numbers. */
function normalize(rows: Row[]): Row[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [
        key,
        value instanceof Date ? value.getTime() : typeof value === 'bigint' ? Number(value) : value,
      ]),
    ),
  );
}

async function readParquet(file: string): Promise<Row[]> {
  const db = await openDuckDb();
  try {
    const result = await db.connection.runAndReadAll(`SELECT * FROM read_parquet(${quoteLiteral(file)})`);
    return result.getRowObjectsJS() as Row[];
  } finally {
    db.close();
  }
}

const entities = () => ({ files: [data.entityFile], format: 'parquet' as const });

describe('point-in-time join', () => {
  it('equals the brute-force reference on DuckDB (late rows, ties, TTL edges, missing entities, 3 views)', async () => {
    const out = join(dir, 'training.parquet');
    const written = await writeTrainingSetParquet(entities(), data.views, out);
    expect(written.rows).toBe(data.entityRows.length);
    expect(written.columns).toEqual([
      'customer_id',
      'merchant_id',
      'event_timestamp',
      'label',
      'customer_stats__spend',
      'customer_stats__segment',
      'merchant_risk__risk',
      'merchant_risk__flagged',
      'pair_counts__pair_count',
    ]);
    const expected = normalize(referenceJoin(data));
    const actual = normalize(await readParquet(out));
    expect(actual).toEqual(expected);
    // The data exercises what it claims to: present and absent values in every view.
    for (const column of ['customer_stats__spend', 'merchant_risk__risk', 'pair_counts__pair_count']) {
      expect(expected.some((row) => row[column] === null)).toBe(true);
      expect(expected.some((row) => row[column] !== null)).toBe(true);
    }
  });

  it('drops a value exactly TTL old and keeps one a second younger', async () => {
    const [customerView] = data.views;
    const row = customerView!.rows.find((candidate) => candidate.customer_id === 'c3')!;
    const eventMs = (row.event_ts as Date).getTime();
    const probe = {
      ...data,
      entityRows: [
        { customer_id: 'c3', merchant_id: 1, event_timestamp: new Date(eventMs + 600_000), label: 0 },
        { customer_id: 'c3', merchant_id: 1, event_timestamp: new Date(eventMs + 599_000), label: 0 },
        { customer_id: 'c3', merchant_id: 1, event_timestamp: new Date(eventMs), label: 0 },
      ],
    };
    const reference = referenceJoin(probe);
    // The reference itself shows the edge (unless a later row for c3 falls in between).
    expect(reference[2]?.customer_stats__spend).not.toBeNull();
    const { writeFileSync } = await import('node:fs');
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const file = join(dir, 'edge-entities.parquet');
    writeFileSync(
      file,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'customer_id', type: 'STRING', data: probe.entityRows.map((r) => r.customer_id) },
            { name: 'merchant_id', type: 'INT64', data: probe.entityRows.map(() => 1n) },
            {
              name: 'event_timestamp',
              type: 'TIMESTAMP',
              data: probe.entityRows.map((r) => r.event_timestamp),
            },
            { name: 'label', type: 'INT32', data: probe.entityRows.map(() => 0) },
          ],
        }),
      ),
    );
    const out = join(dir, 'edge.parquet');
    await writeTrainingSetParquet({ files: [file], format: 'parquet' }, data.views, out);
    expect(normalize(await readParquet(out))).toEqual(normalize(reference));
  });

  it('generates Athena SQL that Trino grammar accepts and that computes the reference join', async () => {
    const db = await openDuckDb();
    try {
      const local = await localPointInTimeQuery(db.connection, entities(), data.views);
      // The same query against catalog tables, as Athena would run it.
      await db.connection.run('CREATE SCHEMA feature_db');
      await db.connection.run(
        `CREATE VIEW feature_db.entity_rows_input AS SELECT * FROM read_parquet(${quoteLiteral(data.entityFile)})`,
      );
      for (const view of data.views) {
        await db.connection.run(
          `CREATE VIEW feature_db.${view.spec.name} AS SELECT * FROM ${relationFor('duckdb', { files: view.files })}`,
        );
      }
      const athenaQuery = {
        entities: {
          ...local.entities,
          relation: relationFor('athena', { database: 'feature_db', table: 'entity_rows_input' }),
        },
        views: local.views.map((view) => ({
          ...view,
          relation: relationFor('athena', { database: 'feature_db', table: view.name }),
        })),
      };
      const select = pointInTimeSelect(athenaQuery);
      expect(select).not.toMatch(/read_parquet|::|QUALIFY|ASOF/i);
      const trino = new TrinoSQL();
      expect(trino.validate(select)).toEqual([]);

      const statement = pointInTimeStatement(athenaQuery, 'athena', 's3://mlops-lakehouse/training/run-1/');
      const unload =
        /^UNLOAD \(\n([\s\S]+)\n\) TO 's3:\/\/mlops-lakehouse\/training\/run-1\/' WITH \(format = 'PARQUET', compression = 'SNAPPY'\)$/.exec(
          statement,
        );
      expect(unload?.[1]).toBe(select);

      const result = await db.connection.runAndReadAll(select);
      expect(normalize(result.getRowObjectsJS() as Row[])).toEqual(normalize(referenceJoin(data)));
    } finally {
      db.close();
    }
  });

  it('rejects an Athena destination that is not an s3 prefix', () => {
    const query = {
      entities: {
        relation: '"e"',
        columns: ['customer_id', 'event_timestamp'],
        timestampColumn: 'event_timestamp',
      },
      views: [],
    };
    expect(() => pointInTimeStatement(query, 'athena', '/tmp/out')).toThrow(
      'an Athena UNLOAD destination must be an s3://bucket/prefix/ ending in /, got /tmp/out',
    );
  });

  it('throws FeatureDataError naming a join key the entity table lacks', async () => {
    const { FeatureDataError } = await import('../../../layers/features/errors.ts');
    const query = {
      entities: { relation: '"e"', columns: ['event_timestamp'], timestampColumn: 'event_timestamp' },
      views: [
        {
          name: 'v',
          relation: '"v"',
          joinKeys: [{ name: 'customer_id', type: 'string' as const }],
          eventTimeColumn: 'ts',
          ttlSeconds: 0,
          features: [{ name: 'f', type: 'int64' as const, column: 'v__f' }],
        },
      ],
    };
    expect(() => pointInTimeSelect(query)).toThrow(FeatureDataError);
    expect(() => pointInTimeSelect(query)).toThrow("the entity table has no join key column 'customer_id'");
  });
});
