/**
 * Run lookup for other capabilities (the model registry's lineage, pipelines): read a run of the
 * tracking store by id without going through HTTP. The caller's function must declare read access
 * to the `tracking` table in infra/platform/functions.ts.
 */
import { createDocumentClient, createDynamoDbClient } from '../../layers/runtime/aws-clients.ts';
import { type RuntimeConfig, requireTable } from '../../layers/runtime/config.ts';
import { DynamoTrackingStore } from './dynamo-store.ts';
import type { Run } from './model.ts';
import type { TrackingStore } from './store.ts';

export type { Run, RunInfo } from './model.ts';
export type { TrackingStore } from './store.ts';

/** The tracking store of a deployment (or of the local platform), from its runtime configuration. */
export function createTrackingStore(config: RuntimeConfig): TrackingStore {
  return new DynamoTrackingStore({
    client: createDocumentClient(createDynamoDbClient(config)),
    tableName: requireTable(config, 'tracking'),
  });
}

const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;

/** The run with this id (active or deleted), or undefined when there is none. Strongly consistent. */
export async function getRun(store: TrackingStore, runId: string): Promise<Run | undefined> {
  if (!RUN_ID.test(runId)) return undefined;
  return store.getRun(runId);
}
