import { z } from 'zod';
import { recordDeployment } from '../../layers/pipelines/deployment.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { deploymentStore } from './deps.ts';
import { DeploymentPlanSchema } from './schemas.ts';

const EventSchema = z.object({
  plan: DeploymentPlanSchema,
  smoke: z.object({ rows: z.number().int() }),
});

/** Task: record the deployment in the platform table (idempotent per execution). */
export function createHandler(env: Env) {
  const store = deploymentStore(env);
  return async (event: unknown) => {
    const { plan, smoke } = validate(EventSchema, event);
    return recordDeployment(store, plan, smoke);
  };
}

let cached: ReturnType<typeof createHandler> | undefined;
export const handler = (event: unknown) => {
  cached ??= createHandler(process.env);
  return cached(event);
};
