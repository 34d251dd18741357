/**
 * The registry's values in MLflow's JSON (proto2 semantics: unset fields and empty lists omitted,
 * keys in proto order). RegisteredModel lists aliases as `{alias, version}` objects; ModelVersion
 * lists the aliases pointing at it as plain strings.
 */
import type { AuditRecord, ModelVersion, RegisteredModel, Stage } from './registry-types.ts';

export interface WireModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: Stage;
  description: string;
  source: string;
  run_id?: string;
  status: 'READY';
  tags?: { key: string; value: string }[];
  run_link: string;
  aliases?: string[];
}

function tagList(tags: Readonly<Record<string, string>>): { key: string; value: string }[] | undefined {
  const entries = Object.entries(tags);
  return entries.length === 0 ? undefined : entries.map(([key, value]) => ({ key, value }));
}

/** The aliases of a model that point at `version`, in alias order. */
export function aliasesOf(model: RegisteredModel | undefined, version: number): string[] {
  if (!model) return [];
  return Object.entries(model.aliases)
    .filter(([, target]) => target === version)
    .map(([alias]) => alias)
    .sort();
}

export function wireVersion(version: ModelVersion, aliases: readonly string[] = []): WireModelVersion {
  const tags = tagList(version.tags);
  return {
    name: version.name,
    version: String(version.version),
    creation_timestamp: version.creationTimestamp,
    last_updated_timestamp: version.lastUpdatedTimestamp,
    current_stage: version.currentStage,
    description: version.description,
    source: version.source,
    ...(version.runId ? { run_id: version.runId } : {}),
    status: 'READY',
    ...(tags ? { tags } : {}),
    run_link: version.runLink,
    ...(aliases.length > 0 ? { aliases: [...aliases] } : {}),
  };
}

/** The latest version per stage, in version order (RegisteredModel.latest_versions). */
export function latestPerStage(versions: readonly ModelVersion[], stages?: readonly Stage[]): ModelVersion[] {
  const latest = new Map<Stage, ModelVersion>();
  for (const version of versions) {
    if (stages && stages.length > 0 && !stages.includes(version.currentStage)) continue;
    const current = latest.get(version.currentStage);
    if (!current || current.version < version.version) latest.set(version.currentStage, version);
  }
  return [...latest.values()].sort((a, b) => a.version - b.version);
}

export function wireModel(
  model: RegisteredModel,
  versions?: readonly ModelVersion[],
): Record<string, unknown> {
  const tags = tagList(model.tags);
  const latest = versions ? latestPerStage(versions).map((version) => wireVersion(version)) : [];
  const aliases = Object.entries(model.aliases)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([alias, version]) => ({ alias, version: String(version) }));
  return {
    name: model.name,
    creation_timestamp: model.creationTimestamp,
    last_updated_timestamp: model.lastUpdatedTimestamp,
    ...(model.description !== undefined && model.description !== ''
      ? { description: model.description }
      : {}),
    ...(latest.length > 0 ? { latest_versions: latest } : {}),
    ...(tags ? { tags } : {}),
    ...(aliases.length > 0 ? { aliases } : {}),
  };
}

export function wireAudit(record: AuditRecord): Record<string, unknown> {
  return {
    id: record.id,
    timestamp: record.timestamp,
    principal: record.principal,
    model: record.model,
    action: record.action,
    outcome: record.outcome,
    ...(record.version === undefined ? {} : { version: record.version }),
    ...(record.alias === undefined ? {} : { alias: record.alias }),
    ...(record.key === undefined ? {} : { key: record.key }),
    ...(record.before === undefined ? {} : { before: record.before }),
    ...(record.after === undefined ? {} : { after: record.after }),
    ...(record.reason === undefined ? {} : { reason: record.reason }),
  };
}

/** MLflow's page token: base64 of `{"offset": N}` (opaque to clients). */
export function offsetToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`).toString('base64');
}

export function tokenOffset(token: string | undefined): number | undefined {
  if (!token) return 0;
  try {
    const value = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    const offset = value.offset;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}
