import { z } from 'zod';
import { splitStep, type TrainingContext } from '../../layers/pipelines/training.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { trainingDeps } from './deps.ts';
import { ContextSchema } from './schemas.ts';

const EventSchema = z.object({ context: ContextSchema });

/** Task: the train / validation / holdout CSV channels. */
export function createHandler(env: Env) {
  const deps = trainingDeps(env);
  return async (event: unknown) => {
    const { context } = validate(EventSchema, event);
    return splitStep(deps, context as unknown as TrainingContext);
  };
}

export const handler = lazyTask(createHandler);
