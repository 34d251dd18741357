/**
 * Registration of kit tables in the AWS Glue Data Catalog as native Delta tables, which Athena
 * (engine v3) reads straight from the Delta log: only `LOCATION` and `table_type=DELTA` are given;
 * Athena takes the schema and partitions from `_delta_log/`. An existing entry is updated in place.
 * Glue exceptions are translated here (AlreadyExists → update).
 */
import {
  AlreadyExistsException,
  CreateTableCommand,
  EntityNotFoundException,
  GetDatabaseCommand,
  type GlueClient,
  type TableInput,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { NotFoundError } from '../runtime/errors.ts';
import { assertCatalogName } from './catalog.ts';

export interface GlueRegistration {
  readonly database: string;
  readonly table: string;
  /** `s3://bucket/prefix` of the Delta table. */
  readonly location: string;
  readonly description?: string;
}

/** The Glue TableInput of a native Delta table. */
export function deltaTableInput(registration: GlueRegistration): TableInput {
  return {
    Name: registration.table,
    ...(registration.description ? { Description: registration.description } : {}),
    TableType: 'EXTERNAL_TABLE',
    Parameters: { table_type: 'DELTA', EXTERNAL: 'TRUE', 'mlops:managed': 'true' },
    StorageDescriptor: { Location: `${registration.location.replace(/\/+$/, '')}/` },
  };
}

/** Creates or updates the Glue table for a kit table. Throws NotFoundError when the database is missing. */
export async function registerInGlue(
  glue: GlueClient,
  registration: GlueRegistration,
): Promise<'created' | 'updated'> {
  assertCatalogName('database', registration.database);
  assertCatalogName('table', registration.table);
  try {
    await glue.send(new GetDatabaseCommand({ Name: registration.database }));
  } catch (error) {
    if (error instanceof EntityNotFoundException || (error as Error).name === 'EntityNotFoundException') {
      throw new NotFoundError(
        `Glue database ${registration.database} does not exist (deploy the analytics stack first)`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  const input = deltaTableInput(registration);
  try {
    await glue.send(new CreateTableCommand({ DatabaseName: registration.database, TableInput: input }));
    return 'created';
  } catch (error) {
    if (!(error instanceof AlreadyExistsException) && (error as Error).name !== 'AlreadyExistsException')
      throw error;
  }
  await glue.send(new UpdateTableCommand({ DatabaseName: registration.database, TableInput: input }));
  return 'updated';
}
