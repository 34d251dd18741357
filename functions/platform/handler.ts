import { type Env, loadRuntimeConfig } from '../../layers/runtime/config.ts';
import { jsonResponse } from '../../layers/runtime/http/responses.ts';
import { httpFunction, lazyHandler } from '../../layers/runtime/http/router.ts';
import type { HttpHandler } from '../../layers/runtime/http/types.ts';
import { describePlatform } from './platform-info.ts';

/** Builds the platform function from an environment map (Lambda's, or the local platform's). */
export function createHandler(env: Env): HttpHandler {
  const config = loadRuntimeConfig(env);
  return httpFunction({
    'GET /api/2.0/mlops/platform/info': async () => jsonResponse(describePlatform(config)),
  });
}

export const handler = lazyHandler(() => createHandler(process.env));
