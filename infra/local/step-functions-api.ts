/**
 * The local stand-in for the Step Functions calls made against a deployed pipeline — StartExecution,
 * DescribeExecution and GetExecutionHistory — served by the local gateway at `POST /` in AWS's JSON
 * 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Action>`), so that the real
 * `@aws-sdk/client-sfn` pointed at the gateway (`AWS_ENDPOINT_URL_SFN`) works unchanged: the
 * promotion job starts the target's deployment and waits for it exactly as it does in AWS.
 *
 * A state machine ARN is found by its name, `mlops-<stage>-<pipeline>` (`pipelineStateMachineName`,
 * the same name the CDK gives it), for the platform's stage (`MLOPS_STAGE`); the account and region
 * in the ARN are not checked. An execution runs in the background with `runPipelineLocally` — the
 * same ASL file, task handlers and local integrations as `mlops pipeline run` — and is RUNNING until
 * it ends. Executions are kept in memory while the platform runs. Errors are Step Functions' own
 * (`StateMachineDoesNotExist`, `ExecutionDoesNotExist`, `ExecutionAlreadyExists`, `InvalidArn`,
 * `InvalidName`, `InvalidExecutionInput`) with status 400.
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionEvent, ExecutionRecord } from '../../layers/pipelines/execution.ts';
import type { Env } from '../../layers/runtime/config.ts';
import { PIPELINES, pipelineOfStateMachine } from '../platform/pipelines.ts';
import type { RawRequest, RawResponse } from './api-gateway-event.ts';
import type { LocalRoute } from './gateway.ts';
import { localIntegrations } from './integrations.ts';
import { runPipelineLocally } from './pipeline-runner.ts';

/** A Step Functions API error, answered as `{"__type": name, "message": …}` with status 400. */
export class LocalStepFunctionsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

interface LocalExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: number;
  record?: ExecutionRecord;
  readonly events: ExecutionEvent[];
  readonly done: Promise<void>;
}

