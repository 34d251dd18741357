import { z } from 'zod';
import { recordDeployment } from '../../layers/pipelines/deployment.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { registryDepsFromEnv, registryServices } from '../registry/handler.ts';
import { deploymentStore } from './deps.ts';
import { DeploymentPlanSchema } from './schemas.ts';

const EventSchema = z.object({
  plan: DeploymentPlanSchema,
  smoke: z.object({ rows: z.number().int() }),
});

/** The registry tag that tells feature-aware scoring which endpoint serves a version. */
export const SERVING_ENDPOINT_TAG = 'mlops.serving.endpoint';

/**
 * Task: record the deployment in the platform table (idempotent per execution) and tag the version
 * with the endpoint that now serves it.
 */
export function createHandler(env: Env) {
  const store = deploymentStore(env);
  const { versions } = registryServices(registryDepsFromEnv(env));
  return async (event: unknown) => {
    const { plan, smoke } = validate(EventSchema, event);
    const record = await recordDeployment(store, plan, smoke);
    await versions.setTag(
      { id: 'pipeline:deployment', scopes: ['write'] },
      plan.model,
      String(plan.version),
      SERVING_ENDPOINT_TAG,
      plan.endpointName,
    );
    return record;
  };
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
