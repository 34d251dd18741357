/**
 * The target stage's deployment pipeline as a promotion job sees it: start one execution for a
 * model version and wait until it ends. Implemented over Step Functions (the same client works
 * against AWS and any Step Functions endpoint).
 */
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/** How the target serves the model: the stage's `endpointType`, or the workflow's choice. */
export type EndpointType = 'serverless' | 'instance';

/** What the promotion asks of the deployment besides the version (the stage's endpoint settings). */
export interface DeploymentOptions {
  readonly endpointType: EndpointType;
  /** Instance endpoints only. */
  readonly instanceType?: string;
  /** Instance endpoints only. @default the pipeline's (1) */
  readonly instanceCount?: number;
  /** Instance endpoints only: the CloudWatch alarms that roll a blue/green update back. */
  readonly rollbackAlarms?: readonly string[];
  /** Lakehouse table of the target stage the pipeline's smoke-test rows come from. @default the version's training set */
  readonly smokeTable?: string;
}

export interface DeploymentRequest extends Partial<DeploymentOptions> {
  readonly model: string;
  readonly version: string;
}

/** The deployment pipeline's input (`functions/deployment/schemas.ts`) for a request. */
export function deploymentInput(request: DeploymentRequest): Record<string, unknown> {
  return {
    model: request.model,
    version: request.version,
    ...(request.endpointType ? { endpointType: request.endpointType } : {}),
    ...(request.endpointType === 'instance'
      ? {
          ...(request.instanceType ? { instanceType: request.instanceType } : {}),
          ...(request.instanceCount ? { instanceCount: request.instanceCount } : {}),
          ...(request.rollbackAlarms ? { rollbackAlarms: [...request.rollbackAlarms] } : {}),
        }
      : {}),
    ...(request.smokeTable ? { smokeTable: request.smokeTable } : {}),
  };
}

export interface DeploymentOutcome {
  readonly executionArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'TIMEOUT_WAITING';
  /** Parsed execution output, when it succeeded with JSON output. */
  readonly output?: Record<string, unknown>;
  /** Error name and cause, when it did not succeed. */
  readonly error?: string;
  readonly cause?: string;
}

/** Runs the deployment of one model version and reports how it ended; never throws for a failed run. */
export interface DeploymentPipeline {
  /** Console or API link for an execution. */
  link(executionArn: string): string;
  run(request: DeploymentRequest): Promise<DeploymentOutcome>;
}

export interface StepFunctionsDeploymentOptions {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
  /** Execution name prefix; the name also carries the model, version and a timestamp. */
  readonly namePrefix?: string;
  /** @default 5000 */
  readonly pollMs?: number;
  /** Give up waiting after this long (the execution keeps running). @default 45 minutes */
  readonly timeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A DeploymentPipeline over one Step Functions state machine. */
export function stepFunctionsDeployment(options: StepFunctionsDeploymentOptions): DeploymentPipeline {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const region = /^arn:[^:]+:states:([^:]+):/.exec(options.stateMachineArn)?.[1] ?? 'us-east-1';
  return {
    link: (executionArn) =>
      `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`,
    async run(request) {
      const name = `${options.namePrefix ?? 'promote'}-${request.model}-v${request.version}-${now()}`
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .slice(0, 80);
      const started = await options.client.send(
        new StartExecutionCommand({
          stateMachineArn: options.stateMachineArn,
          name,
          input: JSON.stringify(deploymentInput(request)),
        }),
      );
      const executionArn = started.executionArn!;
      const deadline = now() + (options.timeoutMs ?? 45 * 60_000);
      for (;;) {
        const execution = await options.client.send(new DescribeExecutionCommand({ executionArn }));
        switch (execution.status) {
          case 'SUCCEEDED':
            return { executionArn, status: 'SUCCEEDED', ...parseOutput(execution.output) };
          case 'FAILED':
          case 'TIMED_OUT':
          case 'ABORTED':
            return {
              executionArn,
              status: execution.status,
              ...(execution.error ? { error: execution.error } : {}),
              ...(execution.cause ? { cause: execution.cause } : {}),
            };
          default:
            if (now() >= deadline) {
              return {
                executionArn,
                status: 'TIMEOUT_WAITING',
                error: 'the deployment did not finish in time',
              };
            }
            await sleep(options.pollMs ?? 5000);
        }
      }
    },
  };
}

function parseOutput(output: string | undefined): { output?: Record<string, unknown> } {
  if (!output) return {};
  try {
    const parsed = JSON.parse(output) as unknown;
    return parsed !== null && typeof parsed === 'object' ? { output: parsed as Record<string, unknown> } : {};
  } catch {
    return {};
  }
}
