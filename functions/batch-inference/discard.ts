import { z } from 'zod';
import { discardStaging } from '../../layers/pipelines/batch-inference.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { batchDeps } from './deps.ts';

const EventSchema = z.object({ staging: z.object({ bucket: z.string(), prefix: z.string().min(1) }) });

/** Task: remove what a failed run staged. */
export function createHandler(env: Env) {
  const deps = batchDeps(env);
  return async (event: unknown) => {
    const { staging } = validate(EventSchema, event);
    return { removed: await discardStaging(deps, { staging }) };
  };
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
