/**
 * The registry core for model versions: creation (number from the store's atomic counter, lineage
 * recorded), reads, updates, stage transitions, tags, deletion and search.
 */
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import type { Principal } from '../../layers/runtime/http/request.ts';
import type { ChangeRecorder } from './change-recorder.ts';
import { buildLineage, type RunLookup } from './lineage.ts';
import { type ModelService, parseOrderBy, type SearchPage } from './model-service.ts';
import { modelNotFound, versionNotFound } from './registry-errors.ts';
import type { RegistryStore } from './registry-store.ts';
import type { ModelVersion, RegisteredModel, Stage } from './registry-types.ts';
import { checkAttributes, equalityOn, matches, parseFilter } from './search-filter.ts';
import { checkModelName, checkSource, checkTag, parseVersion } from './validation.ts';
import { aliasesOf, offsetToken, tokenOffset } from './wire-format.ts';

export interface VersionServiceDeps {
  readonly store: RegistryStore;
  readonly recorder: ChangeRecorder;
  readonly clock: () => number;
  readonly models: ModelService;
  /** The tracking store's runs; without it, lineage holds only what the version's tags declare. */
  readonly runs?: RunLookup;
}

export interface CreateVersionInput {
  readonly name: string;
  readonly source: string;
  readonly runId?: string;
  readonly runLink?: string;
  readonly description?: string;
  readonly modelId?: string;
  readonly tags: Record<string, string>;
}

const VERSION_FILTER_KEYS = ['name', 'version_number', 'run_id', 'source_path'];
const VERSION_ORDER_KEYS = [
  'name',
  'version_number',
  'creation_timestamp',
  'last_updated_timestamp',
  'timestamp',
];
const MAX_VERSION_RESULTS = 200_000;

export class VersionService {
  readonly #deps: VersionServiceDeps;

  constructor(deps: VersionServiceDeps) {
    this.#deps = deps;
  }