const STATE_MACHINE_ARN = /^arn:[^:]+:states:([^:]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** The Step Functions route; `env` is read when an execution starts (the platform fills it in after start). */
export function stepFunctionsRoute(env: () => Env): LocalRoute {
  const executions = new Map<string, LocalExecution>();
  // One set of integration clients for every execution (the platform's environment never changes).
  let integrations: ReturnType<typeof localIntegrations> | undefined;

  function startExecution(body: Record<string, unknown>): Record<string, unknown> {
    const stateMachineArn = String(body.stateMachineArn ?? '');
    const match = STATE_MACHINE_ARN.exec(stateMachineArn);
    if (!match) throw new LocalStepFunctionsError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
    const environment = env() as Record<string, string>;
    const stage = environment.MLOPS_STAGE ?? 'local';
    const pipeline = pipelineOfStateMachine(stage, match[3]!);
    if (!pipeline) {
      throw new LocalStepFunctionsError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    }
    const name = body.name === undefined ? randomUUID() : String(body.name);
    if (!EXECUTION_NAME.test(name))
      throw new LocalStepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    const executionArn = `arn:aws:states:${match[1]}:${match[2]}:execution:${match[3]}:${name}`;
    if (executions.has(executionArn)) {
      throw new LocalStepFunctionsError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    const input = body.input === undefined ? '{}' : String(body.input);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new LocalStepFunctionsError(
        'InvalidExecutionInput',
        'Invalid State Machine Execution Input: not JSON',
      );
    }
    integrations ??= localIntegrations(environment);
    const events: ExecutionEvent[] = [];
    const execution: LocalExecution = {
      executionArn,
      stateMachineArn,
      name,
      input,
      startDate: Date.now(),
      events,
      done: runPipelineLocally({
        name: pipeline,
        pipeline: PIPELINES[pipeline]!,
        env: environment,
        integrations,
        input: parsed,
        executionName: name,
        onEvent: (event) => events.push(event),
      }).then(
        (record) => {
          execution.record = record;
        },
        (error: unknown) => {
          // The runner refused the definition before running it (e.g. a Resource with no stand-in).
          execution.record = {
            executionId: name,
            pipeline,
            status: 'FAILED',
            startedAt: new Date(execution.startDate).toISOString(),
            stoppedAt: new Date().toISOString(),
            input: parsed,
            error: 'States.Runtime',
            cause: (error as Error).message,
            events: [],
          };
        },
      ),
    };
    executions.set(executionArn, execution);
    return { executionArn, startDate: execution.startDate / 1000 };
  }

  function find(body: Record<string, unknown>): LocalExecution {
    const executionArn = String(body.executionArn ?? '');
    const execution = executions.get(executionArn);
    if (!execution) {
      throw new LocalStepFunctionsError(
        'ExecutionDoesNotExist',
        `Execution Does Not Exist: '${executionArn}'`,
      );
    }
    return execution;
  }

  function describeExecution(body: Record<string, unknown>): Record<string, unknown> {
    const execution = find(body);
    const record = execution.record;
    return {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: record?.status ?? 'RUNNING',
      startDate: execution.startDate / 1000,
      input: execution.input,
      ...(record?.stoppedAt ? { stopDate: Date.parse(record.stoppedAt) / 1000 } : {}),
      ...(record?.status === 'SUCCEEDED' ? { output: JSON.stringify(record.output ?? null) } : {}),
      ...(record?.error ? { error: record.error } : {}),
      ...(record?.cause ? { cause: record.cause } : {}),
    };
  }

  /** The history as Step Functions words it, as far as the kit reads it (`toExecutionEvent`). */
  function getExecutionHistory(body: Record<string, unknown>): Record<string, unknown> {
    const execution = find(body);
    const events = execution.events.flatMap((event, index): Record<string, unknown>[] => {
      const base = { id: index + 1, timestamp: event.timestamp / 1000 };
      switch (event.type) {
        case 'StateEntered':
          return [{ ...base, type: 'TaskStateEntered', stateEnteredEventDetails: { name: event.state } }];
        case 'StateExited':
          return [{ ...base, type: 'TaskStateExited', stateExitedEventDetails: { name: event.state } }];
        case 'StateFailed':
          return [
            {
              ...base,
              type: 'TaskFailed',
              taskFailedEventDetails: { error: event.error, cause: event.cause },
            },
          ];
        case 'ExecutionSucceeded':
        case 'ExecutionTimedOut':
        case 'ExecutionAborted':
          return [{ ...base, type: event.type }];
        case 'ExecutionFailed':
          return [
            {
              ...base,
              type: event.type,
              executionFailedEventDetails: { error: event.error, cause: event.cause },
            },
          ];
        default:
          return [];
      }
    });
    return { events };
  }

  const actions: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    StartExecution: startExecution,
    DescribeExecution: describeExecution,
    GetExecutionHistory: getExecutionHistory,
  };

  return {
    kind: 'local',
    method: 'POST',
    path: '/',
    async handle(request: RawRequest): Promise<RawResponse> {
      const target = String(request.headers['x-amz-target'] ?? '');
      const action = /^AWSStepFunctions\.(\w+)$/.exec(target)?.[1];
      try {
        const run = action ? actions[action] : undefined;
        if (!run)
          throw new LocalStepFunctionsError('UnknownOperationException', `Unknown operation ${target}`);
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(request.body.toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          throw new LocalStepFunctionsError('SerializationException', 'the request body is not JSON');
        }
        return answer(200, run(body));
      } catch (error) {
        if (!(error instanceof LocalStepFunctionsError)) throw error;
        return answer(400, { __type: error.type, message: error.message });
      }
    },
  };
}

function answer(statusCode: number, body: unknown): RawResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: Buffer.from(JSON.stringify(body)),
  };
}
