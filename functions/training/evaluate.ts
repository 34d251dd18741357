import { z } from 'zod';
import { evaluateStep, type TrainingContext } from '../../layers/pipelines/training.ts';
import type { PreparedData } from '../../layers/pipelines/training-data.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { trainingDeps } from './deps.ts';
import { ContextSchema, PreparedDataSchema } from './schemas.ts';

const EventSchema = z.object({
  context: ContextSchema,
  data: PreparedDataSchema,
  modelArtifacts: z.string().startsWith('s3://'),
});

/** Task: holdout metrics and the kit's model package. */
export function createHandler(env: Env) {
  const deps = trainingDeps(env);
  return async (event: unknown) => {
    const input = validate(EventSchema, event);
    return evaluateStep(deps, {
      context: input.context as unknown as TrainingContext,
      data: input.data as unknown as PreparedData,
      modelArtifacts: input.modelArtifacts,
    });
  };
}

export const handler = lazyTask(createHandler);
