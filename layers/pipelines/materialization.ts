/**
 * The materialization pipeline's core: which feature view versions a run covers, and one view's
 * incremental materialization into the online store.
 *
 *   plan:         names of views (latest or pinned versions) or a feature service (the view
 *                 versions it resolves to) → the list the state machine's Map runs over. Every
 *                 view is looked up here, so an unknown name fails the run before anything is
 *                 written.
 *   materialize:  `materializeView` of the feature store for one view version: the rows the Delta
 *                 log added since the last materialized table version (the whole snapshot the
 *                 first time), written with the online store's conditional writes; entities that
 *                 lost rows to a delete, overwrite or merge are corrected from the snapshot.
 *
 * Retrying either step is safe: planning only reads, and a materialization retried (or two racing)
 * leaves every online item at the newest row seen and the recorded table version never goes back.
 */

import type { TableOpener } from '../features/lakehouse-source.ts';
import { materializeView } from '../features/materialize-view.ts';
import type { OnlineStore } from '../features/online-store.ts';
import type { FeatureRegistryStore } from '../features/registry-store.ts';
import { InvalidParameterError } from '../runtime/errors.ts';

export interface MaterializationDeps {
  readonly registry: FeatureRegistryStore;
  readonly online: OnlineStore;
  readonly openTable: TableOpener;
  readonly now?: () => Date;
}

export interface MaterializationRequest {
  /** View names, each optionally pinned as `name@version`. With no service either: every view's latest version. */
  readonly views?: readonly string[];
  /** A feature service: every view version its features come from. */
  readonly service?: string;
  readonly serviceVersion?: number;
  /** @default 'incremental' */
  readonly mode?: 'full' | 'incremental';
}

export interface PlannedView {
  readonly view: string;
  readonly version: number;
  readonly mode: 'full' | 'incremental';
}

export interface ViewMaterialized {
  readonly view: string;
  readonly viewVersion: number;
  readonly mode: 'full' | 'incremental';
  readonly fromTableVersion?: number;
  /** The source table version the online store now holds. */
  readonly tableVersion: number;
  readonly rowsRead: number;
  /** Online items written (entities whose stored value was older, or whose latest row was deleted). */
  readonly rowsWritten: number;
  /** Online items deleted: every source row of the entity was deleted. */
  readonly deleted: number;
  readonly stale: number;
}

/** The view versions a run materializes; FeatureObjectNotFoundError for an unknown view or service. */
export async function planMaterialization(
  deps: Pick<MaterializationDeps, 'registry'>,
  request: MaterializationRequest,
): Promise<{ views: PlannedView[] }> {
  const hasViews = (request.views?.length ?? 0) > 0;
  if (hasViews && request.service !== undefined) {
    throw new InvalidParameterError(
      'name either feature views (views) or a feature service (service), not both',
    );
  }
  const mode = request.mode ?? 'incremental';
  const wanted: { name: string; version?: number }[] = [];
  if (request.service !== undefined) {
    const service = await deps.registry.get('featureService', request.service, request.serviceVersion);
    for (const feature of service.spec.resolved) {
      if (!wanted.some((w) => w.name === feature.view && w.version === feature.viewVersion))
        wanted.push({ name: feature.view, version: feature.viewVersion });
    }
  } else if (hasViews) {
    for (const reference of request.views ?? []) wanted.push(parseViewReference(reference));
  } else {
    for (const view of await deps.registry.list('featureView')) wanted.push({ name: view.name });
  }
  const views: PlannedView[] = [];
  for (const { name, version } of wanted) {
    const view = await deps.registry.get('featureView', name, version);
    if (!views.some((v) => v.view === view.name && v.version === view.version))
      views.push({ view: view.name, version: view.version, mode });
  }
  return { views };
}

/** Materializes one planned view version. */
export async function materializePlannedView(
  deps: MaterializationDeps,
  planned: PlannedView,
): Promise<ViewMaterialized> {
  const result = await materializeView(deps, {
    view: planned.view,
    version: planned.version,
    mode: planned.mode,
  });
  return {
    view: result.view,
    viewVersion: result.viewVersion,
    mode: result.mode,
    ...(result.fromTableVersion === undefined ? {} : { fromTableVersion: result.fromTableVersion }),
    tableVersion: result.toTableVersion,
    rowsRead: result.rowsRead,
    rowsWritten: result.written,
    deleted: result.deleted,
    stale: result.stale,
  };
}

function parseViewReference(reference: string): { name: string; version?: number } {
  const match = /^([^@]+)(?:@(\d+))?$/.exec(reference);
  if (!match) throw new InvalidParameterError(`feature view ${reference} must be <name> or <name>@<version>`);
  return { name: match[1] as string, ...(match[2] ? { version: Number(match[2]) } : {}) };
}
