/**
 * `metrics/get-history-bulk-interval`: one metric's history across several runs, thinned to about
 * `max_results` steps, as MLflow's server computes it (the chart view of the MLflow UI asks for it).
 *
 * The steps are sampled from the union of the steps the runs logged (not from a numeric grid, because
 * runs need not log every step): evenly spaced indices into the sorted steps within
 * `[start_step, end_step]`, plus the last step of the range, plus each run's own first and last step
 * when they fall in the range. Every point of every run at a sampled step is returned, per run in
 * (step, timestamp) order, at most 25,000 per run.
 */
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import type { Metric } from './model.ts';

/** MLflow's limits for the endpoint. */
export const MAX_RUNS_PER_BULK_INTERVAL = 100;
export const MAX_SAMPLED_STEPS = 2500;
export const MAX_POINTS_PER_RUN = 25_000;

export interface StepRange {
  readonly startStep: number;
  readonly endStep: number;
}

/**
 * Checks the optional step range the way MLflow does: both or neither, start not after end.
 * Returns undefined when neither is given.
 */
export function stepRange(startStep: number | undefined, endStep: number | undefined): StepRange | undefined {
  if (startStep !== undefined && endStep !== undefined) {
    if (startStep > endStep) {
      throw new InvalidParameterError(
        `end_step must be greater than start_step. Found start_step=${startStep} and end_step=${endStep}.`,
      );
    }
    return { startStep, endStep };
  }
  if (startStep !== undefined || endStep !== undefined) {
    throw new InvalidParameterError(
      'If either start step or end step are specified, both must be specified.',
    );
  }
  return undefined;
}

/** Index of the first element of sorted `values` that is >= `value` (bisect_left). */
function lowerBound(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((values[mid] as number) < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Index after the last element of sorted `values` that is <= `value` (bisect_right). */
function upperBound(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((values[mid] as number) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * MLflow's `_get_sampled_steps_from_steps`: all steps in range when there are at most `maxResults`,
 * else `maxResults` evenly spaced ones plus the range's last step. (MLflow compares the sampled index
 * with the number of steps in the range rather than with the range's end, so a range that starts
 * late yields fewer samples; this keeps that behaviour so that both servers answer alike.)
 */
function sampleSteps(range: StepRange, maxResults: number, allSteps: readonly number[]): Set<number> {
  const startIndex = lowerBound(allSteps, range.startStep);
  const endIndex = upperBound(allSteps, range.endStep);
  if (endIndex - startIndex <= maxResults) return new Set(allSteps.slice(startIndex, endIndex));
  const count = endIndex - startIndex;
  const interval = count / maxResults;
  const sampled = new Set<number>();
  for (let i = 0; i < maxResults; i += 1) {
    const index = startIndex + Math.trunc(i * interval);
    if (index < count) sampled.add(allSteps[index] as number);
  }
  sampled.add(allSteps[endIndex - 1] as number);
  return sampled;
}

/** The steps to return for these runs' histories (each sorted by step), in ascending order. */
export function sampledSteps(
  histories: readonly (readonly Metric[])[],
  range: StepRange | undefined,
  maxResults: number,
): number[] {
  const allSteps = [...new Set(histories.flatMap((history) => history.map((point) => point.step)))].sort(
    (a, b) => a - b,
  );
  const effective = range ?? { startStep: 0, endStep: allSteps.at(-1) ?? 0 };
  const steps = sampleSteps(effective, maxResults, allSteps);
  for (const history of histories) {
    if (history.length === 0) continue;
    const runSteps = history.map((point) => point.step);
    for (const step of [Math.min(...runSteps), Math.max(...runSteps)]) {
      if (step >= effective.startStep && step <= effective.endStep) steps.add(step);
    }
  }
  return [...steps].sort((a, b) => a - b);
}

/** One run's points at the sampled steps, in (step, timestamp) order, at most MAX_POINTS_PER_RUN. */
export function pointsAtSteps(history: readonly Metric[], steps: readonly number[]): Metric[] {
  const wanted = new Set(steps);
  return history
    .filter((point) => wanted.has(point.step))
    .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp)
    .slice(0, MAX_POINTS_PER_RUN);
}
