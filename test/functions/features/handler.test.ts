import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { parseDefinitionFile } from '../../../layers/features/definition-file.ts';
import { materializeRows } from '../../../layers/features/materialize.ts';
import { DynamoDbOnlineStore } from '../../../layers/features/online-store.ts';
import { applyPlan, planDefinitions } from '../../../layers/features/plan.ts';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { DEFINITIONS } from '../../layers/features/fixtures.ts';

let platform: LocalPlatform;

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  const client = createDynamoDbClient(platform.config);
  const documents = createDocumentClient(client);
  const registry = new DynamoDbFeatureRegistryStore(documents, 'mlops_feature_registry');
  await applyPlan(await planDefinitions(parseDefinitionFile(DEFINITIONS), registry), registry);
  const view = await registry.get('featureView', 'customer_stats');
  const now = Date.now();
  await materializeRows({
    view,
    batches: [
      [
        {
          customer_id: 'c1',
          event_ts: new Date(now - 60_000),
          created_ts: new Date(now),
          total_spend: 12.5,
          orders: 3n,
        },
        {
          customer_id: 'c2',
          event_ts: new Date(now - 8 * 86_400_000),
          created_ts: new Date(now),
          total_spend: 1,
          orders: 1n,
        },
        {
          customer_id: 'c3',
          event_ts: new Date(now - 1000),
          created_ts: new Date(now),
          total_spend: null,
          orders: 7n,
        },
      ],
    ],
    tableVersion: 1,
    store: new DynamoDbOnlineStore(documents, 'mlops_online_store'),
  });
  client.destroy();
});
afterAll(async () => {
  await platform.stop();
});

async function post(body: unknown) {
  const response = await fetch(`${platform.url}/api/2.0/mlops/features/online`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('POST /api/2.0/mlops/features/online', () => {
  it('answers values, statuses and event times per feature for each entity', async () => {
    const { status, body } = await post({
      featureService: 'fraud',
      entities: { customer_id: ['c1', 'c2', 'c3', 'nobody'] },
    });
    expect(status).toBe(200);
    expect(body.featureService).toEqual({ name: 'fraud', version: 1 });
    expect(body.featureNames).toEqual(['customer_stats__total_spend', 'customer_stats__orders']);
    const [spend, orders] = body.results as {
      values: unknown[];
      statuses: string[];
      eventTimestamps: unknown[];
    }[];
    expect(spend?.values).toEqual([12.5, null, null, null]);
    expect(spend?.statuses).toEqual(['PRESENT', 'EXPIRED', 'MISSING', 'MISSING']);
    expect(orders?.values).toEqual([3, null, 7, null]);
    expect(orders?.statuses).toEqual(['PRESENT', 'EXPIRED', 'PRESENT', 'MISSING']);
    expect(orders?.eventTimestamps[0]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(orders?.eventTimestamps[3]).toBeNull();
  });

  it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown service', async () => {
    const { status, body } = await post({ featureService: 'nope', entities: { customer_id: ['c1'] } });
    expect(status).toBe(404);
    expect(body).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: "feature service 'nope' is not registered",
    });
  });

  it('answers 400 naming a missing join key or ragged entity columns', async () => {
    const missing = await post({ featureService: 'fraud', entities: { account: ['a'] } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe("entity 0 has no value for join key 'customer_id'");
    const ragged = await post({ featureService: 'fraud', entities: { customer_id: ['a', 'b'], x: [1] } });
    expect(ragged.status).toBe(400);
    expect(ragged.body.message).toBe(
      "every entities column must have the same length: 'customer_id' has 2, 'x' has 1",
    );
  });
});
