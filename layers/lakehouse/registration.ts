/**
 * One call that makes a kit table known under its `<database>.<table>` name: in the kit's catalog
 * (always; the local `mlops query` reads it) and, in AWS, in the Glue Data Catalog for Athena.
 */
import type { GlueClient } from '@aws-sdk/client-glue';
import { type CatalogEntry, type CatalogStore, databaseForStage, tableNameFor } from './catalog.ts';
import { registerInGlue } from './glue-catalog.ts';

export interface RegisterTableOptions {
  readonly catalog: CatalogStore;
  /** Given in AWS; undefined locally (no Glue there). */
  readonly glue?: GlueClient;
  readonly stage: string;
  readonly location: string;
  /** @default derived from the location's last segment */
  readonly table?: string;
  /** @default `mlops_<stage>` */
  readonly database?: string;
}

export interface Registration {
  readonly entry: CatalogEntry;
  readonly glue?: 'created' | 'updated';
}

export async function registerTable(options: RegisterTableOptions): Promise<Registration> {
  const database = options.database ?? databaseForStage(options.stage);
  const table = options.table ?? tableNameFor(options.location);
  const glue = options.glue
    ? await registerInGlue(options.glue, { database, table, location: options.location })
    : undefined;
  const entry = await options.catalog.register({ database, table, location: options.location });
  return { entry, ...(glue ? { glue } : {}) };
}
