/**
 * Online lookup of a feature service: for each requested entity, every feature of the service with
 * its value, status and event time.
 *
 * One item per entity and view is read (BatchGetItem, chunks of 100 in parallel). A feature is
 * - `PRESENT` — the item exists, is within the view's TTL at `now`, and the value is not NULL;
 * - `EXPIRED` — the item exists but its event time is at or before `now - ttl` (value withheld);
 * - `MISSING` — no item for this entity, or the latest row's value is NULL.
 * TTL is judged here, at read time, so an expired value is never served whether or not DynamoDB's
 * TTL sweeper has deleted it yet — the same rule the point-in-time join applies offline.
 */
import type { ResolvedFeature } from './definitions.ts';
import { FeatureDataError } from './errors.ts';
import { entityKeyOf, type FeatureValue, itemId, type OnlineKey, type OnlineStore } from './online-store.ts';
import type { ViewSpec } from './registry-store.ts';

export type FeatureStatus = 'PRESENT' | 'MISSING' | 'EXPIRED';

export interface ServiceViews {
  /** The service's features in order. */
  readonly features: readonly ResolvedFeature[];
  /** The view version each feature comes from, by `<view>#<version>`. */
  readonly views: ReadonlyMap<string, ViewSpec>;
}

export interface OnlineFeatureRow {
  readonly entity: Readonly<Record<string, unknown>>;
  readonly values: readonly FeatureValue[];
  readonly statuses: readonly FeatureStatus[];
  /** Epoch ms of the source row each value comes from; null when missing. */
  readonly eventTimes: readonly (number | null)[];
}

export interface OnlineFeatures {
  readonly featureNames: readonly string[];
  readonly rows: readonly OnlineFeatureRow[];
  /** DynamoDB requests made. */
  readonly calls: number;
}

export function viewId(view: string, version: number): string {
  return `${view}#${version}`;
}

/** Looks up the service's features for each entity row (join key values by name). */
export async function readOnlineFeatures(
  store: OnlineStore,
  service: ServiceViews,
  entities: readonly Readonly<Record<string, unknown>>[],
  now: Date,
): Promise<OnlineFeatures> {
  const views = [...new Set(service.features.map((feature) => viewId(feature.view, feature.viewVersion)))];
  const keysPerRow: Map<string, OnlineKey>[] = entities.map((entity, index) => {
    const keys = new Map<string, OnlineKey>();
    for (const id of views) {
      const spec = service.views.get(id);
      if (!spec) throw new Error(`feature view ${id} was not loaded`);
      for (const key of spec.joinKeys) {
        const value = entity[key.name];
        if (value === undefined || value === null) {
          throw new FeatureDataError(`entity ${index} has no value for join key '${key.name}'`);
        }
        if (key.type === 'int64' && !Number.isInteger(Number(value))) {
          throw new FeatureDataError(
            `join key '${key.name}' must be an integer, got ${JSON.stringify(value)}`,
          );
        }
      }
      const [name, version] = id.split('#') as [string, string];
      keys.set(id, {
        entityKey: entityKeyOf(spec.joinKeys, entity),
        view: name,
        viewVersion: Number(version),
      });
    }
    return keys;
  });
  const { items, calls } = await store.read(keysPerRow.flatMap((keys) => [...keys.values()]));
  const nowMs = now.getTime();
  // Per feature, the index of its view; per row, each view's item looked up once (not per feature).
  const viewOf = service.features.map((feature) => views.indexOf(viewId(feature.view, feature.viewVersion)));
  const cutoffs = views.map((id) => {
    const ttl = (service.views.get(id) as ViewSpec).ttl;
    return ttl > 0 ? nowMs - ttl * 1000 : Number.NEGATIVE_INFINITY;
  });
  const rows = entities.map((entity, index) => {
    const keys = keysPerRow[index] as Map<string, OnlineKey>;
    const rowItems = views.map((id) => items.get(itemId(keys.get(id) as OnlineKey)));
    const values: FeatureValue[] = [];
    const statuses: FeatureStatus[] = [];
    const eventTimes: (number | null)[] = [];
    service.features.forEach((feature, featureIndex) => {
      const view = viewOf[featureIndex] as number;
      const item = rowItems[view];
      if (!item) {
        values.push(null);
        statuses.push('MISSING');
        eventTimes.push(null);
        return;
      }
      eventTimes.push(item.eventTime);
      if (item.eventTime <= (cutoffs[view] as number)) {
        values.push(null);
        statuses.push('EXPIRED');
        return;
      }
      const value = item.values[feature.feature];
      values.push(value ?? null);
      statuses.push(value === null || value === undefined ? 'MISSING' : 'PRESENT');
    });
    return { entity, values, statuses, eventTimes };
  });
  return { featureNames: service.features.map((feature) => feature.column), rows, calls };
}
