/**
 * The monitoring pipeline's task: one monitoring run for the model and window in its input, then
 * the run's CloudWatch metrics (EMF lines on stdout, which Lambda ships to CloudWatch Logs) and the
 * `threshold.crossed` event. Input: `{ model, window?: "1d", end?: ISO instant, target?: {...} }`;
 * output: the outcome the state machine branches on.
 */
import { z } from 'zod';
import {
  MonitorTargetSchema,
  parseWindowLength,
  runPlatformMonitoring,
} from '../../layers/monitoring/platform-monitor.ts';
import { publishOutcome } from '../../layers/monitoring/publish-outcome.ts';
import { windowEnding } from '../../layers/monitoring/run-monitoring.ts';
import { type Env, loadRuntimeConfig } from '../../layers/runtime/config.ts';
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import { createEventPublisher } from '../../layers/runtime/events.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';

const TaskInputSchema = z.object({
  model: z.string(),
  /** Window length ending at `end`. @default 1d */
  window: z.string().default('1d'),
  /** @default the time of the run (EventBridge Scheduler passes its scheduled time) */
  end: z.string().optional(),
  /** The model's monitoring target beyond its name (tables, columns, thresholds). */
  target: z.record(z.string(), z.unknown()).default({}),
});

export interface MonitorTaskOutput {
  readonly model: string;
  readonly modelVersion: string | null;
  readonly window: { readonly start: string; readonly end: string };
  readonly outcome: string;
  readonly rows: number;
  readonly alarms: number;
  readonly report: string;
  /** The tracking run (experiment `monitoring/<model>`) holding the metrics and the report. */
  readonly trackingRun: string | null;
}

export interface MonitorTaskOptions {
  /** Where EMF metric lines go. @default stdout */
  readonly writeMetrics?: (line: string) => void;
  readonly now?: () => Date;
}

export function createHandler(env: Env, options: MonitorTaskOptions = {}) {
  const runtime = loadRuntimeConfig(env);
  const events = createEventPublisher(runtime, env.MLOPS_EVENT_BUS_NAME);
  const now = options.now ?? (() => new Date());
  const writeMetrics = options.writeMetrics ?? ((line: string) => process.stdout.write(`${line}\n`));
  return async (event: unknown): Promise<MonitorTaskOutput> => {
    const input = TaskInputSchema.safeParse(event);
    if (!input.success) {
      throw new InvalidParameterError(`invalid monitoring input: ${z.prettifyError(input.error)}`);
    }
    const target = MonitorTargetSchema.safeParse({ ...input.data.target, model: input.data.model });
    if (!target.success) {
      throw new InvalidParameterError(`invalid monitoring target: ${z.prettifyError(target.error)}`);
    }
    const end = input.data.end ? new Date(input.data.end) : now();
    if (Number.isNaN(end.getTime())) {
      throw new InvalidParameterError(`end must be an ISO-8601 instant, got ${input.data.end}`);
    }
    const window = windowEnding(end, parseWindowLength(input.data.window));
    const run = await runPlatformMonitoring(runtime, target.data, window, now);
    await publishOutcome(run.result, run.report, now(), { writeMetrics, events });
    return {
      model: run.result.model,
      modelVersion: run.result.modelVersion,
      window: run.result.window,
      outcome: run.result.outcome,
      rows: run.result.rows,
      alarms: run.result.alarms.length,
      report: run.report,
      trackingRun: run.trackingRun?.runId ?? null,
    };
  };
}

/** The Lambda entry point; the handler is built on the first event. */
export const handler = lazyTask(createHandler);
