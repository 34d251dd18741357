import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { endpointSmokeTest, parsePredictions } from '../../../scripts/promotion/smoke-test.ts';

const runtime = mockClient(SageMakerRuntimeClient);
afterAll(() => runtime.restore());

describe('parsePredictions', () => {
  it('reads the XGBoost container JSON, plain arrays and CSV', () => {
    expect(parsePredictions('{"predictions":[{"score":0.25},{"score":1}]}')).toEqual([0.25, 1]);
    expect(parsePredictions('[0.5, [0.75, 0.25]]')).toEqual([0.5, 0.75]);
    expect(parsePredictions('0.1\n0.2\n')).toEqual([0.1, 0.2]);
  });
});

describe('endpointSmokeTest', () => {
  it('fails on a prediction that is not a number, naming it', async () => {
    runtime
      .on(InvokeEndpointCommand)
      .resolves({ Body: new TextEncoder().encode('{"predictions":[{"score":0.1},{}]}') as never });
    expect(
      await endpointSmokeTest(new SageMakerRuntimeClient({ region: 'eu-west-1' })).run('e', '1,2\n3,4'),
    ).toEqual({
      passed: false,
      rows: 2,
      predictions: [0.1, Number.NaN],
      reason: 'prediction 2 is not a number',
    });
  });

  it('fails with the endpoint error when the invocation is refused', async () => {
    runtime
      .on(InvokeEndpointCommand)
      .rejects(Object.assign(new Error('Endpoint e not found.'), { name: 'ValidationError' }));
    const result = await endpointSmokeTest(new SageMakerRuntimeClient({ region: 'eu-west-1' })).run(
      'e',
      '1,2',
    );
    expect(result).toMatchObject({ passed: false, reason: 'e: ValidationError: Endpoint e not found.' });
  });
});
