/**
 * The kit's catalog of lakehouse tables: which table name (`<database>.<table>`, the same names as
 * in the Glue Data Catalog) points at which location. Kept in the `platform` DynamoDB table so the
 * local `mlops query` and the Glue registration agree on names.
 *
 * Item layout (platform table): `pk = "LAKEHOUSE#TABLE"`, `sk = "<database>.<table>"`, plus
 * `database`, `table`, `location`, `registeredAt` (ISO). One partition: the catalog is small.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidParameterError } from '../runtime/errors.ts';

export interface CatalogEntry {
  readonly database: string;
  readonly table: string;
  /** `s3://bucket/prefix`, no trailing slash. */
  readonly location: string;
  readonly registeredAt: string;
}

/** Where the catalog is kept. `register` replaces an entry of the same name. */
export interface CatalogStore {
  register(entry: Omit<CatalogEntry, 'registeredAt'>): Promise<CatalogEntry>;
  list(): Promise<CatalogEntry[]>;
}

const PK = 'LAKEHOUSE#TABLE';
const NAME = /^[a-z_][a-z0-9_]{0,254}$/;

/** The Glue database of a stage: `mlops_<stage>` (Glue names are lower case). */
export function databaseForStage(stage: string): string {
  return `mlops_${stage.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

/** A Glue-safe table name from a location's last path segment (`raw/Orders-2026` → `orders_2026`). */
export function tableNameFor(location: string): string {
  const last = location.replace(/\/+$/, '').split('/').at(-1) ?? '';
  const name = last
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/^(\d)/, '_$1');
  if (!NAME.test(name)) throw new InvalidParameterError(`cannot derive a table name from ${location}`);
  return name;
}

/** Checks a database or table name against Glue's rules. */
export function assertCatalogName(kind: 'database' | 'table', name: string): void {
  if (!NAME.test(name)) {
    throw new InvalidParameterError(`${kind} name must be lower case letters, digits and _, got "${name}"`);
  }
}

export class DynamoDbCatalogStore implements CatalogStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async register(entry: Omit<CatalogEntry, 'registeredAt'>): Promise<CatalogEntry> {
    assertCatalogName('database', entry.database);
    assertCatalogName('table', entry.table);
    const full: CatalogEntry = { ...entry, registeredAt: new Date().toISOString() };
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: PK, sk: `${entry.database}.${entry.table}`, ...full },
      }),
    );
    return full;
  }

  async list(): Promise<CatalogEntry[]> {
    const out: CatalogEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': PK },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        out.push({
          database: item.database as string,
          table: item.table as string,
          location: item.location as string,
          registeredAt: item.registeredAt as string,
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
