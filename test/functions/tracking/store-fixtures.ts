/**
 * Fixtures for the tests of the tracking store against the local platform's DynamoDB: a run's info
 * and a store on the platform's tracking table, as each function instance would hold one.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTrackingStore } from '../../../functions/tracking/dynamo-store.ts';
import type { RunInfo } from '../../../functions/tracking/model.ts';
import type { LocalPlatform } from '../../../infra/local/platform.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { requireTable } from '../../../layers/runtime/config.ts';

/** An active, running run of experiment `0` (override what a test cares about). */
export function runInfo(runId: string, overrides: Partial<RunInfo> = {}): RunInfo {
  return {
    runId,
    experimentId: '0',
    runName: 'r',
    userId: '',
    status: 'RUNNING',
    startTime: 1,
    artifactUri: 'a',
    lifecycleStage: 'active',
    ...overrides,
  };
}

/** A store on the platform's tracking table, with its own DynamoDB client unless one is given. */
export function trackingStore(
  platform: LocalPlatform,
  client: DynamoDBDocumentClient = createDocumentClient(createDynamoDbClient(platform.config)),
): { store: DynamoTrackingStore; client: DynamoDBDocumentClient; tableName: string } {
  const tableName = requireTable(platform.config, 'tracking');
  return { store: new DynamoTrackingStore({ client, tableName }), client, tableName };
}
