import { GlueClient } from '@aws-sdk/client-glue';
import { z } from 'zod';
import { DynamoDbCatalogStore, registerTable } from '../../layers/lakehouse/index.ts';
import { commitPredictions } from '../../layers/pipelines/batch-inference.ts';
import { clientConfig } from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireTable } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { batchDeps } from './deps.ts';
import { ChunkResultSchema, PlanSchema } from './schemas.ts';

const EventSchema = z.object({ plan: PlanSchema, results: z.array(ChunkResultSchema) });

/**
 * Task: commit every staged prediction to the predictions table in one idempotent commit, then make
 * the table queryable under `mlops_<stage>.<table>` (the kit's catalog; in AWS also Glue, for Athena).
 */
export function createHandler(env: Env) {
  const deps = batchDeps(env);
  const config = loadRuntimeConfig(env);
  const catalog = new DynamoDbCatalogStore(deps.lake.dynamodb, requireTable(config, 'platform'));
  const glue = config.endpoints.s3 === undefined ? new GlueClient(clientConfig(config, 'glue')) : undefined;
  return async (event: unknown) => {
    const { plan, results } = validate(EventSchema, event);
    const committed = await commitPredictions(deps, plan, results);
    const registration = await registerTable({
      catalog,
      ...(glue ? { glue } : {}),
      stage: config.stage,
      location: committed.table,
    });
    return { ...committed, queryAs: `${registration.entry.database}.${registration.entry.table}` };
  };
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
