/**
 * What a pipeline execution leaves behind, whether it ran in Step Functions or locally: its
 * status, input and output, the failure that ended it, and one event per state transition.
 */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionEvent {
  /** Epoch milliseconds. */
  readonly timestamp: number;
  /** `StateEntered`, `StateExited`, `StateFailed`, `StateRetried`, `StateCaught`, `ExecutionFailed`, ... */
  readonly type: string;
  readonly state?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface ExecutionRecord {
  readonly executionId: string;
  readonly pipeline: string;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly events: readonly ExecutionEvent[];
}

/** One human-readable progress line for an event, or undefined for events not worth a line. */
export function progressLine(event: ExecutionEvent, startedAt: number): string | undefined {
  const at = `${((event.timestamp - startedAt) / 1000).toFixed(1).padStart(6)} s`;
  switch (event.type) {
    case 'StateEntered':
      return `${at}  ▸ ${event.state}`;
    case 'StateFailed':
      return `${at}  ✗ ${event.state}: ${event.error}${event.cause ? ` — ${truncate(event.cause, 160)}` : ''}`;
    case 'StateRetried':
      return `${at}  ↻ ${event.state} retried`;
    case 'StateCaught':
      return `${at}  ⤷ ${event.state}: ${event.error} caught`;
    case 'ExecutionSucceeded':
      return `${at}  ✓ succeeded`;
    case 'ExecutionFailed':
      return `${at}  ✗ failed: ${event.error}${event.cause ? ` — ${truncate(event.cause, 200)}` : ''}`;
    case 'ExecutionTimedOut':
      return `${at}  ✗ timed out`;
    case 'ExecutionAborted':
      return `${at}  ✗ aborted`;
    default:
      return undefined;
  }
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
