import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { startAndFollow } from '../../../layers/pipelines/sfn-runner.ts';

describe('startAndFollow', () => {
  it('starts the execution, streams its history across polls and returns the final record', async () => {
    const sfn = mockClient(SFNClient);
    const arn = 'arn:aws:states:eu-west-1:111111111111:execution:training:x';
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: new Date(0) });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [
          { id: 1, type: 'ExecutionStarted', timestamp: new Date(1000) },
          {
            id: 2,
            type: 'TaskStateEntered',
            timestamp: new Date(1001),
            stateEnteredEventDetails: { name: 'Train' },
          },
        ],
        nextToken: 't',
      })
      .resolvesOnce({ events: [] })
      .resolvesOnce({
        events: [
          {
            id: 3,
            type: 'TaskFailed',
            timestamp: new Date(1500),
            taskFailedEventDetails: {
              resourceType: 'sagemaker',
              resource: 'createTrainingJob.sync',
              error: 'ModelError',
              cause: 'bad',
            },
          },
          {
            id: 4,
            type: 'ExecutionFailed',
            timestamp: new Date(1600),
            executionFailedEventDetails: { error: 'ModelError', cause: 'bad' },
          },
        ],
      });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING', startDate: new Date(1000), executionArn: arn, stateMachineArn: 's' })
      .resolvesOnce({
        status: 'FAILED',
        startDate: new Date(1000),
        stopDate: new Date(1600),
        error: 'ModelError',
        cause: 'bad',
        executionArn: arn,
        stateMachineArn: 's',
      });
    const seen: string[] = [];
    const record = await startAndFollow(
      sfn as unknown as SFNClient,
      'training',
      's',
      { a: 1 },
      {
        onEvent: (event) => seen.push(`${event.type}:${event.state ?? event.error ?? ''}`),
        sleep: async () => undefined,
      },
    );
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: 's',
      input: '{"a":1}',
    });
    expect(seen).toEqual(['StateEntered:Train', 'StateFailed:ModelError', 'ExecutionFailed:ModelError']);
    expect(record).toMatchObject({
      status: 'FAILED',
      error: 'ModelError',
      cause: 'bad',
      stoppedAt: new Date(1600).toISOString(),
    });
    sfn.restore();
  });
});
