import { z } from 'zod';
import type { TrainingContext } from '../../layers/pipelines/training.ts';
import { promoteVersion } from '../../layers/pipelines/training-record.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { recordDeps } from './deps.ts';
import { ContextSchema } from './schemas.ts';

const EventSchema = z.object({ context: ContextSchema, version: z.number().int().positive() });

/** Task: the promotion alias (`challenger`) onto the new version. */
export function createHandler(env: Env) {
  const deps = recordDeps(env);
  return async (event: unknown) => {
    const input = validate(EventSchema, event);
    return promoteVersion(deps, { ...input, context: input.context as unknown as TrainingContext });
  };
}

export const handler = lazyTask(createHandler);
