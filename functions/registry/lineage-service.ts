/**
 * `GET /api/2.0/mlops/lineage`: the chain model version → run → training set table@version →
 * source tables@version → feature service and views, from the lineage recorded on the version,
 * the run as the tracking store has it now, and (when a lakehouse lookup is wired) the sources the
 * training set's Delta commit recorded.
 */
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import { parsePredictionModelVersion, type RunLookup } from './lineage.ts';
import type { TableRef } from './registry-types.ts';
import type { VersionService } from './version-service.ts';
import { wireVersion } from './wire-format.ts';

/** Which tables a lakehouse table version was built from (its commit's recorded sources). */
export interface TableSourceLookup {
  sourcesOf(table: TableRef): Promise<readonly TableRef[]>;
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

function ref(table: TableRef): Record<string, unknown> {
  return { table: table.table, ...(table.version === undefined ? {} : { version: table.version }) };
}

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
    if (this.#deps.tableSources) {
      for (const table of lineage.trainingSets) {
        for (const source of await this.#deps.tableSources.sourcesOf(table)) {
          if (
            !sourceTables.some((known) => known.table === source.table && known.version === source.version)
          ) {
            sourceTables.push(source);
          }
        }
      }
    }
    return {
      model_version: wireVersion(version, aliases),
      run: lineage.runId
        ? {
            run_id: lineage.runId,
            ...((lineage.experimentId ?? run?.experimentId)
              ? { experiment_id: lineage.experimentId ?? run?.experimentId }
              : {}),
            found: run !== undefined,
            ...(run?.status ? { status: run.status } : {}),
          }
        : null,
      source: lineage.source,
      training_sets: lineage.trainingSets.map(ref),
      source_tables: sourceTables.map(ref),
      feature_service: lineage.featureService ?? null,
      feature_views: lineage.featureViews,
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
