import { planMaterialization } from '../../layers/pipelines/materialization.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { materializationDeps } from './deps.ts';
import { MaterializationRequestSchema } from './schemas.ts';

/** Task: the feature view versions this run materializes (unknown names fail here). */
export function createHandler(env: Env) {
  const deps = materializationDeps(env);
  return async (event: unknown) => {
    const request = validate(MaterializationRequestSchema, event);
    return planMaterialization(deps, {
      ...(request.views ? { views: request.views } : {}),
      ...(request.service ? { service: request.service } : {}),
      ...(request.serviceVersion ? { serviceVersion: request.serviceVersion } : {}),
      ...(request.mode ? { mode: request.mode } : {}),
    });
  };
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
