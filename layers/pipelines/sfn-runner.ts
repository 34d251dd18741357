/**
 * Running a pipeline in AWS: start the execution and follow its history until it stops, turning
 * Step Functions' history events into the same ExecutionEvents the local runner produces.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionEvent, ExecutionRecord, ExecutionStatus } from './execution.ts';

export interface FollowOptions {
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** @default 2000 */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Starts an execution and resolves with its record once it has stopped. */
export async function startAndFollow(
  client: SFNClient,
  pipeline: string,
  stateMachineArn: string,
  input: unknown,
  options: FollowOptions = {},
): Promise<ExecutionRecord> {
  const started = await client.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  const executionArn = started.executionArn as string;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const events: ExecutionEvent[] = [];
  let nextToken: string | undefined;
  for (;;) {
    // Read all new history first, then decide: events of the final poll are never lost.
    do {
      const page = await client.send(
        new GetExecutionHistoryCommand({
          executionArn,
          ...(nextToken ? { nextToken } : {}),
          maxResults: 1000,
        }),
      );
      for (const raw of page.events ?? []) {
        const event = toExecutionEvent(raw);
        if (event) {
          events.push(event);
          options.onEvent?.(event);
        }
      }
      nextToken = page.nextToken;
    } while (nextToken);
    const description = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (description.status !== 'RUNNING' && description.status !== 'PENDING_REDRIVE') {
      return {
        executionId: executionArn,
        pipeline,
        status: (description.status ?? 'FAILED') as ExecutionStatus,
        startedAt: (description.startDate ?? new Date()).toISOString(),
        ...(description.stopDate ? { stoppedAt: description.stopDate.toISOString() } : {}),
        input,
        ...(description.output ? { output: JSON.parse(description.output) } : {}),
        ...(description.error ? { error: description.error } : {}),
        ...(description.cause ? { cause: description.cause } : {}),
        events,
      };
    }
    await sleep(options.pollMs ?? 2000);
  }
}

/** The newest executions of a state machine. */
export async function listExecutions(
  client: SFNClient,
  pipeline: string,
  stateMachineArn: string,
  limit = 20,
): Promise<ExecutionRecord[]> {
  const result = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: limit }));
  return (result.executions ?? []).map((execution) => ({
    executionId: execution.executionArn as string,
    pipeline,
    status: (execution.status ?? 'RUNNING') as ExecutionStatus,
    startedAt: (execution.startDate ?? new Date(0)).toISOString(),
    ...(execution.stopDate ? { stoppedAt: execution.stopDate.toISOString() } : {}),
    input: undefined,
    events: [],
  }));
}

/** Maps one Step Functions history event to an ExecutionEvent (undefined for the ones not shown). */
export function toExecutionEvent(event: HistoryEvent): ExecutionEvent | undefined {
  const timestamp = (event.timestamp ?? new Date()).getTime();
  const type = event.type ?? '';
  if (type.endsWith('StateEntered')) {
    return { timestamp, type: 'StateEntered', ...nameOf(event.stateEnteredEventDetails?.name) };
  }
  if (type.endsWith('StateExited')) {
    return { timestamp, type: 'StateExited', ...nameOf(event.stateExitedEventDetails?.name) };
  }
  const failure =
    event.taskFailedEventDetails ??
    event.lambdaFunctionFailedEventDetails ??
    event.activityFailedEventDetails;
  if (failure) {
    return {
      timestamp,
      type: 'StateFailed',
      ...(failure.error ? { error: failure.error } : {}),
      ...(failure.cause ? { cause: failure.cause } : {}),
    };
  }
  switch (type) {
    case 'ExecutionSucceeded':
      return { timestamp, type };
    case 'ExecutionFailed':
      return {
        timestamp,
        type,
        ...(event.executionFailedEventDetails?.error
          ? { error: event.executionFailedEventDetails.error }
          : {}),
        ...(event.executionFailedEventDetails?.cause
          ? { cause: event.executionFailedEventDetails.cause }
          : {}),
      };
    case 'ExecutionTimedOut':
    case 'ExecutionAborted':
      return { timestamp, type };
    default:
      return undefined;
  }
}

function nameOf(name: string | undefined): { state?: string } {
  return name ? { state: name } : {};
}
