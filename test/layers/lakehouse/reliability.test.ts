import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  append,
  type CommitStep,
  CorruptTableError,
  createTable,
  InvalidTableLocationError,
  latestVersion,
  loadSnapshot,
  openTable,
  readTable,
  SchemaMismatchError,
  TableNotFoundError,
} from '../../../layers/lakehouse/index.ts';
import { type LocalLakehouse, startLocalLakehouse } from './local-lakehouse.ts';

let local: LocalLakehouse;

beforeAll(async () => {
  local = await startLocalLakehouse();
});

afterAll(async () => {
  await local?.stop();
});

async function logEntries(uri: string) {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local.lake.dynamodb.send(
      new QueryCommand({
        TableName: local.lake.logTable,
        KeyConditionExpression: 'tablePath = :p',
        ExpressionAttributeValues: { ':p': uri },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

describe('concurrent writers', () => {
  it('8 writers × 25 appends give contiguous versions 0..200 with every row exactly once', async () => {
    const uri = local.uri('concurrent');
    await createTable(openTable(local.lake, uri), {
      columns: [
        { name: 'writer', type: 'integer' },
        { name: 'seq', type: 'integer' },
      ],
    });
    await Promise.all(
      Array.from({ length: 8 }, async (_, writer) => {
        const table = openTable(local.lake, uri);
        for (let seq = 0; seq < 25; seq++) await append(table, [{ writer, seq }]);
      }),
    );
    const table = openTable(local.lake, uri);
    expect(await latestVersion(table)).toBe(200);
    const entries = await logEntries(uri);
    expect(entries.map((e) => e.fileName)).toEqual(
      Array.from({ length: 201 }, (_, v) => `${String(v).padStart(20, '0')}.json`),
    );
    expect(entries.every((e) => e.complete === 'true' && typeof e.expireTime === 'number')).toBe(true);
    for (let v = 0; v <= 200; v++) {
      expect(
        await table.objects.head(`_delta_log/${String(v).padStart(20, '0')}.json`),
        `commit ${v}`,
      ).toBeDefined();
    }
    const { rows } = await readTable(table);
    const seen = rows.map((row) => `${row.writer}:${row.seq}`).sort();
    const expected = Array.from({ length: 200 }, (_, i) => `${Math.floor(i / 25)}:${i % 25}`).sort();
    expect(seen).toEqual(expected);
  }, 180_000);
});

describe('a writer killed during a commit', () => {
  const steps: CommitStep[] = ['temp-written', 'entry-put', 'copied', 'completed'];
  for (const step of steps) {
    it(`leaves a consistent table when killed after ${step}, and the next writer continues`, async () => {
      const uri = local.uri(`crash-${step}`);
      await createTable(openTable(local.lake, uri), { columns: [{ name: 'id', type: 'long' }] });
      await append(openTable(local.lake, uri), [{ id: 1n }]);
      const crashing = openTable(
        {
          ...local.lake,
          afterStep: (s) => {
            if (s === step) throw new Error('killed');
          },
        },
        uri,
      );
      await expect(append(crashing, [{ id: 2n }])).rejects.toThrow(`commit interrupted after ${step}`);
      const committed = step !== 'temp-written';
      // The next reader sees a consistent table: the crashed commit entirely, or not at all.
      const reader = openTable(local.lake, uri);
      const { rows, version } = await readTable(reader);
      expect(version).toBe(committed ? 2 : 1);
      expect(rows.map((row) => row.id).sort()).toEqual(committed ? [1n, 2n] : [1n]);
      // The next writer repairs and continues.
      await append(reader, [{ id: 3n }]);
      const after = await readTable(reader);
      expect(after.version).toBe(committed ? 3 : 2);
      expect(after.rows.map((row) => row.id).sort()).toEqual(committed ? [1n, 2n, 3n] : [1n, 3n]);
      const entries = await logEntries(uri);
      expect(entries.every((e) => e.complete === 'true')).toBe(true);
    });
  }

  it('lets the next writer repair an incomplete entry it finds before its own version', async () => {
    const uri = local.uri('repair-writer');
    await createTable(openTable(local.lake, uri), { columns: [{ name: 'id', type: 'long' }] });
    const crashing = openTable(
      {
        ...local.lake,
        afterStep: () => {
          throw new Error('killed');
        },
      },
      uri,
    );
    // Crash right after the commit point: the temp file and an incomplete entry exist, 1.json does not.
    const killed = openTable(
      {
        ...local.lake,
        afterStep: (s) => {
          if (s === 'entry-put') throw new Error('killed');
        },
      },
      uri,
    );
    await expect(append(killed, [{ id: 1n }])).rejects.toThrow('interrupted after entry-put');
    expect(await crashing.objects.head('_delta_log/00000000000000000001.json')).toBeUndefined();
    const writer = openTable(local.lake, uri);
    const result = await append(writer, [{ id: 2n }]);
    expect(result.version).toBe(2);
    expect(await writer.objects.head('_delta_log/00000000000000000001.json')).toBeDefined();
    expect((await readTable(writer)).rows.map((r) => r.id).sort()).toEqual([1n, 2n]);
  });

  it('ignores stray temp files of commits that never reached the commit point', async () => {
    const uri = local.uri('stray');
    const table = openTable(local.lake, uri);
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    await table.objects.put(
      '_delta_log/.tmp/00000000000000000001.json.dead',
      '{"add":{"path":"x","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}}\n',
    );
    await table.objects.put('_delta_log/_commit_abc.json.tmp', 'garbage');
    expect((await readTable(table)).version).toBe(0);
    expect((await append(table, [{ id: 1n }])).version).toBe(1);
    expect((await readTable(table)).rows).toEqual([{ id: 1n }]);
  });
});

describe('bad input', () => {
  it('rejects the wrong schema with the column named and the table unchanged', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    await expect(append(table, [{ id: 1n }, { id: 'two' }])).rejects.toThrow(SchemaMismatchError);
    expect((await loadSnapshot(table)).version).toBe(0);
    expect(await latestVersion(table)).toBe(0);
  });

  it('reports a corrupt data file as CorruptTableError naming the file', async () => {
    const table = openTable(local.lake, local.uri());
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    await append(table, [{ id: 1n }]);
    const file = (await loadSnapshot(table)).files[0]!.path;
    await table.objects.put(file, 'this is not parquet at all, only some text bytes');
    const error = await readTable(table).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptTableError);
    expect((error as Error).message).toContain(`data file ${file}`);
    expect((error as Error).message).toContain('is not valid Parquet');
  });

  it('reports a missing table as TableNotFoundError', async () => {
    const table = openTable(local.lake, local.uri('nothing-here'));
    await expect(readTable(table)).rejects.toThrow(`no Delta table at ${table.uri}`);
    await expect(readTable(table)).rejects.toThrow(TableNotFoundError);
  });

  it('refuses a location outside the lakehouse bucket, or an unsafe path', async () => {
    expect(() => openTable(local.lake, 's3://someone-elses-bucket/t')).toThrow(
      new InvalidTableLocationError(
        `table location s3://someone-elses-bucket/t is outside the lakehouse bucket ${local.bucket}`,
      ),
    );
    expect(() => openTable(local.lake, `s3://${local.bucket}/a/../b`)).toThrow(InvalidTableLocationError);
    expect(() => openTable(local.lake, '/tmp/table')).toThrow(
      'table location must look like s3://bucket/path/to/table',
    );
    expect(() => openTable(local.lake, `s3://${local.bucket}/t/_delta_log`)).toThrow(/inside a _delta_log/);
  });

  it('uses the table path without a trailing slash as the DynamoDB key', async () => {
    const uri = local.uri('slash');
    const table = openTable(local.lake, `${uri}/`);
    await createTable(table, { columns: [{ name: 'id', type: 'long' }] });
    const entries = await logEntries(uri);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      tablePath: uri,
      fileName: '00000000000000000000.json',
      complete: 'true',
    });
    expect(String(entries[0]?.tempPath)).toMatch(/^\.tmp\/00000000000000000000\.json\.[0-9a-f-]{36}$/);
  });
});
