/**
 * The demo's step runner: each step is timed and reported on one line; a failing step stops the
 * demo with its name in the error.
 */

export interface StepResult {
  readonly name: string;
  readonly seconds: number;
  readonly summary: string;
}

export class DemoStepError extends Error {
  override readonly name = 'DemoStepError';
  constructor(step: string, cause: unknown) {
    super(`demo step "${step}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export class DemoRunner {
  readonly results: StepResult[] = [];
  readonly #write: (line: string) => void;

  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  /** Runs one step; its return value is a one-line summary of what it did. */
  async step<T>(name: string, run: () => Promise<{ summary: string; value: T }>): Promise<T> {
    const started = performance.now();
    this.#write(`▸ ${name} …`);
    try {
      const { summary, value } = await run();
      const seconds = (performance.now() - started) / 1000;
      this.results.push({ name, seconds, summary });
      this.#write(`  ✓ ${summary} (${seconds.toFixed(2)} s)`);
      return value;
    } catch (error) {
      throw new DemoStepError(name, error);
    }
  }
}
