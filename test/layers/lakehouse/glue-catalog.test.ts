import {
  AlreadyExistsException,
  CreateTableCommand,
  EntityNotFoundException,
  GetDatabaseCommand,
  GlueClient,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CatalogEntry,
  type CatalogStore,
  databaseForStage,
  registerInGlue,
  registerTable,
  tableNameFor,
} from '../../../layers/lakehouse/index.ts';

const glueMock = mockClient(GlueClient);

afterEach(() => {
  glueMock.reset();
});

const registration = { database: 'mlops_dev', table: 'orders', location: 's3://lake/raw/orders' };

describe('registerInGlue', () => {
  it('creates a native Delta table: table_type=DELTA and the location, no columns', async () => {
    glueMock.on(GetDatabaseCommand).resolves({ Database: { Name: 'mlops_dev' } });
    glueMock.on(CreateTableCommand).resolves({});
    expect(await registerInGlue(new GlueClient({}), registration)).toBe('created');
    const call = glueMock.commandCalls(CreateTableCommand)[0]!.args[0].input;
    expect(call).toEqual({
      DatabaseName: 'mlops_dev',
      TableInput: {
        Name: 'orders',
        TableType: 'EXTERNAL_TABLE',
        Parameters: { table_type: 'DELTA', EXTERNAL: 'TRUE', 'mlops:managed': 'true' },
        StorageDescriptor: { Location: 's3://lake/raw/orders/' },
      },
    });
  });

  it('updates the entry when the table is registered already', async () => {
    glueMock.on(GetDatabaseCommand).resolves({ Database: { Name: 'mlops_dev' } });
    glueMock.on(CreateTableCommand).rejects(new AlreadyExistsException({ message: 'exists', $metadata: {} }));
    glueMock.on(UpdateTableCommand).resolves({});
    expect(await registerInGlue(new GlueClient({}), registration)).toBe('updated');
    expect(
      glueMock.commandCalls(UpdateTableCommand)[0]!.args[0].input.TableInput?.Parameters?.table_type,
    ).toBe('DELTA');
  });

  it('says which database is missing, and creates nothing', async () => {
    glueMock.on(GetDatabaseCommand).rejects(new EntityNotFoundException({ message: 'nope', $metadata: {} }));
    await expect(registerInGlue(new GlueClient({}), registration)).rejects.toThrow(
      'Glue database mlops_dev does not exist (deploy the analytics stack first)',
    );
    expect(glueMock.commandCalls(CreateTableCommand)).toHaveLength(0);
  });

  it('refuses names Glue would not accept', async () => {
    await expect(registerInGlue(new GlueClient({}), { ...registration, table: 'Bad-Name' })).rejects.toThrow(
      'table name must be lower case letters, digits and _, got "Bad-Name"',
    );
  });
});

describe('registerTable', () => {
  it('registers in Glue and in the kit catalog under <database>.<table>', async () => {
    glueMock.on(GetDatabaseCommand).resolves({ Database: { Name: 'mlops_prod' } });
    glueMock.on(CreateTableCommand).resolves({});
    const entries: CatalogEntry[] = [];
    const catalog: CatalogStore = {
      register: async (entry) => {
        const full = { ...entry, registeredAt: 'now' };
        entries.push(full);
        return full;
      },
      list: async () => entries,
    };
    const result = await registerTable({
      catalog,
      glue: new GlueClient({}),
      stage: 'prod',
      location: 's3://lake/curated/Daily-Sales',
    });
    expect(result).toEqual({
      entry: {
        database: 'mlops_prod',
        table: 'daily_sales',
        location: 's3://lake/curated/Daily-Sales',
        registeredAt: 'now',
      },
      glue: 'created',
    });
    expect(databaseForStage('Staging-2')).toBe('mlops_staging_2');
    expect(tableNameFor('s3://b/x/2026data/')).toBe('_2026data');
  });
});
