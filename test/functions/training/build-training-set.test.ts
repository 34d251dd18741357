import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateChurnData } from '../../../cli/demo/churn-data.ts';
import { applyChurnFeatures, churnTables, loadChurnTables } from '../../../cli/demo/churn-platform.ts';
import { createHandler } from '../../../functions/training/build-training-set.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import { DynamoDbCatalogStore, lakehouseContext, registerTable } from '../../../layers/lakehouse/index.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';

let platform: LocalPlatform;
const tables = churnTables('s3://mlops-lakehouse/demo');
const athena = mockClient(AthenaClient);

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  const lake = lakehouseContext(platform.config);
  await loadChurnTables(lake, generateChurnData({ customers: 50, months: 6, driftFromMonth: 6 }), tables);
  const documents = createDocumentClient(createDynamoDbClient(platform.config));
  await applyChurnFeatures(new DynamoDbFeatureRegistryStore(documents, 'mlops_feature_registry'), tables);
  const catalog = new DynamoDbCatalogStore(lake.dynamodb, 'mlops_platform');
  for (const location of Object.values(tables)) await registerTable({ catalog, stage: 'local', location });
}, 60_000);

afterAll(async () => {
  athena.restore();
  await platform.stop();
});

const event = {
  request: {
    model: 'churn',
    featureService: 'churn',
    entities: tables.labels,
    label: 'churned',
    timestampColumn: 'event_time',
  },
  executionId: 'exec-1',
  startedAt: '2026-11-27T04:00:00Z',
};

describe('the BuildTrainingSet task', () => {
  it('plans the UNLOAD for the Athena integration in the configured workgroup when the engine is athena', async () => {
    const handler = createHandler({
      ...platform.env,
      MLOPS_TRAINING_SET_ENGINE: 'athena',
      MLOPS_ATHENA_WORKGROUP: 'mlops-test',
    });
    const plan = (await handler(event)) as {
      engine: string;
      workGroup: string;
      query: { sql: string; destination: string };
      run: { trainingSetRequest: { out: string } };
    };
    expect(plan.engine).toBe('athena');
    expect(plan.workGroup).toBe('mlops-test');
    expect(plan.query.sql).toMatch(/^UNLOAD \(/);
    expect(plan.query.sql).toContain('"mlops_local"."activity"');
    expect(plan.query.destination.startsWith(`${plan.run.trainingSetRequest.out}/staging/`)).toBe(true);
    // Athena itself is the state machine's to call.
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });

  it('builds it with DuckDB in process by default', async () => {
    const plan = (await createHandler(platform.env)(event)) as {
      engine: string;
      context: { trainingSet: { rows: number } };
    };
    expect(plan.engine).toBe('duckdb');
    expect(plan.context.trainingSet.rows).toBeGreaterThan(0);
  });

  it('refuses an unknown engine with a configuration error', () => {
    expect(() => createHandler({ ...platform.env, MLOPS_TRAINING_SET_ENGINE: 'spark' })).toThrow(
      'invalid training settings',
    );
  });
});
