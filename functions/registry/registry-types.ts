/**
 * The registry's domain values, as the core and the store see them (the MLflow wire shapes are
 * produced from these in `wire-format.ts`).
 */

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

export interface RegisteredModel {
  readonly name: string;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
  readonly description?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Alias → version number. */
  readonly aliases: Readonly<Record<string, number>>;
  /** Highest version number handed out so far (0 before the first version). */
  readonly lastVersion: number;
}

/** A lakehouse table at one version, e.g. `features.customers@12`. */
export interface TableRef {
  readonly table: string;
  /** Delta table version; undefined when the producer did not record one. */
  readonly version?: number;
}

/** A versioned feature store object, e.g. a feature service `churn@3`. */
export interface FeatureRef {
  readonly name: string;
  readonly version?: number;
}

/** Where a version that was promoted from another registry came from. */
export interface PromotionSource {
  readonly registry: string;
  readonly account?: string;
  readonly region?: string;
  readonly model: string;
  readonly version: string;
  /** The run the source version came from (it lives in the source account's tracking store). */
  readonly runId?: string;
}

/** What a model version was made from, recorded when the version is created. */
export interface VersionLineage {
  readonly runId?: string;
  readonly experimentId?: string;
  readonly source: string;
  readonly trainingSets: readonly TableRef[];
  readonly sourceTables: readonly TableRef[];
  readonly featureService?: FeatureRef;
  readonly featureViews: readonly FeatureRef[];
  readonly gitSha?: string;
  readonly promotedFrom?: PromotionSource;
}

export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
  readonly currentStage: Stage;
  readonly description: string;
  readonly source: string;
  readonly runId?: string;
  readonly runLink: string;
  readonly userId?: string;
  readonly modelId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly lineage: VersionLineage;
}

/** What a registry change was. */
export type AuditAction =
  | 'model.created'
  | 'model.updated'
  | 'model.renamed'
  | 'model.deleted'
  | 'model.tag.set'
  | 'model.tag.deleted'
  | 'alias.set'
  | 'alias.deleted'
  | 'version.created'
  | 'version.updated'
  | 'version.deleted'
  | 'version.tag.set'
  | 'version.tag.deleted'
  | 'version.stage.transitioned';

/** One entry of the audit trail: who changed what, when, from what to what. */
export interface AuditRecord {
  readonly id: string;
  readonly model: string;
  readonly action: AuditAction;
  /** `done` for an applied change; `refused` for a move an approval rule stopped (nothing changed). */
  readonly outcome: 'done' | 'refused';
  readonly principal: string;
  readonly timestamp: number;
  readonly version?: string;
  readonly alias?: string;
  readonly key?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  /** Why a move was refused. */
  readonly reason?: string;
}
