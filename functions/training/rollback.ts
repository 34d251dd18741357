import { z } from 'zod';
import { rollbackTraining } from '../../layers/pipelines/training-record.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { recordDeps } from './deps.ts';

const EventSchema = z.object({ executionId: z.string().min(1), model: z.string().min(1) });

/** Task: undo what a failed run recorded (its version, its run's status). */
export function createHandler(env: Env) {
  const deps = recordDeps(env);
  return async (event: unknown) => rollbackTraining(deps, validate(EventSchema, event));
}

export const handler = lazyTask(createHandler);
