import { z } from 'zod';
import { athenaTrainingSetQuery } from '../../layers/features/athena-training-set.ts';
import {
  buildTrainingSetStep,
  planTrainingRun,
  type TrainingRequest,
} from '../../layers/pipelines/training.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { trainingDeps } from './deps.ts';
import { TrainingRequestSchema } from './schemas.ts';

const EventSchema = z.object({
  request: TrainingRequestSchema,
  executionId: z.string().min(1),
  startedAt: z.string().min(1),
});

/**
 * Task: the run's names and its point-in-time training set. With DuckDB (locally, by default) the
 * set is built here: `{ engine: 'duckdb', context }`. With Athena the statement is planned here and
 * run by the state machine's Athena integration, then committed by CommitTrainingSet:
 * `{ engine: 'athena', run, query, workGroup }`.
 */
export function createHandler(env: Env) {
  const deps = trainingDeps(env);
  return async (event: unknown) => {
    const { request, executionId, startedAt } = validate(EventSchema, event);
    const input = { ...(request as TrainingRequest), executionId, startedAt };
    if (!deps.athena) return { engine: 'duckdb', context: await buildTrainingSetStep(deps, input) };
    const run = await planTrainingRun(deps, input);
    const query = await athenaTrainingSetQuery(deps.athena, run.trainingSetRequest);
    return { engine: 'athena', run, query, workGroup: deps.athena.workGroup };
  };
}

export const handler = lazyTask(createHandler);
