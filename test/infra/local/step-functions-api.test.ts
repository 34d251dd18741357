import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { pipelineStateMachineArn } from '../../../infra/platform/pipelines.ts';
import { startAndFollow } from '../../../layers/pipelines/sfn-runner.ts';
import { clientConfig } from '../../../layers/runtime/aws-clients.ts';

let platform: LocalPlatform;
let sfn: SFNClient;

const arnOf = (pipeline: string, stage = 'local') =>
  pipelineStateMachineArn({ stage, pipeline, account: '000000000000', region: 'us-east-1' });

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  sfn = new SFNClient(clientConfig(platform.config, 'sfn'));
});

afterAll(async () => {
  sfn.destroy();
  await platform.stop();
});

describe('the local Step Functions API', () => {
  it('points the SDK at the gateway through the platform environment', () => {
    expect(platform.env.AWS_ENDPOINT_URL_SFN).toBe(platform.url);
  });

  it("runs the stage's pipeline by its state machine name and reports it as Step Functions does", async () => {
    const record = await startAndFollow(
      sfn,
      'deployment',
      arnOf('deployment'),
      { model: 'nobody', version: 1 },
      { pollMs: 10 },
    );
    expect(record).toMatchObject({
      status: 'FAILED',
      error: 'NotFoundError',
      executionId: expect.stringMatching(
        /^arn:aws:states:us-east-1:000000000000:execution:mlops-local-deployment:[0-9a-f-]{36}$/,
      ),
    });
    expect(record.cause).toContain('Model Version (name=nobody, version=1) not found');
    expect(record.events).toContainEqual(expect.objectContaining({ type: 'StateEntered', state: 'Prepare' }));
    expect(record.events.at(-1)).toMatchObject({ type: 'ExecutionFailed', error: 'NotFoundError' });
  });

  it('hands the execution name to the state machine and refuses a second execution of that name', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arnOf('deployment'),
        name: 'promote-churn-v1',
        input: JSON.stringify({ model: 'nobody', version: 1 }),
      }),
    );
    expect(started.executionArn).toBe(
      'arn:aws:states:us-east-1:000000000000:execution:mlops-local-deployment:promote-churn-v1',
    );
    expect(started.startDate).toBeInstanceOf(Date);
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: arnOf('deployment'),
          name: 'promote-churn-v1',
          input: '{}',
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    let described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    while (described.status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 10));
      described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    }
    expect(described).toMatchObject({ name: 'promote-churn-v1', status: 'FAILED', error: 'NotFoundError' });
    expect(described.stopDate).toBeInstanceOf(Date);
  });

  it('knows only the state machines of its own stage', async () => {
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf('deployment', 'prod'), input: '{}' })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arnOf('training-of-nothing'), input: '{}' })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: 'mlops-local-deployment', input: '{}' })),
    ).rejects.toBeInstanceOf(InvalidArn);
  });

  it('answers ExecutionDoesNotExist for an execution it never started', async () => {
    await expect(
      sfn.send(
        new DescribeExecutionCommand({
          executionArn: 'arn:aws:states:us-east-1:000000000000:execution:mlops-local-deployment:none',
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});
