import { z } from 'zod';
import {
  type AthenaTrainingSetQuery,
  commitAthenaTrainingSet,
} from '../../layers/features/athena-training-set.ts';
import { completeContext, type PlannedRun } from '../../layers/pipelines/training.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { ConfigurationError } from '../../layers/runtime/errors.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { trainingDeps } from './deps.ts';

const EventSchema = z.object({
  plan: z.object({
    run: z.object({ trainingSetRequest: z.object({ out: z.string() }).passthrough() }).passthrough(),
    query: z.object({ destination: z.string(), stagingKey: z.string() }).passthrough(),
  }),
});

/** Task: after Athena's UNLOAD succeeded, its staged Parquet files become the training set in one commit. */
export function createHandler(env: Env) {
  const deps = trainingDeps(env);
  return async (event: unknown) => {
    const { plan } = validate(EventSchema, event);
    if (!deps.athena)
      throw new ConfigurationError('CommitTrainingSet runs only when training sets are built on Athena');
    const run = plan.run as unknown as PlannedRun;
    const manifest = await commitAthenaTrainingSet(
      deps.athena,
      run.trainingSetRequest,
      plan.query as unknown as AthenaTrainingSetQuery,
    );
    return completeContext(deps, run, manifest);
  };
}

export const handler = lazyTask(createHandler);
