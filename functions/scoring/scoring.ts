/**
 * The scoring core: turns a JSON scoring request into the CSV payload SageMaker's XGBoost
 * container takes, invokes the endpoint through a small port (the SageMaker Runtime client in
 * production and on the local platform), and answers MLflow-serving style `{"predictions": [...]}`.
 *
 * Accepted bodies: `{"instances": [[1, null, 3], ...]}` (null is a missing value), or MLflow's
 * `{"dataframe_split": {"columns": [...], "data": [[...], ...]}}` whose columns are passed in the
 * order given. The endpoint's errors become the kit's: an unknown endpoint is NotFoundError (404),
 * a payload the model refuses is InvalidParameterError (400) with the model's message.
 */
import { z } from 'zod';
import { InvalidParameterError, KitError, NotFoundError } from '../../layers/runtime/errors.ts';

/** Invokes an endpoint with a CSV body and returns the container's JSON answer. */
export interface EndpointInvoker {
  invoke(endpointName: string, csv: string): Promise<string>;
}

/** What an invoker throws when SageMaker or the model refuses the request. */
export class EndpointInvocationError extends Error {
  override readonly name = 'EndpointInvocationError';
  constructor(
    readonly kind: 'validation' | 'model',
    message: string,
    readonly originalStatusCode?: number,
  ) {
    super(message);
  }
}

const Cell = z.union([z.number(), z.null()]);
export const ScoringRequestSchema = z.union([
  z.object({ instances: z.array(z.array(Cell)).min(1) }),
  z.object({
    dataframe_split: z.object({
      columns: z.array(z.string()).optional(),
      data: z.array(z.array(Cell)).min(1),
    }),
  }),
]);
export type ScoringRequest = z.infer<typeof ScoringRequestSchema>;

export interface ScoringResult {
  readonly predictions: (number | number[])[];
}

/** Rows as a headerless CSV payload; null and non-finite values become empty (missing) fields. */
export function toCsvPayload(rows: readonly (readonly (number | null)[])[]): string {
  return `${rows.map((row) => row.map((v) => (v === null || !Number.isFinite(v) ? '' : String(v))).join(',')).join('\n')}\n`;
}

export async function score(
  invoker: EndpointInvoker,
  endpointName: string,
  request: ScoringRequest,
): Promise<ScoringResult> {
  const rows = 'instances' in request ? request.instances : request.dataframe_split.data;
  let answer: string;
  try {
    answer = await invoker.invoke(endpointName, toCsvPayload(rows));
  } catch (error) {
    if (error instanceof EndpointInvocationError) {
      if (error.kind === 'validation') {
        throw new NotFoundError(
          `endpoint ${endpointName} does not exist or cannot be invoked: ${error.message}`,
          {
            cause: error,
          },
        );
      }
      if ((error.originalStatusCode ?? 500) < 500) {
        throw new InvalidParameterError(`endpoint ${endpointName} refused the rows: ${error.message}`, {
          cause: error,
        });
      }
      throw new KitError('TEMPORARILY_UNAVAILABLE', `endpoint ${endpointName} failed: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const parsed = JSON.parse(answer) as { predictions: { score: number | number[] }[] };
  return { predictions: parsed.predictions.map((p) => p.score) };
}
