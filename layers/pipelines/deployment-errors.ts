/**
 * Errors of the deployment pipeline. Step Functions' Retry and Catch match these names, so a
 * rename is a breaking change of `state-machines/deployment.asl.json`.
 */
import { KitError, type KitErrorOptions } from '../runtime/errors.ts';

/** The freshly deployed endpoint did not answer the smoke-test rows with one finite prediction each. */
export class SmokeTestFailedError extends KitError {
  override readonly name = 'SmokeTestFailedError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_STATE', message, options);
  }
}
