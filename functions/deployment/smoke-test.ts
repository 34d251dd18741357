import { smokeTest } from '../../layers/pipelines/deployment.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { endpointInvoker } from './deps.ts';
import { DeploymentPlanSchema } from './schemas.ts';

/** Task: send the plan's real rows to the endpoint; SmokeTestFailedError unless each gets a finite prediction. */
export function createHandler(env: Env) {
  const invoke = endpointInvoker(env);
  return async (event: unknown) => smokeTest(invoke, validate(DeploymentPlanSchema, event));
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
