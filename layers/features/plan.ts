/**
 * `features plan` / `features apply`: the difference between a definitions file and the registry,
 * and writing it.
 *
 * Each object in the file is compared with the latest stored version of the same name:
 *
 * - **create** — not registered yet: version 1.
 * - **unchanged** — nothing to write.
 * - **update** — only changes that keep every consumer working (a feature added, a TTL or a
 *   description changed): the latest version is rewritten with its revision incremented.
 * - **new-version** — a change that breaks consumers (a feature removed, a type changed, other
 *   join keys, another source table or time column, a service feature now served by another view
 *   version): the old version stays as it was and the change becomes version + 1.
 *
 * Objects the file does not mention are left alone; references to them resolve to their latest
 * stored version. Apply writes entities, then views, then services, each write conditional on
 * the state the plan read, so a concurrent apply makes this one fail rather than interleave.
 */
import type { DefinitionFile, FieldPath } from './definition-file.ts';
import {
  type FeatureView,
  featureColumn,
  formatTtl,
  type JoinKey,
  type ObjectKind,
  type ResolvedFeature,
} from './definitions.ts';
import { DefinitionError, type DefinitionIssue } from './errors.ts';
import {
  describeKind,
  type FeatureRegistryStore,
  type ServiceSpec,
  type SpecOf,
  type StoredObject,
  type ViewSpec,
} from './registry-store.ts';

export type PlanAction = 'create' | 'unchanged' | 'update' | 'new-version';

export interface PlanEntry<K extends ObjectKind = ObjectKind> {
  readonly kind: K;
  readonly name: string;
  readonly action: PlanAction;
  /** The version the registry holds now (undefined for create). */
  readonly currentVersion?: number;
  readonly currentRevision?: number;
  /** What the registry holds for this object after apply. */
  readonly target: StoredObject<K>;
  /** Human-readable changes; for new-version, the breaking ones first. */
  readonly changes: readonly string[];
}

export interface Plan {
  readonly entries: readonly PlanEntry[];
}

/** Computes the plan of a definitions file against the registry; unknown references are DefinitionErrors. */
export async function planDefinitions(
  file: DefinitionFile,
  store: FeatureRegistryStore,
  now: Date = new Date(),
): Promise<Plan> {
  const timestamp = now.toISOString();
  const issues: DefinitionIssue[] = [];
  const entries: PlanEntry[] = [];
  const { definitions } = file;

  const entities = new Map<string, StoredObject<'entity'>>();
  for (const entity of definitions.entities) {
    const current = await store.latest('entity', entity.name);
    const breaking = current ? diffJoinKeys(current.spec.joinKeys, entity.joinKeys) : [];
    const soft = current && current.spec.description !== entity.description ? ['description changed'] : [];
    const entry = entryFor('entity', entity.name, entity, current, breaking, soft, timestamp);
    entries.push(entry);
    entities.set(entity.name, entry.target);
  }
  const entityNamed = async (name: string, path: FieldPath) => {
    const found = entities.get(name) ?? (await store.latest('entity', name));
    if (!found) issues.push(file.issueAt(path, `unknown entity '${name}'`));
    return found;
  };

  const views = new Map<string, StoredObject<'featureView'>>();
  for (const [index, view] of definitions.featureViews.entries()) {
    const joinKeys: JoinKey[] = [];
    const entityVersions: Record<string, number> = {};
    for (const [entityIndex, entityName] of view.entities.entries()) {
      const entity = await entityNamed(entityName, ['featureViews', index, 'entities', entityIndex]);
      if (!entity) continue;
      joinKeys.push(...entity.spec.joinKeys);
      entityVersions[entityName] = entity.version;
    }
    const spec: ViewSpec = { ...view, joinKeys, entityVersions };
    const current = await store.latest('featureView', view.name);
    const [breaking, soft] = current ? diffView(current.spec, spec) : [[], []];
    const entry = entryFor('featureView', view.name, spec, current, breaking, soft, timestamp);
    entries.push(entry);
    views.set(view.name, entry.target);
  }

  for (const [index, service] of definitions.featureServices.entries()) {
    const resolved: ResolvedFeature[] = [];
    for (const [referenceIndex, reference] of service.features.entries()) {
      const path = ['featureServices', index, 'features', referenceIndex];
      const view = views.get(reference.view) ?? (await store.latest('featureView', reference.view));
      if (!view) {
        issues.push(file.issueAt([...path, 'view'], `unknown feature view '${reference.view}'`));
        continue;
      }
      const names = reference.features ?? view.spec.features.map((feature) => feature.name);
      for (const [featureIndex, name] of names.entries()) {
        const feature = view.spec.features.find((candidate) => candidate.name === name);
        if (!feature) {
          issues.push(
            file.issueAt(
              [...path, 'features', featureIndex],
              `feature view '${view.name}' has no feature '${name}'`,
            ),
          );
          continue;
        }
        resolved.push({
          view: view.name,
          viewVersion: view.version,
          feature: name,
          type: feature.type,
          column: featureColumn(view.name, name),
        });
      }
    }
    const spec: ServiceSpec = { ...service, resolved };
    const current = await store.latest('featureService', service.name);
    const [breaking, soft] = current ? diffService(current.spec, spec) : [[], []];
    entries.push(entryFor('featureService', service.name, spec, current, breaking, soft, timestamp));
  }

  if (issues.length > 0) throw new DefinitionError(file.source, issues);
  return { entries };
}

