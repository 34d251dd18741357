import { z } from 'zod';
import type { TrainingContext } from '../../layers/pipelines/training.ts';
import type { PreparedData } from '../../layers/pipelines/training-data.ts';
import { readS3Object } from '../../layers/pipelines/training-data.ts';
import { logTrainingRun } from '../../layers/pipelines/training-record.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { recordDeps } from './deps.ts';
import { ContextSchema, EvaluationSchema, PreparedDataSchema } from './schemas.ts';

const EventSchema = z.object({
  context: ContextSchema,
  data: PreparedDataSchema,
  evaluation: EvaluationSchema,
});

/** Task: the tracking run of the training, with the model package as its artifact. */
export function createHandler(env: Env) {
  const deps = recordDeps(env);
  return async (event: unknown) => {
    const input = validate(EventSchema, event);
    const bytes = await readS3Object(deps.s3, input.evaluation.packageUri);
    return logTrainingRun(deps, {
      context: input.context as unknown as TrainingContext,
      data: input.data as unknown as PreparedData,
      evaluation: input.evaluation,
      package: bytes,
    });
  };
}

export const handler = lazyTask(createHandler);
