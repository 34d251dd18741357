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
  it('sends the point-in-time query to Athena in the configured workgroup when the engine is athena', async () => {
    athena
      .on(StartQueryExecutionCommand)
      .rejects(Object.assign(new Error('workgroup is disabled'), { name: 'InvalidRequestException' }));
    const handler = createHandler({
      ...platform.env,
      MLOPS_TRAINING_SET_ENGINE: 'athena',
      MLOPS_ATHENA_WORKGROUP: 'mlops-test',
    });
    await expect(handler(event)).rejects.toThrow('workgroup is disabled');
    const sent = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
    expect(sent?.WorkGroup).toBe('mlops-test');
    expect(sent?.QueryString).toMatch(/^UNLOAD \(/);
    expect(sent?.QueryString).toContain('"mlops_local"."activity"');
  });

  it('builds it with DuckDB in process by default', async () => {
    athena.reset();
    const context = (await createHandler(platform.env)(event)) as { trainingSet: { rows: number } };
    expect(context.trainingSet.rows).toBeGreaterThan(0);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });

  it('refuses an unknown engine with a configuration error', () => {
    expect(() => createHandler({ ...platform.env, MLOPS_TRAINING_SET_ENGINE: 'spark' })).toThrow(
      'invalid training settings',
    );
  });
});
