/**
 * The registry core for registered models and aliases: validation, approval rules, the change
 * itself (through the store) and its record (audit + event). Pure of I/O setup: the store, the
 * recorder and the clock are handed in.
 */
import { InvalidParameterError, PermissionDeniedError } from '../../layers/runtime/errors.ts';
import type { Principal } from '../../layers/runtime/http/request.ts';
import {
  APPROVAL_TAG_PREFIX,
  checkRule,
  evaluationMetrics,
  parseRule,
  protectedAliases,
  RULE_TAG,
  ruleFor,
} from './approval-rules.ts';
import type { ChangeRecorder } from './change-recorder.ts';
import { ApprovalRefusedError, modelNotFound, versionNotFound } from './registry-errors.ts';
import type { RegistryStore } from './registry-store.ts';
import type { ModelVersion, RegisteredModel, Stage } from './registry-types.ts';
import { checkAttributes, matches, parseFilter } from './search-filter.ts';
import { checkAlias, checkModelName, checkTag, parseVersion } from './validation.ts';
import { latestPerStage, offsetToken, tokenOffset } from './wire-format.ts';

export interface ModelServiceDeps {
  readonly store: RegistryStore;
  readonly recorder: ChangeRecorder;
  readonly clock: () => number;
  /** Aliases protected when a model does not configure its own. @default ['champion'] */
  readonly protectedAliases: readonly string[];
}

/** Whether the caller holds the admin scope (`mlops/admin`, or any resource server's `/admin`). */
export function isAdmin(principal: Principal): boolean {
  return principal.scopes.some((scope) => scope === 'admin' || scope.endsWith('/admin'));
}

const MODEL_ORDER_KEYS = ['name', 'creation_timestamp', 'last_updated_timestamp', 'timestamp'];

export interface SearchPage<T> {
  readonly items: T[];
  readonly nextPageToken?: string;
}

export class ModelService {
  readonly #deps: ModelServiceDeps;

  constructor(deps: ModelServiceDeps) {
    this.#deps = deps;
  }

