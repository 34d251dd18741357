import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition, type TableId } from '../platform/tables.ts';

export interface PlatformTablesProps {
  /** Key that encrypts every table. */
  readonly encryptionKey: IKey;
}

/**
 * The DynamoDB tables of `infra/platform/tables.ts`: on-demand, encrypted with the platform key,
 * point-in-time recovery on, deletion protection on, retained when the stack is deleted.
 */
export class PlatformTables extends Construct {
  readonly tables: Readonly<Record<TableId, dynamodb.ITable>>;

  constructor(scope: Construct, id: string, props: PlatformTablesProps) {
    super(scope, id);
    this.tables = Object.fromEntries(
      Object.entries(TABLES).map(([tableId, definition]) => [
        tableId,
        this.#table(definition, props.encryptionKey),
      ]),
    ) as unknown as Record<TableId, dynamodb.ITable>;
  }

  #table(definition: TableDefinition, key: IKey): dynamodb.Table {
    const attribute = (a: { name: string; type: 'S' | 'N' | 'B' }): dynamodb.Attribute => ({
      name: a.name,
      type: {
        S: dynamodb.AttributeType.STRING,
        N: dynamodb.AttributeType.NUMBER,
        B: dynamodb.AttributeType.BINARY,
      }[a.type],
    });
    const table = new dynamodb.Table(this, definition.logicalId, {
      partitionKey: attribute(definition.partitionKey),
      ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
    });
    for (const index of definition.globalIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    (table.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(definition.logicalId);
    return table;
  }
}
