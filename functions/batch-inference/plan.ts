import { z } from 'zod';
import { planBatch } from '../../layers/pipelines/batch-inference.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { batchDeps } from './deps.ts';
import { BatchRequestSchema } from './schemas.ts';

const EventSchema = z.object({ request: BatchRequestSchema, executionId: z.string().min(1) });

/** Task: resolve the model, pin the input version, plan the chunks. */
export function createHandler(env: Env) {
  const deps = batchDeps(env);
  return async (event: unknown) => {
    const { request, executionId } = validate(EventSchema, event);
    return planBatch(deps, { ...request, executionId });
  };
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
