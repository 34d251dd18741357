/**
 * The metrics tables in the catalog: each `<model>_profile_metrics` / `<model>_drift_metrics`
 * table a run writes is registered under `mlops_<stage>.<table>` (lower case, `-` → `_`), in the
 * kit's catalog (what the local `mlops query` reads) and, in AWS, in the Glue Data Catalog as a
 * native Delta table (what Athena reads). A table is registered when the catalog does not list it
 * at its location yet, so runs after the first cost one catalog read, and a registration that
 * failed (Glue unreachable) is retried by the next run; the Glue entry is written before the
 * catalog's, so a listed table is always in Glue too.
 */
import type { GlueClient } from '@aws-sdk/client-glue';
import { type CatalogStore, databaseForStage, registerTable, tableNameFor } from '../lakehouse/index.ts';

/** Makes a lakehouse table queryable by name. Guarantee: idempotent; throws when it cannot register. */
export interface TableRegistrar {
  ensureRegistered(location: string): Promise<string>;
}

export class CatalogTableRegistrar implements TableRegistrar {
  readonly #known = new Set<string>();

  constructor(
    private readonly options: {
      readonly catalog: CatalogStore;
      /** Given in AWS; undefined locally (no Glue there). */
      readonly glue?: GlueClient;
      readonly stage: string;
    },
  ) {}

  /** Registers the table at `location` unless the catalog already has it there; returns `<database>.<table>`. */
  async ensureRegistered(location: string): Promise<string> {
    const database = databaseForStage(this.options.stage);
    const table = tableNameFor(location);
    const name = `${database}.${table}`;
    if (this.#known.has(`${name} ${location}`)) return name;
    const listed = (await this.options.catalog.list()).some(
      (entry) => entry.database === database && entry.table === table && entry.location === location,
    );
    if (!listed) {
      await registerTable({
        catalog: this.options.catalog,
        ...(this.options.glue ? { glue: this.options.glue } : {}),
        stage: this.options.stage,
        location,
        table,
        database,
      });
    }
    this.#known.add(`${name} ${location}`);
    return name;
  }
}