/** Writes a plan. Conflicts with a concurrent apply surface as FeatureRegistryConflictError. */
export async function applyPlan(plan: Plan, store: FeatureRegistryStore): Promise<void> {
  for (const entry of plan.entries) {
    if (entry.action === 'create' || entry.action === 'new-version') {
      await store.createVersion(entry.target);
    } else if (entry.action === 'update') {
      await store.updateVersion(entry.target, entry.currentRevision as number);
    }
  }
}

/** The plan as the CLI prints it, one line per object. */
export function formatPlan(plan: Plan): string {
  const symbol: Record<PlanAction, string> = { create: '+', unchanged: '=', update: '~', 'new-version': '!' };
  return plan.entries
    .map((entry) => {
      const what = `${describeKind(entry.kind)} ${entry.name}`;
      const head =
        entry.action === 'create'
          ? `${what}: create v${entry.target.version}`
          : entry.action === 'unchanged'
            ? `${what}: unchanged (v${entry.target.version})`
            : entry.action === 'update'
              ? `${what}: update v${entry.target.version} in place`
              : `${what}: new version v${entry.target.version} (v${entry.currentVersion} kept; breaking change)`;
      return [`${symbol[entry.action]} ${head}`, ...entry.changes.map((change) => `    ${change}`)].join(
        '\n',
      );
    })
    .join('\n');
}

function entryFor<K extends ObjectKind>(
  kind: K,
  name: string,
  spec: SpecOf[K],
  current: StoredObject<K> | undefined,
  breaking: readonly string[],
  soft: readonly string[],
  timestamp: string,
): PlanEntry<K> {
  if (!current) {
    return {
      kind,
      name,
      action: 'create',
      target: { kind, name, version: 1, revision: 1, spec, createdAt: timestamp, updatedAt: timestamp },
      changes: [],
    };
  }
  const base = { kind, name, currentVersion: current.version, currentRevision: current.revision };
  if (breaking.length > 0) {
    return {
      ...base,
      action: 'new-version',
      target: {
        kind,
        name,
        version: current.version + 1,
        revision: 1,
        spec,
        createdAt: timestamp,
        updatedAt: timestamp,
      },
      changes: [...breaking, ...soft],
    };
  }
  if (soft.length > 0) {
    return {
      ...base,
      action: 'update',
      target: { ...current, revision: current.revision + 1, spec, updatedAt: timestamp },
      changes: soft,
    };
  }
  return { ...base, action: 'unchanged', target: current, changes: [] };
}

function diffJoinKeys(before: readonly JoinKey[], after: readonly JoinKey[]): string[] {
  const text = (keys: readonly JoinKey[]) => keys.map((key) => `${key.name}:${key.type}`).join(', ');
  return text(before) === text(after) ? [] : [`join keys changed: (${text(before)}) → (${text(after)})`];
}

function diffView(before: ViewSpec, after: ViewSpec): [string[], string[]] {
  const breaking: string[] = [];
  const soft: string[] = [];
  breaking.push(...diffJoinKeys(before.joinKeys, after.joinKeys));
  if (before.entities.join(',') !== after.entities.join(',')) {
    breaking.push(`entities changed: ${before.entities.join(', ')} → ${after.entities.join(', ')}`);
  }
  const source = (key: keyof FeatureView['source']) => {
    if (before.source[key] !== after.source[key]) {
      breaking.push(
        `source ${key} changed: ${before.source[key] ?? '(none)'} → ${after.source[key] ?? '(none)'}`,
      );
    }
  };
  source('table');
  source('eventTimeColumn');
  source('createdTimeColumn');
  for (const feature of before.features) {
    const now = after.features.find((candidate) => candidate.name === feature.name);
    if (!now) breaking.push(`removed feature ${feature.name}`);
    else if (now.type !== feature.type)
      breaking.push(`feature ${feature.name} type ${feature.type} → ${now.type}`);
    else if (now.description !== feature.description)
      soft.push(`feature ${feature.name} description changed`);
  }
  for (const feature of after.features) {
    if (!before.features.some((candidate) => candidate.name === feature.name)) {
      soft.push(`added feature ${feature.name} (${feature.type})`);
    }
  }
  if (before.ttl !== after.ttl) soft.push(`ttl ${formatTtl(before.ttl)} → ${formatTtl(after.ttl)}`);
  if (before.description !== after.description) soft.push('description changed');
  return [breaking, soft];
}

function diffService(before: ServiceSpec, after: ServiceSpec): [string[], string[]] {
  const breaking: string[] = [];
  const soft: string[] = [];
  for (const feature of before.resolved) {
    const now = after.resolved.find((candidate) => candidate.column === feature.column);
    if (!now) breaking.push(`removed feature ${feature.view}.${feature.feature}`);
    else if (now.type !== feature.type) {
      breaking.push(`feature ${feature.view}.${feature.feature} type ${feature.type} → ${now.type}`);
    } else if (now.viewVersion !== feature.viewVersion) {
      breaking.push(
        `feature ${feature.view}.${feature.feature} now from view v${now.viewVersion} (was v${feature.viewVersion})`,
      );
    }
  }
  for (const feature of after.resolved) {
    if (!before.resolved.some((candidate) => candidate.column === feature.column)) {
      soft.push(`added feature ${feature.view}.${feature.feature} (${feature.type})`);
    }
  }
  const order = (spec: ServiceSpec) => spec.resolved.map((feature) => feature.column).join(',');
  if (breaking.length === 0 && soft.length === 0 && order(before) !== order(after))
    soft.push('feature order changed');
  if (before.description !== after.description) soft.push('description changed');
  return [breaking, soft];
}
