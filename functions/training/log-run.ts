import { GetObjectCommand } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { TrainingContext } from '../../layers/pipelines/training.ts';
import type { PreparedData } from '../../layers/pipelines/training-data.ts';
import { parseS3 } from '../../layers/pipelines/training-data.ts';
import { logTrainingRun } from '../../layers/pipelines/training-record.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask, recordDeps } from './deps.ts';
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
    const { bucket, key } = parseS3(input.evaluation.packageUri);
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await (
      object.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    return logTrainingRun(deps, {
      context: input.context as unknown as TrainingContext,
      data: input.data as unknown as PreparedData,
      evaluation: input.evaluation,
      package: bytes,
    });
  };
}

export const handler = lazyTask(createHandler);
