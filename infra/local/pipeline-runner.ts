/**
 * Runs a pipeline's state-machine file locally with aws-local-stepfunctions.
 *
 * The definition is the deployed file with its placeholders filled locally (function ARNs of a
 * local account, local table and bucket names). Every Task state is routed in process:
 *
 *   Resource                              local behaviour
 *   arn:aws:states:::lambda:invoke        the task's handler (createHandler(env)) on `Payload`,
 *                                         answered in Step Functions' envelope {StatusCode, Payload}
 *   arn:aws:lambda:…:function:…           the task's handler on the state input
 *   any other (service integrations)      the registered local integration for that Resource
 *
 * A failing task surfaces as Step Functions reports a Lambda error: `Error` is the error class name
 * (so Retry/Catch match the same names as in AWS) and `Cause` the JSON
 * `{"errorType","errorMessage"}`. A Resource with no local stand-in is refused before the run starts.
 */
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { ExecutionEvent, ExecutionRecord, ExecutionStatus } from '../../layers/pipelines/execution.ts';
import { BUCKETS } from '../platform/buckets.ts';
import type { PipelineDefinition, ResourcePlaceholder } from '../platform/pipelines.ts';
import { TABLES } from '../platform/tables.ts';
import { type AslDefinition, allStates, loadDefinition } from './asl.ts';
import { LOCAL_REGION } from './local-env.ts';

/** A task function's handler: the event in, the result out (errors thrown as typed classes). */
export type TaskHandler = (event: unknown) => Promise<unknown>;

/** A local stand-in for a Step Functions service integration, called with the state's effective parameters. */
export type LocalIntegration = (parameters: Record<string, unknown>, state: string) => Promise<unknown>;

export interface LocalRunOptions {
  readonly name: string;
  readonly pipeline: PipelineDefinition;
  /** The local platform's environment, handed to every task function. */
  readonly env: Readonly<Record<string, string>>;
  readonly input: unknown;
  /** Local stand-ins for service integrations, by Resource ARN. */
  readonly integrations?: Readonly<Record<string, LocalIntegration>>;
  /** Task handlers already built (tests); otherwise each task's module is imported. */
  readonly taskHandlers?: Readonly<Record<string, TaskHandler>>;
  /** Called for each event as it happens. */
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** The execution's name (`$$.Execution.Name`), as StartExecution's `name`. @default a random UUID */
  readonly executionName?: string;
  /** Makes every Wait state and every retry interval instant. @default true */
  readonly skipWaits?: boolean;
}

const LOCAL_ACCOUNT = '000000000000';