  async create(
    actor: Principal,
    input: { name: string; tags: Record<string, string>; description?: string },
  ): Promise<RegisteredModel> {
    const name = checkModelName(input.name);
    for (const [key, value] of Object.entries(input.tags)) {
      checkTag(key, value);
      this.#checkApprovalTag(actor, key, value);
    }
    const now = this.#deps.clock();
    const model: RegisteredModel = {
      name,
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
      ...(input.description === undefined ? {} : { description: input.description }),
      tags: input.tags,
      aliases: {},
      lastVersion: 0,
    };
    await this.#deps.store.createModel(model);
    await this.#deps.recorder.record(actor.id, [
      { model: name, action: 'model.created', after: { description: model.description, tags: model.tags } },
    ]);
    return model;
  }

  async get(name: string): Promise<{ model: RegisteredModel; versions: ModelVersion[] }> {
    const found = await this.#deps.store.getModelWithVersions(checkModelName(name));
    if (!found) throw modelNotFound(name);
    return found;
  }

  async update(actor: Principal, name: string, description: string | undefined): Promise<RegisteredModel> {
    const before = await this.#require(name);
    const model = await this.#deps.store.updateModel(name, {
      ...(description === undefined ? {} : { description }),
      lastUpdatedTimestamp: this.#deps.clock(),
    });
    await this.#deps.recorder.record(actor.id, [
      {
        model: name,
        action: 'model.updated',
        before: { description: before.description },
        after: { description },
      },
    ]);
    return model;
  }

  async rename(actor: Principal, name: string, newName: string): Promise<void> {
    checkModelName(name);
    checkModelName(newName);
    await this.#deps.store.renameModel(name, newName, this.#deps.clock());
    await this.#deps.recorder.record(actor.id, [
      { model: name, action: 'model.renamed', before: { name }, after: { name: newName } },
      { model: newName, action: 'model.renamed', before: { name }, after: { name: newName } },
    ]);
  }

  async delete(actor: Principal, name: string): Promise<void> {
    const found = await this.get(name);
    for (const alias of Object.keys(found.model.aliases)) this.assertMayMove(actor, found.model, alias);
    await this.#deps.store.deleteModel(name);
    await this.#deps.recorder.record(actor.id, [
      {
        model: name,
        action: 'model.deleted',
        before: {
          versions: found.versions.map((version) => String(version.version)),
          aliases: found.model.aliases,
          tags: found.model.tags,
        },
      },
    ]);
  }

  async setTag(actor: Principal, name: string, key: string, value: string): Promise<void> {
    checkModelName(name);
    checkTag(key, value);
    this.#checkApprovalTag(actor, key, value);
    const before = await this.#deps.store.setModelTag(name, key, value, this.#deps.clock());
    await this.#deps.recorder.record(actor.id, [
      {
        model: name,
        action: 'model.tag.set',
        key,
        ...(before === undefined ? {} : { before }),
        after: value,
      },
    ]);
  }

  async deleteTag(actor: Principal, name: string, key: string): Promise<void> {
    checkModelName(name);
    this.#checkApprovalTag(actor, key, undefined);
    const before = await this.#deps.store.deleteModelTag(name, key, this.#deps.clock());
    await this.#deps.recorder.record(actor.id, [
      { model: name, action: 'model.tag.deleted', key, ...(before === undefined ? {} : { before }) },
    ]);
  }

  /**
   * Points an alias at a version. A protected alias needs the admin scope and, when the version
   * carries evaluation metrics, a passing check against the model's rule; a refused move changes
   * nothing and is audited as `refused`.
   */
  async setAlias(actor: Principal, name: string, aliasName: string, versionText: string): Promise<void> {
    checkModelName(name);
    const alias = checkAlias(aliasName);
    const versionNumber = parseVersion(versionText);
    const [model, version] = await Promise.all([
      this.#deps.store.getModel(name),
      this.#deps.store.getVersion(name, versionNumber),
    ]);
    if (!model) throw modelNotFound(name);
    if (!version) throw versionNotFound(name, versionNumber);
    try {
      this.assertMayMove(actor, model, alias);
      await this.#checkRule(model, alias, version);
    } catch (error) {
      if (error instanceof ApprovalRefusedError) {
        await this.#deps.recorder.record(actor.id, [
          {
            model: name,
            action: 'alias.set',
            outcome: 'refused',
            alias,
            version: String(versionNumber),
            ...(model.aliases[alias] === undefined ? {} : { before: String(model.aliases[alias]) }),
            after: String(versionNumber),
            reason: error.message,
          },
        ]);
      }
      throw error;
    }
    const before = await this.#deps.store.setAlias(name, alias, versionNumber, this.#deps.clock());
    await this.#deps.recorder.record(actor.id, [
      {
        model: name,
        action: 'alias.set',
        alias,
        version: String(versionNumber),
        ...(before === undefined ? {} : { before: String(before) }),
        after: String(versionNumber),
      },
    ]);
  }

  async deleteAlias(actor: Principal, name: string, aliasName: string): Promise<void> {
    checkModelName(name);
    const model = await this.#require(name);
    if (model.aliases[aliasName] !== undefined) this.assertMayMove(actor, model, aliasName);
    const before = await this.#deps.store.deleteAlias(name, aliasName, this.#deps.clock());
    if (before === undefined) return;
    await this.#deps.recorder.record(actor.id, [
      { model: name, action: 'alias.deleted', alias: aliasName, before: String(before) },
    ]);
  }

  /** The version an alias points at; an unknown alias is INVALID_PARAMETER_VALUE, as in MLflow. */
  async versionByAlias(
    name: string,
    alias: string,
  ): Promise<{ model: RegisteredModel; version: ModelVersion }> {
    const model = await this.#require(name);
    const target = model.aliases[alias];
    if (target === undefined) throw new InvalidParameterError(`Registered model alias ${alias} not found.`);
    const version = await this.#deps.store.getVersion(name, target);
    if (!version) throw new InvalidParameterError(`Registered model alias ${alias} not found.`);
    return { model, version };
  }

  async latestVersions(
    name: string,
    stages: readonly Stage[],
  ): Promise<{ model: RegisteredModel; versions: ModelVersion[] }> {
    const found = await this.get(name);
    return { model: found.model, versions: latestPerStage(found.versions, stages) };
  }

  async search(input: {
    filter?: string;
    maxResults: number;
    orderBy: readonly string[];
    pageToken?: string;
  }): Promise<SearchPage<{ model: RegisteredModel; versions: ModelVersion[] }>> {
    if (input.maxResults < 1 || input.maxResults > 1000) {
      throw new InvalidParameterError(
        `Invalid value ${input.maxResults} for parameter 'max_results' supplied. It must be between 1 and 1000.`,
      );
    }
    const clauses = parseFilter(input.filter);
    checkAttributes(clauses, ['name'], 'registered model');
    const order = parseOrderBy(input.orderBy, MODEL_ORDER_KEYS, 'registered model');
    const offset = tokenOffset(input.pageToken);
    if (offset === undefined) throw new InvalidParameterError(`Invalid page token '${input.pageToken}'.`);
    const models = (await this.#deps.store.listModels()).filter((model) =>
      matches(clauses, {
        attribute: (key) => (key === 'name' ? model.name : undefined),
        tag: (key) => model.tags[key],
      }),
    );
    const value = (model: RegisteredModel, key: string): string | number =>
      key === 'name'
        ? model.name
        : key === 'creation_timestamp'
          ? model.creationTimestamp
          : model.lastUpdatedTimestamp;
    models.sort((a, b) => {
      for (const { key, descending } of [...order, { key: 'name', descending: false }]) {
        const left = value(a, key === 'timestamp' ? 'creation_timestamp' : key);
        const right = value(b, key === 'timestamp' ? 'creation_timestamp' : key);
        if (left !== right) return (left < right ? -1 : 1) * (descending ? -1 : 1);
      }
      return 0;
    });
    const page = models.slice(offset, offset + input.maxResults);
    const items = await Promise.all(
      page.map(async (model) => ({ model, versions: await this.#deps.store.listVersions(model.name) })),
    );
    return {
      items,
      ...(offset + input.maxResults < models.length
        ? { nextPageToken: offsetToken(offset + input.maxResults) }
        : {}),
    };
  }

  async #require(name: string): Promise<RegisteredModel> {
    const model = await this.#deps.store.getModel(checkModelName(name));
    if (!model) throw modelNotFound(name);
    return model;
  }

  /** Throws ApprovalRefusedError (403) when `alias` is protected and the caller is not an admin. */
  assertMayMove(actor: Principal, model: RegisteredModel, alias: string): void {
    const guarded = protectedAliases(model.tags, this.#deps.protectedAliases);
    if (!guarded.includes(alias) || isAdmin(actor)) return;
    throw new ApprovalRefusedError(
      'PERMISSION_DENIED',
      `Alias '${alias}' of model '${model.name}' is protected (protected aliases: ${guarded.join(', ')}): moving it requires the admin scope.`,
      'admin scope',
    );
  }

  async #checkRule(model: RegisteredModel, alias: string, version: ModelVersion): Promise<void> {
    if (!protectedAliases(model.tags, this.#deps.protectedAliases).includes(alias)) return;
    const candidate = evaluationMetrics(version.tags);
    if (Object.keys(candidate).length === 0) return;
    const rule = ruleFor(model.tags, alias);
    if (!rule) return;
    const holderVersion = model.aliases[alias];
    const holder =
      holderVersion === undefined || holderVersion === version.version
        ? undefined
        : await this.#deps.store.getVersion(model.name, holderVersion);
    const failure = checkRule(rule, candidate, holder ? evaluationMetrics(holder.tags) : undefined);
    if (failure === undefined) return;
    throw new ApprovalRefusedError(
      'INVALID_STATE',
      `Moving alias '${alias}' of model '${model.name}' to version ${version.version} was refused by the approval rule '${rule.text}': ${failure}.`,
      rule.text,
    );
  }

  /** Approval tags change the rules, so changing them needs the admin scope; rules must parse. */
  #checkApprovalTag(actor: Principal, key: string, value: string | undefined): void {
    if (!key.startsWith(APPROVAL_TAG_PREFIX)) return;
    if (!isAdmin(actor)) {
      throw new PermissionDeniedError(`Changing the approval tag '${key}' requires the admin scope.`);
    }
    if (value !== undefined && (key === RULE_TAG || key.startsWith(`${RULE_TAG}.`))) parseRule(value);
  }
}

/** Parses `order_by` entries (`key [ASC|DESC]`) against the keys an entity can be ordered by. */
export function parseOrderBy(
  orderBy: readonly string[],
  allowed: readonly string[],
  entity: string,
): { key: string; descending: boolean }[] {
  const seen = new Set<string>();
  return orderBy.map((entry) => {
    const match = /^\s*(?:attributes?\.)?([\w]+)\s*(ASC|DESC)?\s*$/i.exec(entry);
    const key = match?.[1];
    if (!match || !key || !allowed.includes(key)) {
      throw new InvalidParameterError(
        `Invalid order_by clause '${entry}' for ${entity} search. Valid keys are ${allowed.join(', ')}.`,
      );
    }
    if (seen.has(key)) throw new InvalidParameterError(`order_by contains duplicate fields: ${entry}`);
    seen.add(key);
    return { key, descending: (match[2] ?? 'ASC').toUpperCase() === 'DESC' };
  });
}
