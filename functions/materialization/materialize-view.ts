import { materializePlannedView } from '../../layers/pipelines/materialization.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { materializationDeps } from './deps.ts';
import { PlannedViewSchema } from './schemas.ts';

/** Task: materialize one feature view version incrementally into the online store. */
export function createHandler(env: Env) {
  const deps = materializationDeps(env);
  return async (event: unknown) => materializePlannedView(deps, validate(PlannedViewSchema, event));
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
