/**
 * Resolving a feature service (latest or a given version) to its features and the exact view
 * versions they come from, with a short-lived cache so that online lookups do not read the
 * registry on every request. A cached entry is at most `maxAgeMs` old: a breaking change creates
 * a new service version (cached separately), and an in-place update (an added feature, a new TTL)
 * is picked up within that time.
 */
import type { ServiceViews } from './online-read.ts';
import { viewId } from './online-read.ts';
import type { FeatureRegistryStore, ViewSpec } from './registry-store.ts';

export interface ResolvedService extends ServiceViews {
  readonly name: string;
  readonly version: number;
}

export class ServiceResolver {
  readonly #cache = new Map<string, { at: number; value: Promise<ResolvedService> }>();

  constructor(
    private readonly registry: FeatureRegistryStore,
    private readonly maxAgeMs = 30_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The service at `version` (latest when undefined); FeatureObjectNotFoundError when unknown. */
  resolve(name: string, version?: number): Promise<ResolvedService> {
    const key = `${name}@${version ?? 'latest'}`;
    const cached = this.#cache.get(key);
    if (cached && this.clock() - cached.at < this.maxAgeMs) return cached.value;
    const value = this.#load(name, version);
    this.#cache.set(key, { at: this.clock(), value });
    value.catch(() => this.#cache.delete(key));
    return value;
  }

  async #load(name: string, version: number | undefined): Promise<ResolvedService> {
    const service = await this.registry.get('featureService', name, version);
    const ids = [
      ...new Set(service.spec.resolved.map((feature) => viewId(feature.view, feature.viewVersion))),
    ];
    const views = new Map<string, ViewSpec>();
    await Promise.all(
      ids.map(async (id) => {
        const [viewName, viewVersion] = id.split('#') as [string, string];
        const view = await this.registry.get('featureView', viewName, Number(viewVersion));
        views.set(id, view.spec);
      }),
    );
    return { name: service.name, version: service.version, features: service.spec.resolved, views };
  }
}