  async create(actor: Principal, input: CreateVersionInput): Promise<ModelVersion> {
    const name = checkModelName(input.name);
    const source = checkSource(input.source);
    for (const [key, value] of Object.entries(input.tags)) checkTag(key, value);
    const run = input.runId && this.#deps.runs ? await this.#deps.runs.getRun(input.runId) : undefined;
    const lineage = buildLineage(source, input.runId, input.tags, run);
    const now = this.#deps.clock();
    // The number comes from an atomic increment of the model's counter: never read-then-write.
    const number = await this.#deps.store.allocateVersion(name, now);
    const version: ModelVersion = {
      name,
      version: number,
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
      currentStage: 'None',
      description: input.description ?? '',
      source,
      ...(input.runId ? { runId: input.runId } : {}),
      runLink: input.runLink ?? '',
      userId: actor.id,
      ...(input.modelId ? { modelId: input.modelId } : {}),
      tags: input.tags,
      lineage,
    };
    await this.#deps.store.putVersion(version);
    await this.#deps.recorder.record(actor.id, [
      {
        model: name,
        action: 'version.created',
        version: String(number),
        after: { source, runId: input.runId, tags: input.tags, lineage },
      },
    ]);
    return version;
  }

  async get(name: string, versionText: string): Promise<{ version: ModelVersion; aliases: string[] }> {
    checkModelName(name);
    const number = parseVersion(versionText);
    const [model, version] = await Promise.all([
      this.#deps.store.getModel(name),
      this.#deps.store.getVersion(name, number),
    ]);
    if (!version) throw versionNotFound(name, versionText);
    return { version, aliases: aliasesOf(model, number) };
  }

  async update(actor: Principal, name: string, versionText: string, description: string | undefined) {
    const { version: before } = await this.get(name, versionText);
    const version = await this.#deps.store.updateVersion(name, before.version, {
      ...(description === undefined ? {} : { description }),
      lastUpdatedTimestamp: this.#deps.clock(),
    });
    await this.#deps.recorder.record(actor.id, [
      {
        model: name,
        action: 'version.updated',
        version: String(version.version),
        before: { description: before.description },
        after: { description: version.description },
      },
    ]);
    return this.get(name, versionText);
  }

  async transition(
    actor: Principal,
    name: string,
    versionText: string,
    stage: Stage,
    archiveExisting: boolean,
  ) {
    const { version: before } = await this.get(name, versionText);
    const now = this.#deps.clock();
    const archived: ModelVersion[] = [];
    if (archiveExisting && (stage === 'Staging' || stage === 'Production')) {
      for (const other of await this.#deps.store.listVersions(name)) {
        if (other.version === before.version || other.currentStage !== stage) continue;
        archived.push(
          await this.#deps.store.updateVersion(name, other.version, {
            currentStage: 'Archived',
            lastUpdatedTimestamp: now,
          }),
        );
      }
    }
    await this.#deps.store.updateVersion(name, before.version, {
      currentStage: stage,
      lastUpdatedTimestamp: now,
    });
    await this.#deps.recorder.record(actor.id, [
      ...archived.map((other) => ({
        model: name,
        action: 'version.stage.transitioned' as const,
        version: String(other.version),
        before: stage,
        after: 'Archived',
      })),
      {
        model: name,
        action: 'version.stage.transitioned',
        version: String(before.version),
        before: before.currentStage,
        after: stage,
      },
    ]);
    return this.get(name, versionText);
  }

  async setTag(
    actor: Principal,
    name: string,
    versionText: string,
    key: string,
    value: string,
  ): Promise<void> {
    checkModelName(name);
    const number = parseVersion(versionText);
    checkTag(key, value);
    const before = await this.#deps.store.setVersionTag(name, number, key, value, this.#deps.clock());
    await this.#deps.recorder.record(actor.id, [
      {
        model: name,
        action: 'version.tag.set',
        version: String(number),
        key,
        ...(before === undefined ? {} : { before }),
        after: value,
      },
    ]);
  }

  async deleteTag(actor: Principal, name: string, versionText: string, key: string): Promise<void> {
    checkModelName(name);
    const number = parseVersion(versionText);
    const before = await this.#deps.store.deleteVersionTag(name, number, key, this.#deps.clock());
    await this.#deps.recorder.record(actor.id, [
      {
        model: name,
        action: 'version.tag.deleted',
        version: String(number),
        key,
        ...(before === undefined ? {} : { before }),
      },
    ]);
  }

  /** Deletes a version and the aliases that point at it (a protected one needs the admin scope). */
  async delete(actor: Principal, name: string, versionText: string): Promise<void> {
    const { version, aliases } = await this.get(name, versionText);
    const now = this.#deps.clock();
    const model = await this.requireModel(name);
    // Refuse before changing anything when a protected alias points at the version.
    for (const alias of aliases) this.#deps.models.assertMayMove(actor, model, alias);
    for (const alias of aliases) await this.#deps.models.deleteAlias(actor, name, alias);
    await this.#deps.store.deleteVersion(name, version.version);
    await this.#deps.recorder.record(actor.id, [
      {
        model: name,
        action: 'version.deleted',
        version: String(version.version),
        before: { source: version.source, stage: version.currentStage, aliases, tags: version.tags, at: now },
      },
    ]);
  }

  /**
   * Where the version's files are: its source, with `models:/<model_id>` resolved to the logged
   * model's artifact URI and `runs:/<run_id>/<path>` to the run's, as MLflow resolves them.
   */
  async downloadUri(name: string, versionText: string): Promise<string> {
    const { version } = await this.get(name, versionText);
    const runs = this.#deps.runs;
    const model = /^models:\/([^/]+)\/?$/.exec(version.source);
    if (model && runs?.loggedModelArtifactUri) {
      return (await runs.loggedModelArtifactUri(model[1] as string)) ?? version.source;
    }
    const run = /^runs:\/([^/]+)\/?(.*)$/.exec(version.source);
    if (run && runs) {
      const found = await runs.getRun(run[1] as string);
      if (found?.artifactUri) return run[2] ? `${found.artifactUri}/${run[2]}` : found.artifactUri;
    }
    return version.source;
  }

  async search(input: {
    filter?: string;
    maxResults: number;
    orderBy: readonly string[];
    pageToken?: string;
  }): Promise<SearchPage<{ version: ModelVersion; aliases: string[] }>> {
    if (input.maxResults < 1 || input.maxResults > MAX_VERSION_RESULTS) {
      throw new InvalidParameterError(
        `Invalid value ${input.maxResults} for parameter 'max_results' supplied. It must be between 1 and ${MAX_VERSION_RESULTS}.`,
      );
    }
    const clauses = parseFilter(input.filter);
    checkAttributes(clauses, VERSION_FILTER_KEYS, 'model version');
    const order = parseOrderBy(input.orderBy, VERSION_ORDER_KEYS, 'model version');
    const offset = tokenOffset(input.pageToken);
    if (offset === undefined) throw new InvalidParameterError(`Invalid page token '${input.pageToken}'.`);

    // Narrow the read with an equality on the name (one partition) or the run (an index) when present.
    const name = equalityOn(clauses, 'name');
    const runId = equalityOn(clauses, 'run_id');
    const candidates =
      name !== undefined
        ? await this.#deps.store.listVersions(name)
        : runId !== undefined
          ? await this.#deps.store.listVersionsByRun(runId)
          : await this.#deps.store.listAllVersions();
    const found = candidates.filter((version) =>
      matches(clauses, {
        attribute: (key) =>
          key === 'name'
            ? version.name
            : key === 'version_number'
              ? version.version
              : key === 'run_id'
                ? version.runId
                : version.source,
        tag: (key) => version.tags[key],
      }),
    );
    const effective = order.length > 0 ? order : [{ key: 'last_updated_timestamp', descending: true }];
    const value = (v: ModelVersion, key: string): string | number =>
      key === 'name'
        ? v.name
        : key === 'version_number'
          ? v.version
          : key === 'last_updated_timestamp'
            ? v.lastUpdatedTimestamp
            : v.creationTimestamp;
    const tieBreak = [
      { key: 'name', descending: false },
      { key: 'version_number', descending: true },
    ];
    found.sort((a, b) => {
      for (const { key, descending } of [...effective, ...tieBreak]) {
        const left = value(a, key);
        const right = value(b, key);
        if (left !== right) return (left < right ? -1 : 1) * (descending ? -1 : 1);
      }
      return 0;
    });
    const page = found.slice(offset, offset + input.maxResults);
    const models = new Map<string, RegisteredModel | undefined>();
    for (const version of page) {
      if (!models.has(version.name)) models.set(version.name, await this.#deps.store.getModel(version.name));
    }
    return {
      items: page.map((version) => ({
        version,
        aliases: aliasesOf(models.get(version.name), version.version),
      })),
      ...(offset + input.maxResults < found.length
        ? { nextPageToken: offsetToken(offset + input.maxResults) }
        : {}),
    };
  }

  /** The model's existence check for callers that must fail on an unknown model. */
  async requireModel(name: string): Promise<RegisteredModel> {
    const model = await this.#deps.store.getModel(checkModelName(name));
    if (!model) throw modelNotFound(name);
    return model;
  }
}
