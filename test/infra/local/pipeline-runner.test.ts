import { describe, expect, it } from 'vitest';
import { localEnv } from '../../../infra/local/local-env.ts';
import {
  localFunctionArn,
  localSubstitutions,
  runPipelineLocally,
} from '../../../infra/local/pipeline-runner.ts';
import type { PipelineDefinition } from '../../../infra/platform/pipelines.ts';
import { InvalidParameterError, ThrottledError } from '../../../layers/runtime/errors.ts';

const pipeline: PipelineDefinition = {
  logicalId: 'SamplePipeline',
  file: 'test/fixtures/state-machines/sample.asl.json',
  description: 'sample',
  tasks: {
    PrepareFunction: { entry: 'unused', description: 'prepare', tables: {}, buckets: {} },
    ScoreFunction: { entry: 'unused', description: 'score', tables: {}, buckets: {} },
  },
  resources: { StateTable: { kind: 'table', table: 'platform' } },
};
const env = localEnv({ gateway: 5000, dynamodb: 5001, s3: 5002 });

function run(prepare: (event: unknown) => Promise<unknown>, puts: unknown[] = []) {
  return runPipelineLocally({
    name: 'sample',
    pipeline,
    env,
    input: { n: 3 },
    taskHandlers: {
      PrepareFunction: prepare,
      ScoreFunction: async (item) => ({ score: (item as number) * 10 }),
    },
    integrations: {
      'arn:aws:states:::dynamodb:putItem': async (parameters) => {
        puts.push(parameters);
        return {};
      },
    },
  });
}

describe('localSubstitutions', () => {
  it('fills task ARNs and resource names from the local environment', () => {
    expect(localSubstitutions(pipeline, env)).toEqual({
      PrepareFunction: localFunctionArn('PrepareFunction'),
      ScoreFunction: localFunctionArn('ScoreFunction'),
      StateTable: 'mlops_platform',
    });
  });
});

describe('runPipelineLocally', () => {
  it('runs lambda:invoke, direct-ARN Map tasks and service integrations to success', async () => {
    const puts: unknown[] = [];
    const record = await run(async (event) => ({ items: [1, 2, (event as { n: number }).n] }), puts);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({
      items: [1, 2, 3],
      scores: [{ score: 10 }, { score: 20 }, { score: 30 }],
    });
    expect(puts).toEqual([
      { TableName: 'mlops_platform', Item: { pk: { S: 'sample' }, sk: { S: record.executionId } } },
    ]);
    const entered = record.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    expect(entered).toEqual(expect.arrayContaining(['Prepare', 'Pause', 'Score', 'ScoreItem', 'Record']));
    expect(record.events.at(-1)?.type).toBe('ExecutionSucceeded');
  });

  it('retries a task on the error class named in Retry, without waiting', async () => {
    let calls = 0;
    const started = Date.now();
    const record = await run(async () => {
      calls += 1;
      if (calls < 3) throw new ThrottledError('slow down');
      return { items: [] };
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('routes a caught task error by its class name and ends in the Fail state with Lambda-shaped cause', async () => {
    const record = await run(async () => {
      throw new InvalidParameterError('n must be positive');
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('PipelineRejected');
    const caught = record.events.find((e) => e.type === 'StateCaught');
    expect(caught).toMatchObject({ state: 'Prepare' });
  });

  it('fails the execution with the task error when nothing catches it', async () => {
    const record = await run(async () => {
      throw new Error('disk full');
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('Error');
    expect(JSON.parse(record.cause ?? '')).toEqual({ errorType: 'Error', errorMessage: 'disk full' });
  });

  it('refuses a definition that uses a service with no local stand-in before running anything', async () => {
    let called = false;
    await expect(
      runPipelineLocally({
        name: 'sample',
        pipeline,
        env,
        input: {},
        taskHandlers: {
          PrepareFunction: async () => {
            called = true;
            return {};
          },
        },
      }),
    ).rejects.toThrow('state "Record" uses arn:aws:states:::dynamodb:putItem, which has no local stand-in');
    expect(called).toBe(false);
  });
});
