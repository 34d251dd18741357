/**
 * `POST /api/2.0/mlops/features/online`: a feature service's online features for a list of
 * entities. The body names the service and gives the join key values column by column:
 *
 *     { "featureService": "fraud", "entities": { "customer_id": ["c1", "c2"] } }
 *
 * and the answer is column by column too, in the service's feature order (Feast's shape):
 *
 *     { "featureService": { "name": "fraud", "version": 2 },
 *       "featureNames": ["customer_stats__total_spend", ...],
 *       "results": [ { "values": [12.5, null], "statuses": ["PRESENT", "MISSING"],
 *                      "eventTimestamps": ["2024-01-01T10:00:00.000Z", null] }, ... ] }
 */
import { z } from 'zod';
import { readOnlineFeatures } from '../../layers/features/online-read.ts';
import type { OnlineStore } from '../../layers/features/online-store.ts';
import type { ServiceResolver } from '../../layers/features/service-resolver.ts';
import { InvalidParameterError } from '../../layers/runtime/errors.ts';

export const MAX_ENTITIES = 1000;

export const OnlineFeaturesRequestSchema = z.object({
  featureService: z.string().min(1),
  featureServiceVersion: z.number().int().positive().optional(),
  entities: z.record(
    z.string(),
    z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .max(MAX_ENTITIES),
  ),
});

export type OnlineFeaturesRequest = z.infer<typeof OnlineFeaturesRequestSchema>;

/** Turns the column-wise entity keys into rows, checking that every column has the same length. */
export function entityRows(entities: OnlineFeaturesRequest['entities']): Record<string, string | number>[] {
  const columns = Object.entries(entities);
  if (columns.length === 0) throw new InvalidParameterError("'entities' needs at least one join key column");
  const length = columns[0]?.[1].length ?? 0;
  for (const [name, values] of columns) {
    if (values.length !== length) {
      throw new InvalidParameterError(
        `every entities column must have the same length: '${columns[0]?.[0]}' has ${length}, '${name}' has ${values.length}`,
      );
    }
  }
  return Array.from({ length }, (_, index) =>
    Object.fromEntries(columns.map(([name, values]) => [name, values[index] as string | number])),
  );
}

export interface OnlineFeaturesResponse {
  readonly featureService: { readonly name: string; readonly version: number };
  readonly featureNames: readonly string[];
  readonly results: readonly {
    readonly values: readonly unknown[];
    readonly statuses: readonly string[];
    readonly eventTimestamps: readonly (string | null)[];
  }[];
}

/** The route's core: resolve the service, read the store, answer column by column. */
export async function onlineFeatures(
  deps: { readonly resolver: ServiceResolver; readonly store: OnlineStore; readonly now: () => Date },
  request: OnlineFeaturesRequest,
): Promise<OnlineFeaturesResponse> {
  const service = await deps.resolver.resolve(request.featureService, request.featureServiceVersion);
  const rows = entityRows(request.entities);
  const read = await readOnlineFeatures(deps.store, service, rows, deps.now());
  const iso = new Map<number, string>();
  const timestamp = (ms: number | null) => {
    if (ms === null) return null;
    let text = iso.get(ms);
    if (text === undefined) {
      text = new Date(ms).toISOString();
      iso.set(ms, text);
    }
    return text;
  };
  return {
    featureService: { name: service.name, version: service.version },
    featureNames: read.featureNames,
    results: read.featureNames.map((_, column) => ({
      values: read.rows.map((row) => row.values[column] ?? null),
      statuses: read.rows.map((row) => row.statuses[column] as string),
      eventTimestamps: read.rows.map((row) => timestamp(row.eventTimes[column] ?? null)),
    })),
  };
}
