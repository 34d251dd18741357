import { z } from 'zod';
import { commitPredictions } from '../../layers/pipelines/batch-inference.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { batchDeps } from './deps.ts';
import { ChunkResultSchema, PlanSchema } from './schemas.ts';

const EventSchema = z.object({ plan: PlanSchema, results: z.array(ChunkResultSchema) });

/** Task: commit every staged prediction to the predictions table in one idempotent commit. */
export function createHandler(env: Env) {
  const deps = batchDeps(env);
  return async (event: unknown) => {
    const { plan, results } = validate(EventSchema, event);
    return commitPredictions(deps, plan, results);
  };
}

let cached: ReturnType<typeof createHandler> | undefined;
export const handler = (event: unknown) => {
  cached ??= createHandler(process.env);
  return cached(event);
};
