/**
 * SDK client construction from a RuntimeConfig: the one place where "local" and "cloud" differ.
 *
 * In AWS the endpoints are empty and the default credential chain applies. On the local platform
 * the config carries the stand-ins' endpoints and dummy credentials. Clients are built by the
 * adapters (handlers, CLI, local platform) and handed to the cores.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Endpoints, RuntimeConfig } from './config.ts';

interface BaseClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Region, endpoint and credentials for one service's client. */
export function clientConfig(config: RuntimeConfig, service: keyof Endpoints): BaseClientConfig {
  const endpoint = config.endpoints[service];
  return {
    region: config.region,
    ...(endpoint ? { endpoint } : {}),
    ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
  };
}

export function createS3Client(config: RuntimeConfig): S3Client {
  const local = config.endpoints.s3 !== undefined;
  return new S3Client({
    ...clientConfig(config, 's3'),
    // Stand-ins are addressed by IP and port, where virtual-hosted style cannot work.
    forcePathStyle: local,
    // The stand-ins do not need the default CRC32 request checksums; computing them costs ~30% per put.
    ...(local
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}

export function createDynamoDbClient(config: RuntimeConfig): DynamoDBClient {
  return new DynamoDBClient(clientConfig(config, 'dynamodb'));
}

/** A document client that accepts `undefined` in items (dropped) and keeps numbers as JS numbers. */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
}
