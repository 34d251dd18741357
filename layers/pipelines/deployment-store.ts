/**
 * Where deployments are recorded: the `platform` table.
 *
 * Item layout (one item per successful deployment):
 *
 *   pk = "DEPLOYMENT#<endpoint>"   sk = "AT#<execution start>#<execution id>"
 *   gsi1pk = "DEPLOYMENTS"         gsi1sk = "<deployedAt>#<endpoint>"      (every deployment, in time order)
 *   endpointName, executionId, startedAt, deployedAt, model, version, modelDataUrl,
 *   endpointConfigName, serverless, smokeRows
 *
 * Guarantees: `put` is idempotent per execution — a retried record step finds the item it wrote
 * and returns it unchanged; `history` lists an endpoint's deployments newest first.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

export interface DeploymentRecord {
  readonly endpointName: string;
  readonly executionId: string;
  readonly startedAt: string;
  readonly deployedAt: string;
  readonly model: string;
  readonly version: number;
  readonly modelDataUrl: string;
  readonly endpointConfigName: string;
  readonly serverless: boolean;
  readonly smokeRows: number;
}

export interface DeploymentStore {
  put(record: DeploymentRecord): Promise<DeploymentRecord>;
  /** An endpoint's deployments, newest first. */
  history(endpointName: string): Promise<DeploymentRecord[]>;
}

const keyOf = (record: Pick<DeploymentRecord, 'endpointName' | 'startedAt' | 'executionId'>) => ({
  pk: `DEPLOYMENT#${record.endpointName}`,
  sk: `AT#${record.startedAt}#${record.executionId}`,
});

export class DynamoDbDeploymentStore implements DeploymentStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(record: DeploymentRecord): Promise<DeploymentRecord> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...keyOf(record),
            gsi1pk: 'DEPLOYMENTS',
            gsi1sk: `${record.deployedAt}#${record.endpointName}`,
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.client.send(
        new GetCommand({ TableName: this.table, Key: keyOf(record), ConsistentRead: true }),
      );
      return toRecord(existing.Item ?? {});
    }
  }

  async history(endpointName: string): Promise<DeploymentRecord[]> {
    const out: DeploymentRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :at)',
          ExpressionAttributeValues: { ':pk': `DEPLOYMENT#${endpointName}`, ':at': 'AT#' },
          ScanIndexForward: false,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) out.push(toRecord(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

function toRecord(item: Record<string, unknown>): DeploymentRecord {
  return {
    endpointName: String(item.endpointName),
    executionId: String(item.executionId),
    startedAt: String(item.startedAt),
    deployedAt: String(item.deployedAt),
    model: String(item.model),
    version: Number(item.version),
    modelDataUrl: String(item.modelDataUrl),
    endpointConfigName: String(item.endpointConfigName),
    serverless: Boolean(item.serverless),
    smokeRows: Number(item.smokeRows),
  };
}
