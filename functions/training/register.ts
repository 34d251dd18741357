import { z } from 'zod';
import type { TrainingContext } from '../../layers/pipelines/training.ts';
import { registerTrainedVersion } from '../../layers/pipelines/training-record.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask, recordDeps } from './deps.ts';
import { ContextSchema, EvaluationSchema, LoggedRunSchema } from './schemas.ts';

const EventSchema = z.object({
  context: ContextSchema,
  evaluation: EvaluationSchema,
  run: LoggedRunSchema,
  featureNames: z.array(z.string()).min(1),
});

/** Task: the registered model version, with lineage and metrics. */
export function createHandler(env: Env) {
  const deps = recordDeps(env);
  return async (event: unknown) => {
    const input = validate(EventSchema, event);
    return registerTrainedVersion(deps, { ...input, context: input.context as unknown as TrainingContext });
  };
}

export const handler = lazyTask(createHandler);
