import { describe, expect, it, vi } from 'vitest';
import {
  AlreadyExistsError,
  ConfigurationError,
  InvalidParameterError,
  NotFoundError,
  ThrottledError,
} from '../../../../layers/runtime/errors.ts';
import { errorToResponse } from '../../../../layers/runtime/http/error-responder.ts';

describe('errorToResponse', () => {
  it.each([
    [new InvalidParameterError('bad'), 400, 'INVALID_PARAMETER_VALUE'],
    [new AlreadyExistsError('dup'), 400, 'RESOURCE_ALREADY_EXISTS'],
    [new NotFoundError('gone'), 404, 'RESOURCE_DOES_NOT_EXIST'],
  ])('maps %s to its MLflow status and code', (error, status, code) => {
    const response = errorToResponse(error);
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body ?? '')).toEqual({ error_code: code, message: error.message });
  });

  it('answers throttling with 429 and Retry-After', () => {
    const sdkError = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    expect(errorToResponse(sdkError)).toMatchObject({ statusCode: 429, headers: { 'Retry-After': '1' } });
    expect(errorToResponse(new ThrottledError('slow down', 3))).toMatchObject({
      statusCode: 429,
      headers: { 'Retry-After': '3' },
    });
  });

  it('hides the message of internal errors and logs them', () => {
    const log = vi.fn();
    for (const error of [new Error('db password is hunter2'), new ConfigurationError('MLOPS_X is not set')]) {
      const response = errorToResponse(error, log);
      expect(JSON.parse(response.body ?? '')).toEqual({
        error_code: 'INTERNAL_ERROR',
        message: 'Internal error',
      });
      expect(response.statusCode).toBe(500);
    }
    expect(log).toHaveBeenCalledTimes(2);
  });
});
