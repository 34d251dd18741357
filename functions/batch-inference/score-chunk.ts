import { z } from 'zod';
import { scoreChunk } from '../../layers/pipelines/batch-inference.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { batchDeps } from './deps.ts';
import { ChunkSchema, PlanSchema } from './schemas.ts';

const EventSchema = z.object({ plan: PlanSchema, chunk: ChunkSchema });

/** Task: score one chunk of the pinned input and stage its predictions. */
export function createHandler(env: Env) {
  const deps = batchDeps(env);
  return async (event: unknown) => {
    const { plan, chunk } = validate(EventSchema, event);
    return scoreChunk(deps, plan, chunk);
  };
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
