import type { Env } from './config.ts';

/**
 * A Step Functions task's Lambda entry point: the handler is built from the process environment on
 * the first event (not at import, so a module can be loaded without its settings) and reused.
 */
export function lazyTask<T>(
  create: (env: Env) => (event: unknown) => Promise<T>,
): (event: unknown) => Promise<T> {
  let cached: ((event: unknown) => Promise<T>) | undefined;
  return (event) => {
    cached ??= create(process.env);
    return cached(event);
  };
}
