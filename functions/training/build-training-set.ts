import { z } from 'zod';
import { buildTrainingSetStep, type TrainingRequest } from '../../layers/pipelines/training.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask, trainingDeps } from './deps.ts';
import { TrainingRequestSchema } from './schemas.ts';

const EventSchema = z.object({
  request: TrainingRequestSchema,
  executionId: z.string().min(1),
  startedAt: z.string().min(1),
});

/** Task: the point-in-time training set, and the names the run will use. */
export function createHandler(env: Env) {
  const deps = trainingDeps(env);
  return async (event: unknown) => {
    const { request, executionId, startedAt } = validate(EventSchema, event);
    return buildTrainingSetStep(deps, { ...(request as TrainingRequest), executionId, startedAt });
  };
}

export const handler = lazyTask(createHandler);
