/**
 * The smoke test of a freshly deployed model: send a few real rows to its endpoint and check that a
 * finite prediction comes back for each. Rows are CSV, the input every serving stack of the kit
 * accepts (SageMaker's XGBoost container has no JSON input); predictions are asked for as JSON.
 */
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

export interface SmokeResult {
  readonly passed: boolean;
  readonly rows: number;
  readonly predictions: readonly number[];
  /** Why it failed. */
  readonly reason?: string;
}

export interface SmokeTest {
  run(endpointName: string, csvRows: string): Promise<SmokeResult>;
}

/** Predictions from a response body: `{"predictions":[{"score":…}|…]}`, a JSON array, or CSV. */
export function parsePredictions(body: string): number[] {
  const text = body.trim();
  if (text.startsWith('{') || text.startsWith('[')) {
    const parsed = JSON.parse(text) as unknown;
    const list = Array.isArray(parsed) ? parsed : (parsed as { predictions?: unknown }).predictions;
    if (!Array.isArray(list)) throw new Error('response has no predictions list');
    return list.map((item) => {
      if (typeof item === 'number') return item;
      if (Array.isArray(item) && typeof item[0] === 'number') return item[0];
      const score = (item as { score?: unknown } | null)?.score;
      return typeof score === 'number' ? score : Number.NaN;
    });
  }
  return text
    .split(/[\n,]+/)
    .filter(Boolean)
    .map(Number);
}

/** A SmokeTest over SageMaker Runtime's InvokeEndpoint. */
export function endpointSmokeTest(client: SageMakerRuntimeClient): SmokeTest {
  return {
    async run(endpointName, csvRows) {
      const rows = csvRows.split('\n').filter((line) => line.trim() !== '').length;
      if (rows === 0) return { passed: false, rows, predictions: [], reason: 'no smoke-test rows given' };
      try {
        const response = await client.send(
          new InvokeEndpointCommand({
            EndpointName: endpointName,
            ContentType: 'text/csv',
            Accept: 'application/json',
            Body: new TextEncoder().encode(csvRows.trim()),
          }),
        );
        const predictions = parsePredictions(new TextDecoder().decode(response.Body));
        if (predictions.length !== rows) {
          return {
            passed: false,
            rows,
            predictions,
            reason: `${rows} rows sent, ${predictions.length} predictions back`,
          };
        }
        const bad = predictions.findIndex((value) => !Number.isFinite(value));
        if (bad >= 0)
          return { passed: false, rows, predictions, reason: `prediction ${bad + 1} is not a number` };
        return { passed: true, rows, predictions };
      } catch (error) {
        return {
          passed: false,
          rows,
          predictions: [],
          reason: `${endpointName}: ${(error as Error).name}: ${(error as Error).message}`,
        };
      }
    },
  };
}
