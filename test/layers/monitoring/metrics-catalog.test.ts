import { CreateTableCommand, GetDatabaseCommand, GlueClient } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { CatalogEntry, CatalogStore } from '../../../layers/lakehouse/index.ts';
import { CatalogTableRegistrar } from '../../../layers/monitoring/metrics-catalog.ts';

const glueMock = mockClient(GlueClient);
afterEach(() => glueMock.reset());

/** An in-memory catalog that counts its writes. */
function memoryCatalog(): CatalogStore & { writes: number } {
  const entries = new Map<string, CatalogEntry>();
  return {
    writes: 0,
    async register(entry) {
      this.writes += 1;
      const full = { ...entry, registeredAt: '2026-01-01T00:00:00.000Z' };
      entries.set(`${entry.database}.${entry.table}`, full);
      return full;
    },
    async list() {
      return [...entries.values()];
    },
  };
}

const LOCATION = 's3://lake/monitoring/Churn-EU_drift_metrics';

describe('CatalogTableRegistrar', () => {
  it('registers a metrics table in Glue and the catalog once, under a Glue-safe name', async () => {
    glueMock.on(GetDatabaseCommand).resolves({ Database: { Name: 'mlops_prod' } });
    glueMock.on(CreateTableCommand).resolves({});
    const catalog = memoryCatalog();
    const registrar = new CatalogTableRegistrar({ catalog, glue: new GlueClient({}), stage: 'prod' });
    expect(await registrar.ensureRegistered(LOCATION)).toBe('mlops_prod.churn_eu_drift_metrics');
    expect(glueMock.commandCalls(CreateTableCommand)[0]?.args[0].input).toMatchObject({
      DatabaseName: 'mlops_prod',
      TableInput: { Name: 'churn_eu_drift_metrics', StorageDescriptor: { Location: `${LOCATION}/` } },
    });
    // A later run (a new registrar, as in a new Lambda invocation) finds it in the catalog.
    await new CatalogTableRegistrar({ catalog, glue: new GlueClient({}), stage: 'prod' }).ensureRegistered(
      LOCATION,
    );
    expect(glueMock.commandCalls(CreateTableCommand)).toHaveLength(1);
    expect(catalog.writes).toBe(1);
  });

  it('leaves the catalog alone when Glue fails, so the next run registers again', async () => {
    glueMock.on(GetDatabaseCommand).rejects(new Error('Glue is unreachable'));
    const catalog = memoryCatalog();
    const registrar = new CatalogTableRegistrar({ catalog, glue: new GlueClient({}), stage: 'prod' });
    await expect(registrar.ensureRegistered(LOCATION)).rejects.toThrow('Glue is unreachable');
    expect(await catalog.list()).toEqual([]);
    glueMock.reset();
    glueMock.on(GetDatabaseCommand).resolves({ Database: { Name: 'mlops_prod' } });
    glueMock.on(CreateTableCommand).resolves({});
    await registrar.ensureRegistered(LOCATION);
    expect((await catalog.list()).map((e) => e.table)).toEqual(['churn_eu_drift_metrics']);
  });
});
