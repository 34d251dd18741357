/**
 * `GET /api/2.0/mlops/lineage`: the chain model version → run → training set table@version →
 * source tables@version → feature service and views, from the lineage recorded on the version,
 * the run as the tracking store has it now, and what each training set's table records about its
 * own inputs (the feature store's manifest, when the set was built by it).
 */
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import { parsePredictionModelVersion, type RunLookup } from './lineage.ts';
import type { FeatureRef, TableRef } from './registry-types.ts';
import type { VersionService } from './version-service.ts';
import { wireVersion } from './wire-format.ts';

/** What a lakehouse table version was built from. */
export interface TableLineage {
  readonly sourceTables: readonly TableRef[];
  readonly featureViews: readonly FeatureRef[];
  readonly featureService?: FeatureRef;
}

/** Reads what a table version records about its inputs; undefined when it records nothing. */
export interface TableSourceLookup {
  describe(table: TableRef): Promise<TableLineage | undefined>;
}

export interface LineageServiceDeps {
  readonly versions: VersionService;
  readonly runs?: RunLookup;
  readonly tableSources?: TableSourceLookup;
}

export interface LineageQuery {
  readonly name?: string;
  readonly version?: string;
  /** A prediction row's `model_version` value (see `parsePredictionModelVersion`). */
  readonly modelVersion?: string;
}

function tableRef(table: TableRef): Record<string, unknown> {
  return { table: table.table, ...(table.version === undefined ? {} : { version: table.version }) };
}

function featureRef(ref: FeatureRef): Record<string, unknown> {
  return { name: ref.name, ...(ref.version === undefined ? {} : { version: ref.version }) };
}

function union<T>(known: T[], more: readonly T[], key: (item: T) => string): void {
  for (const item of more) if (!known.some((existing) => key(existing) === key(item))) known.push(item);
}

const tableKey = (table: TableRef) => `${table.table}@${table.version ?? ''}`;
const featureKey = (ref: FeatureRef) => `${ref.name}@${ref.version ?? ''}`;

export class LineageService {
  readonly #deps: LineageServiceDeps;

  constructor(deps: LineageServiceDeps) {
    this.#deps = deps;
  }

  async lineage(query: LineageQuery): Promise<Record<string, unknown>> {
    const target = resolveTarget(query);
    const { version, aliases } = await this.#deps.versions.get(target.name, target.version);
    const lineage = version.lineage;
    const run = lineage.runId && this.#deps.runs ? await this.#deps.runs.getRun(lineage.runId) : undefined;
    const sourceTables: TableRef[] = [...lineage.sourceTables];
    const featureViews: FeatureRef[] = [...lineage.featureViews];
    let featureService = lineage.featureService;
    const trainingSets = [];
    for (const table of lineage.trainingSets) {
      const below = this.#deps.tableSources ? await this.#deps.tableSources.describe(table) : undefined;
      if (below) {
        union(sourceTables, below.sourceTables, tableKey);
        union(featureViews, below.featureViews, featureKey);
        featureService ??= below.featureService;
      }
      trainingSets.push({
        ...tableRef(table),
        ...(below
          ? {
              source_tables: below.sourceTables.map(tableRef),
              ...(below.featureService ? { feature_service: featureRef(below.featureService) } : {}),
              feature_views: below.featureViews.map(featureRef),
            }
          : {}),
      });
    }
    const experimentId = lineage.experimentId ?? run?.experimentId;
    return {
      model_version: wireVersion(version, aliases),
      run: lineage.runId
        ? {
            run_id: lineage.runId,
            ...(experimentId ? { experiment_id: experimentId } : {}),
            found: run !== undefined,
            ...(run?.status ? { status: run.status } : {}),
          }
        : null,
      source: lineage.source,
      training_sets: trainingSets,
      source_tables: sourceTables.map(tableRef),
      feature_service: featureService ? featureRef(featureService) : null,
      feature_views: featureViews.map(featureRef),
      git_sha: lineage.gitSha ?? null,
      promoted_from: lineage.promotedFrom ?? null,
    };
  }
}

function resolveTarget(query: LineageQuery): { name: string; version: string } {
  if (query.modelVersion !== undefined) {
    const parsed = parsePredictionModelVersion(query.modelVersion, query.name);
    if (!parsed) {
      throw new InvalidParameterError(
        `Cannot read model_version '${query.modelVersion}': expected models:/<name>/<n>, <name>/<n>, or <n> with name.`,
      );
    }
    return parsed;
  }
  if (query.name === undefined)
    throw new InvalidParameterError("Missing value for required parameter 'name'.");
  if (query.version === undefined) {
    throw new InvalidParameterError("Missing value for required parameter 'version' (or 'model_version').");
  }
  return { name: query.name, version: query.version };
}
