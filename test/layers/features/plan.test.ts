import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDefinitionFile } from '../../../layers/features/definition-file.ts';
import { DefinitionError, FeatureRegistryConflictError } from '../../../layers/features/errors.ts';
import { applyPlan, formatPlan, planDefinitions } from '../../../layers/features/plan.ts';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import { DEFINITIONS } from './fixtures.ts';
import { type LocalFeatureTables, startFeatureTables } from './local-tables.ts';

let tables: LocalFeatureTables;
let store: DynamoDbFeatureRegistryStore;

beforeAll(async () => {
  tables = await startFeatureTables();
});
afterAll(async () => {
  await tables.close();
});

async function apply(text: string) {
  const plan = await planDefinitions(parseDefinitionFile(text), store);
  await applyPlan(plan, store);
  return plan;
}

const summary = (plan: Awaited<ReturnType<typeof apply>>) =>
  plan.entries.map((entry) => `${entry.kind} ${entry.name} ${entry.action} v${entry.target.version}`);

describe('planDefinitions and applyPlan', () => {
  it('creates version 1 of everything, then finds nothing to do on a second apply', async () => {
    store = new DynamoDbFeatureRegistryStore(tables.documents, tables.registryTable);
    expect(summary(await apply(DEFINITIONS))).toEqual([
      'entity customer create v1',
      'featureView customer_stats create v1',
      'featureService fraud create v1',
    ]);
    expect(summary(await apply(DEFINITIONS))).toEqual([
      'entity customer unchanged v1',
      'featureView customer_stats unchanged v1',
      'featureService fraud unchanged v1',
    ]);
    const service = await store.get('featureService', 'fraud');
    expect(service.spec.resolved.map((feature) => feature.column)).toEqual([
      'customer_stats__total_spend',
      'customer_stats__orders',
    ]);
  });

  it('updates a version in place for an added feature and a new TTL', async () => {
    const text = DEFINITIONS.replace('ttl: 7d', 'ttl: 14d').replace(
      '      - { name: orders, type: int64 }\n',
      '      - { name: orders, type: int64 }\n      - { name: avg_basket, type: float64 }\n',
    );
    const plan = await apply(text);
    expect(summary(plan)).toEqual([
      'entity customer unchanged v1',
      'featureView customer_stats update v1',
      'featureService fraud update v1',
    ]);
    expect(formatPlan(plan)).toContain(
      '~ feature view customer_stats: update v1 in place\n    added feature avg_basket (float64)\n    ttl 7d → 14d',
    );
    const view = await store.get('featureView', 'customer_stats', 1);
    expect(view.revision).toBe(2);
    expect(view.spec.ttl).toBe(14 * 86_400);
  });

  it('creates a new version for a removed feature and a changed type, keeping the old version', async () => {
    const text = DEFINITIONS.replace('{ name: orders, type: int64 }', '{ name: orders, type: float64 }');
    const plan = await apply(text);
    expect(summary(plan)).toEqual([
      'entity customer unchanged v1',
      'featureView customer_stats new-version v2',
      'featureService fraud new-version v2',
    ]);
    expect(formatPlan(plan)).toContain(
      '! feature view customer_stats: new version v2 (v1 kept; breaking change)\n    feature orders type int64 → float64\n    removed feature avg_basket\n    ttl 14d → 7d',
    );
    expect(plan.entries[2]?.changes).toContain('removed feature customer_stats.avg_basket');
    const old = await store.get('featureView', 'customer_stats', 1);
    expect(old.spec.features.map((feature) => `${feature.name}:${feature.type}`)).toEqual([
      'total_spend:float64',
      'orders:int64',
      'avg_basket:float64',
    ]);
    const oldService = await store.get('featureService', 'fraud', 1);
    expect(oldService.spec.resolved.every((feature) => feature.viewVersion === 1)).toBe(true);
    const newService = await store.get('featureService', 'fraud');
    expect(newService.version).toBe(2);
    expect(newService.spec.resolved.every((feature) => feature.viewVersion === 2)).toBe(true);
  });

  it('resolves references to registered objects that the file does not mention', async () => {
    const text = `featureServices:
  - name: spend_only
    features:
      - view: customer_stats
        features: [total_spend]
`;
    const plan = await apply(text);
    expect(plan.entries[0]?.target.spec).toMatchObject({
      resolved: [{ view: 'customer_stats', viewVersion: 2, feature: 'total_spend', type: 'float64' }],
    });
  });

  it('rejects an unknown view with the line of the reference, writing nothing', async () => {
    const text = `featureServices:
  - name: broken
    features:
      - view: customer_stat
`;
    const error = await planDefinitions(parseDefinitionFile(text), store).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as DefinitionError).issues).toEqual([
      {
        path: 'featureServices[0].features[0].view',
        line: 4,
        column: 15,
        message: "unknown feature view 'customer_stat'",
      },
    ]);
    expect(await store.latest('featureService', 'broken')).toBeUndefined();
  });

  it('throws FeatureRegistryConflictError when another apply wrote the same version first', async () => {
    const text = DEFINITIONS.replace(
      '{ name: total_spend, type: float64 }',
      '{ name: total_spend, type: float32 }',
    );
    const first = await planDefinitions(parseDefinitionFile(text), store);
    const second = await planDefinitions(parseDefinitionFile(text), store);
    await applyPlan(first, store);
    await expect(applyPlan(second, store)).rejects.toThrow(FeatureRegistryConflictError);
  });
});
