/**
 * Local SageMaker endpoint definitions, kept in the platform's `platform` table so they survive
 * restarts of a platform started on a data directory.
 *
 * Item layout (one item per endpoint):
 *
 *   pk = "ENDPOINT#<name>"   sk = "ENDPOINT"
 *   gsi1pk = "ENDPOINTS"     gsi1sk = <name>          (listing in name order)
 *   name, modelDataUrl (s3://bucket/key of a model.tar.gz, like CreateModel's ModelDataUrl),
 *   createdAt, updatedAt (ISO 8601), version (incremented by every update)
 *
 * Guarantees: `create` is atomic and fails with AlreadyExistsError if the name is taken; `update`
 * and `delete` fail with NotFoundError if it is not.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError, NotFoundError } from '../../layers/runtime/errors.ts';

export interface LocalEndpoint {
  readonly name: string;
  readonly modelDataUrl: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

const key = (name: string) => ({ pk: `ENDPOINT#${name}`, sk: 'ENDPOINT' });

export class LocalEndpointStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(name: string, modelDataUrl: string, now = new Date()): Promise<LocalEndpoint> {
    const endpoint: LocalEndpoint = {
      name,
      modelDataUrl,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
    };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key(name), gsi1pk: 'ENDPOINTS', gsi1sk: name, ...endpoint },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AlreadyExistsError(`Cannot create already existing endpoint "${name}".`, { cause: error });
      }
      throw error;
    }
    return endpoint;
  }

  async update(name: string, modelDataUrl: string, now = new Date()): Promise<LocalEndpoint> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(name),
          UpdateExpression: 'SET modelDataUrl = :url, updatedAt = :now, version = version + :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':url': modelDataUrl, ':now': now.toISOString(), ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toEndpoint(result.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw notFound(name, error);
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: key(name),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw notFound(name, error);
      throw error;
    }
  }

  async get(name: string): Promise<LocalEndpoint | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.table, Key: key(name) }));
    return result.Item ? toEndpoint(result.Item) : undefined;
  }

  async list(): Promise<LocalEndpoint[]> {
    const out: LocalEndpoint[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': 'ENDPOINTS' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) out.push(toEndpoint(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

function notFound(name: string, cause: unknown): NotFoundError {
  return new NotFoundError(`Could not find endpoint "${name}".`, { cause });
}

function toEndpoint(item: Record<string, unknown>): LocalEndpoint {
  return {
    name: String(item.name),
    modelDataUrl: String(item.modelDataUrl),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    version: Number(item.version),
  };
}