/** The ARN a task function has locally. */
export function localFunctionArn(placeholder: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:mlops-local-${placeholder}`;
}

/** The local values of a pipeline's placeholders. */
export function localSubstitutions(
  pipeline: PipelineDefinition,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const placeholder of Object.keys(pipeline.tasks)) values[placeholder] = localFunctionArn(placeholder);
  for (const [placeholder, resource] of Object.entries(pipeline.resources))
    values[placeholder] = localResource(resource, env);
  return values;
}

function localResource(resource: ResourcePlaceholder, env: Readonly<Record<string, string>>): string {
  if (resource.kind === 'value') return resource.local;
  const value =
    resource.kind === 'table'
      ? env[TABLES[resource.table].envVar]
      : resource.kind === 'bucket'
        ? env[BUCKETS[resource.bucket].envVar]
        : (env.MLOPS_STAGE ?? 'local');
  if (value === undefined) throw new Error(`the local platform has no value for ${JSON.stringify(resource)}`);
  return value;
}

export async function runPipelineLocally(options: LocalRunOptions): Promise<ExecutionRecord> {
  const definition = loadDefinition(
    new URL(`../../${options.pipeline.file}`, import.meta.url).pathname,
    localSubstitutions(options.pipeline, options.env),
  );
  const handlers = await taskStateHandlers(definition, options);
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: false, checkPaths: true },
  });
  const executionId = options.executionName ?? randomUUID();
  const started = Date.now();
  const skipWaits = options.skipWaits ?? true;
  const waitStates = allStates(definition).filter(([, state]) => state.Type === 'Wait');
  const retryStates = allStates(definition).filter(([, state]) => state.Retry !== undefined);
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      ...(skipWaits
        ? {
            waitTimeOverrides: Object.fromEntries(waitStates.map(([name]) => [name, 0])),
            retryIntervalOverrides: Object.fromEntries(retryStates.map(([name]) => [name, 0])),
          }
        : {}),
    },
    context: {
      Execution: { Id: executionId, Name: executionId, StartTime: new Date(started).toISOString() },
    },
  });

  const events: ExecutionEvent[] = [];
  const record = (event: ExecutionEvent) => {
    events.push(event);
    options.onEvent?.(event);
  };
  const collecting = (async () => {
    for await (const log of execution.eventLogs) {
      const entry = log as {
        type: string;
        timestamp: number;
        state?: { name: string };
        Error?: string;
        Cause?: unknown;
      };
      if (!['StateEntered', 'StateExited', 'StateFailed', 'StateRetried', 'StateCaught'].includes(entry.type))
        continue;
      record({
        timestamp: entry.timestamp,
        type: entry.type,
        ...(entry.state ? { state: entry.state.name } : {}),
        ...(entry.Error ? { error: entry.Error } : {}),
        ...(entry.Cause !== undefined ? { cause: String(entry.Cause) } : {}),
      });
    }
  })();

  let status: ExecutionStatus = 'SUCCEEDED';
  let output: unknown;
  let error: string | undefined;
  let cause: string | undefined;
  try {
    output = await execution.result;
  } catch (failure) {
    const failed = failure as Error & { cause?: unknown };
    const name = failed.constructor?.name;
    status =
      name === 'ExecutionTimeoutError'
        ? 'TIMED_OUT'
        : name === 'ExecutionAbortedError'
          ? 'ABORTED'
          : 'FAILED';
    const inner = failed.cause as { name?: string; message?: string } | undefined;
    error = inner?.name ?? failed.name;
    cause = inner?.message ?? failed.message;
  }
  await collecting.catch(() => undefined);
  const stoppedAt = Date.now();
  record({
    timestamp: stoppedAt,
    type:
      status === 'SUCCEEDED'
        ? 'ExecutionSucceeded'
        : status === 'TIMED_OUT'
          ? 'ExecutionTimedOut'
          : status === 'ABORTED'
            ? 'ExecutionAborted'
            : 'ExecutionFailed',
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
  });
  return {
    executionId,
    pipeline: options.name,
    status,
    startedAt: new Date(started).toISOString(),
    stoppedAt: new Date(stoppedAt).toISOString(),
    input: options.input,
    ...(status === 'SUCCEEDED' ? { output } : {}),
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
    events,
  };
}

async function taskStateHandlers(
  definition: AslDefinition,
  options: LocalRunOptions,
): Promise<Record<string, (input: unknown) => Promise<unknown>>> {
  const byArn = new Map<string, string>();
  for (const placeholder of Object.keys(options.pipeline.tasks))
    byArn.set(localFunctionArn(placeholder), placeholder);
  const loaded = new Map<string, TaskHandler>();
  const task = async (placeholder: string): Promise<TaskHandler> => {
    const ready = options.taskHandlers?.[placeholder] ?? loaded.get(placeholder);
    if (ready) return ready;
    const handler = await loadTaskHandler(options.pipeline.tasks[placeholder]!.entry, options.env);
    loaded.set(placeholder, handler);
    return handler;
  };
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const resource = state.Resource ?? '';
    if (resource === 'arn:aws:states:::lambda:invoke') {
      const functionName = String(state.Parameters?.FunctionName ?? '');
      const placeholder = byArn.get(functionName.replace(/:(\$LATEST|\d+)$/, ''));
      if (!placeholder)
        throw new Error(`state "${name}" invokes ${functionName}, which is not a task of this pipeline`);
      handlers[name] = async (input) => {
        const payload = (input as { Payload?: unknown }).Payload;
        const result = await asLambdaError(() => task(placeholder).then((handler) => handler(payload)));
        return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: result ?? null };
      };
    } else if (byArn.has(resource)) {
      const placeholder = byArn.get(resource) as string;
      handlers[name] = (input) => asLambdaError(() => task(placeholder).then((handler) => handler(input)));
    } else {
      const integration = options.integrations?.[resource];
      if (!integration) throw new Error(`state "${name}" uses ${resource}, which has no local stand-in`);
      handlers[name] = (input) => integration(input as Record<string, unknown>, name);
    }
  }
  return handlers;
}

async function loadTaskHandler(entry: string, env: Readonly<Record<string, string>>): Promise<TaskHandler> {
  const module = (await import(new URL(`../../${entry}`, import.meta.url).href)) as {
    createHandler?: (env: Readonly<Record<string, string>>) => TaskHandler;
  };
  if (typeof module.createHandler !== 'function')
    throw new Error(`${entry} does not export createHandler(env)`);
  return module.createHandler(env);
}

/** Re-throws a task's failure as Lambda reports it to Step Functions: name = error type, message = JSON cause. */
async function asLambdaError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    const reported = new Error(JSON.stringify({ errorType: failure.name, errorMessage: failure.message }));
    reported.name = failure.name;
    throw reported;
  }
}
