/** dynalite with the feature store's tables, for tests that talk to DynamoDB through the real SDK. */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTables, startLocalDynamoDb } from '../../../infra/local/local-dynamodb.ts';
import { TABLES } from '../../../infra/platform/tables.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { loadRuntimeConfig } from '../../../layers/runtime/config.ts';

export interface LocalFeatureTables {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly registryTable: string;
  readonly onlineTable: string;
  close(): Promise<void>;
}

export async function startFeatureTables(): Promise<LocalFeatureTables> {
  const dynamodb = await startLocalDynamoDb({ port: 0 });
  const config = loadRuntimeConfig({
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    MLOPS_LOCAL_ACCESS_KEY_ID: 'local',
    MLOPS_LOCAL_SECRET_ACCESS_KEY: 'local',
  });
  const client = createDynamoDbClient(config);
  await ensureTables(client, [
    { name: TABLES.featureRegistry.localName, definition: TABLES.featureRegistry },
    { name: TABLES.onlineStore.localName, definition: TABLES.onlineStore },
  ]);
  return {
    client,
    documents: createDocumentClient(client),
    registryTable: TABLES.featureRegistry.localName,
    onlineTable: TABLES.onlineStore.localName,
    close: async () => {
      client.destroy();
      await dynamodb.close();
    },
  };
}
