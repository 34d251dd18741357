import { z } from 'zod';
import { prepareDeployment } from '../../layers/pipelines/deployment.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { prepareDeps } from './deps.ts';
import { DeploymentRequestSchema } from './schemas.ts';

const EventSchema = z.object({
  request: DeploymentRequestSchema,
  executionId: z.string().min(1),
  startedAt: z.string().min(1),
});

/** Task: resolve the version, check its package, name what will be created, read the smoke rows. */
export function createHandler(env: Env) {
  const deps = prepareDeps(env);
  return async (event: unknown) => {
    const { request, executionId, startedAt } = validate(EventSchema, event);
    return prepareDeployment(deps, {
      ...(request as z.infer<typeof DeploymentRequestSchema>),
      executionId,
      startedAt,
    });
  };
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
