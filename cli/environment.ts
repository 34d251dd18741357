/**
 * The environment the CLI works in. With the kit's settings in the process environment (after
 * `eval "$(npx mlops local env)"`, or in AWS with the deployed names exported) those are used; with
 * none, the CLI talks to a local platform at its defaults (`mlops local up` on port 5000).
 */
import { DEFAULT_PORT, defaultPorts, localEnv } from '../infra/local/local-env.ts';
import { BUCKETS } from '../infra/platform/buckets.ts';
import { TABLES } from '../infra/platform/tables.ts';
import { type Env, loadRuntimeConfig, type RuntimeConfig } from '../layers/runtime/config.ts';

/** Whether the environment names any of the kit's resources or its API. */
export function hasKitSettings(env: Env): boolean {
  return (
    env.MLOPS_API_URL !== undefined ||
    Object.values(TABLES).some((table) => env[table.envVar] !== undefined) ||
    Object.values(BUCKETS).some((bucket) => env[bucket.envVar] !== undefined)
  );
}

/** The environment map the CLI's commands use. */
export function cliEnv(env: Env = process.env): Readonly<Record<string, string | undefined>> {
  return hasKitSettings(env) ? env : { ...env, ...localEnv(defaultPorts(DEFAULT_PORT)) };
}

/** The runtime configuration the CLI's commands use. */
export function cliConfig(env: Env = process.env): RuntimeConfig {
  return loadRuntimeConfig(cliEnv(env));
}
