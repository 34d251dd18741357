/** The registry's errors, with MLflow's messages where MLflow has one. */
import { AlreadyExistsError, KitError, NotFoundError } from '../../layers/runtime/errors.ts';

export function modelNotFound(name: string): NotFoundError {
  return new NotFoundError(`Registered Model with name=${name} not found`);
}

export function versionNotFound(name: string, version: number | string): NotFoundError {
  return new NotFoundError(`Model Version (name=${name}, version=${version}) not found`);
}

export function modelExists(name: string): AlreadyExistsError {
  return new AlreadyExistsError(`Registered Model (name=${name}) already exists.`);
}

/**
 * A move of a protected alias that its approval rule refused. `code` is PERMISSION_DENIED (403)
 * when the caller lacks the admin scope and INVALID_STATE (400) when the version fails the rule's
 * metric check; the message names the alias and the rule.
 */
export class ApprovalRefusedError extends KitError {
  override readonly name = 'ApprovalRefusedError';
  readonly rule: string;

  constructor(code: 'PERMISSION_DENIED' | 'INVALID_STATE', message: string, rule: string) {
    super(code, message);
    this.rule = rule;
  }
}
