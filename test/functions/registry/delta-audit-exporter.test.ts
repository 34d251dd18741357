import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAuditLog } from '../../../functions/registry/audit-log.ts';
import { DeltaAuditExporter } from '../../../functions/registry/delta-audit-exporter.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import {
  type LakehouseClients,
  lakehouseContext,
  openTable,
  readTable,
} from '../../../layers/lakehouse/index.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';

async function post(platform: LocalPlatform, path: string, body: Record<string, unknown>) {
  const response = await fetch(new URL(path, platform.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, path).toBe(200);
}

describe('DeltaAuditExporter on the local platform', () => {
  let platform: LocalPlatform;
  let lake: LakehouseClients;
  let auditLog: DynamoDbAuditLog;
  const exporter = (uri: string, afterStep?: () => void) =>
    new DeltaAuditExporter({
      db: createDocumentClient(createDynamoDbClient(platform.config)),
      table: 'mlops_registry',
      auditLog,
      delta: openTable(lake, uri),
      owner: randomUUID(),
      ...(afterStep ? { afterStep } : {}),
    });

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    lake = lakehouseContext(platform.config);
    auditLog = new DynamoDbAuditLog(
      createDocumentClient(createDynamoDbClient(platform.config)),
      'mlops_registry',
      {
        markForExport: true,
      },
    );
  });
  afterAll(async () => {
    lake.destroy();
    await platform.stop();
  });

  it('puts every change, racing ones included, into the Delta table exactly once', async () => {
    await post(platform, '/api/2.0/mlflow/registered-models/create', { name: 'lake-audited' });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
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
    // A change whose flush found the lease taken leaves its record pending for the next flush.
    await exporter('s3://mlops-lakehouse/registry/audit').flush();

    expect(await auditLog.pending(10)).toEqual([]);
    const { rows } = await readTable(openTable(lake, 's3://mlops-lakehouse/registry/audit'), {
      where: "model = 'lake-audited'",
    });
    expect(rows.map((row) => row.action).sort()).toEqual([
      'alias.set',
      'alias.set',
      'model.created',
      ...Array(8).fill('version.created'),
    ]);
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    const moves = rows
      .filter((row) => row.action === 'alias.set')
      .sort((a, b) => (a.ts as Date).getTime() - (b.ts as Date).getTime());
    expect(
      moves.map((row) => [row.principal, row.alias, row.before_json, row.after_json, row.outcome]),
    ).toEqual([
      ['local-user', 'champion', null, '"2"', 'done'],
      ['local-user', 'champion', '"2"', '"5"', 'done'],
    ]);
  });

  it('exports a batch once when the exporter stops between the Delta commit and clearing the pending list', async () => {
    const uri = 's3://mlops-lakehouse/registry/audit-resumed';
    const now = Date.now();
    await auditLog.append(
      ['a', 'b', 'c'].map((key, i) => ({
        id: randomUUID(),
        model: 'resumed',
        action: 'model.tag.set' as const,
        outcome: 'done' as const,
        principal: 'tester',
        timestamp: now + i,
        key,
        after: String(i),
      })),
    );
    const crashing = exporter(uri, () => {
      throw new Error('stopped after the commit');
    });
    await expect(crashing.flush()).rejects.toThrow('stopped after the commit');
    expect((await readTable(openTable(lake, uri))).rows).toHaveLength(3);
    expect(await auditLog.pending(10)).toHaveLength(3);

    await exporter(uri).flush();
    expect(await auditLog.pending(10)).toEqual([]);
    const { rows } = await readTable(openTable(lake, uri));
    expect(rows.map((row) => row.key).sort()).toEqual(['a', 'b', 'c']);
  });
});
