/**
 * Errors of the XGBoost layer. All are client errors (400): the model text, the input rows or the
 * training parameters given by the caller do not satisfy the contract, and the message says how.
 */
import { KitError, type KitErrorOptions } from '../runtime/errors.ts';

/** A model file that is not a usable XGBoost JSON model (bad JSON, missing or inconsistent fields). */
export class ModelFormatError extends KitError {
  override readonly name = 'ModelFormatError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_PARAMETER_VALUE', message, options);
  }
}

/** Input rows that cannot be evaluated: more columns than the model has features, or a non-numeric value. */
export class ModelInputError extends KitError {
  override readonly name = 'ModelInputError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_PARAMETER_VALUE', message, options);
  }
}

/** Training parameters or training data the trainer cannot use. */
export class TrainingParameterError extends KitError {
  override readonly name = 'TrainingParameterError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_PARAMETER_VALUE', message, options);
  }
}

/** A `model.tar.gz` that does not hold a kit model package. */
export class ModelPackageError extends KitError {
  override readonly name = 'ModelPackageError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_PARAMETER_VALUE', message, options);
  }
}
