/**
 * Lineage: what a model version was made from.
 *
 * Recorded once, when the version is created, from two places (the version's tags win over the
 * run's, so a pipeline can state lineage on either):
 *
 * - the run (looked up in the tracking store): its experiment, its dataset inputs (a dataset named
 *   `<table>@<version>`, or whose source is JSON with `table`/`path` and `version`, is a training
 *   set), and its tags;
 * - the tags below, on the version or on the run:
 *
 *   mlops.lineage.training_set    customers_train@12            (comma-separated for several)
 *   mlops.lineage.source_tables   raw.customers@40,raw.orders@7
 *   mlops.lineage.feature_service churn@3
 *   mlops.lineage.feature_views   customer_stats@2,order_stats@1
 *   mlops.git_sha / mlflow.source.git.commit   the code revision
 *   mlops.promoted_from           JSON {registry, account, region, model, version} (set by promote)
 */
import type { FeatureRef, PromotionSource, TableRef, VersionLineage } from './registry-types.ts';

export const LINEAGE_TAGS = {
  trainingSet: 'mlops.lineage.training_set',
  sourceTables: 'mlops.lineage.source_tables',
  featureService: 'mlops.lineage.feature_service',
  featureViews: 'mlops.lineage.feature_views',
  gitSha: 'mlops.git_sha',
  mlflowGitCommit: 'mlflow.source.git.commit',
  promotedFrom: 'mlops.promoted_from',
} as const;

/** A dataset input of a run, as MLflow records it. */
export interface RunDataset {
  readonly name: string;
  readonly digest?: string;
  readonly sourceType?: string;
  readonly source?: string;
  /** The `mlflow.data.context` input tag (`training`, `evaluation`, ...). */
  readonly context?: string;
}

/** What the registry needs to know about a run. */
export interface RunSummary {
  readonly runId: string;
  readonly experimentId: string;
  readonly status?: string;
  readonly artifactUri?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly datasets: readonly RunDataset[];
}

/** Reads runs from the tracking store. Resolves undefined for an unknown run or model. */
export interface RunLookup {
  getRun(runId: string): Promise<RunSummary | undefined>;
  /** The artifact URI of an MLflow 3 logged model (what a `models:/<model_id>` source means). */
  loggedModelArtifactUri?(modelId: string): Promise<string | undefined>;
}

/** `name@version` → reference (a missing or non-numeric version stays undefined). */
export function parseRef(text: string): { name: string; version?: number } {
  const at = text.lastIndexOf('@');
  if (at <= 0) return { name: text.trim() };
  const version = Number(text.slice(at + 1));
  return {
    name: text.slice(0, at).trim(),
    ...(Number.isInteger(version) && text.slice(at + 1).trim() !== '' ? { version } : {}),
  };
}

function refList(text: string | undefined): { name: string; version?: number }[] {
  if (text === undefined) return [];
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(parseRef);
}

function asTables(refs: { name: string; version?: number }[]): TableRef[] {
  return refs.map((ref) => ({
    table: ref.name,
    ...(ref.version === undefined ? {} : { version: ref.version }),
  }));
}

function tableFromDataset(dataset: RunDataset): TableRef | undefined {
  if (dataset.source) {
    try {
      const source = JSON.parse(dataset.source) as Record<string, unknown>;
      const table = source.table ?? source.path ?? source.uri;
      const version = Number(source.version);
      if (typeof table === 'string') {
        return { table, ...(Number.isInteger(version) && source.version !== undefined ? { version } : {}) };
      }
    } catch {
      // not a JSON source: the name may still carry table@version
    }
  }
  if (dataset.name.includes('@')) {
    const ref = parseRef(dataset.name);
    return { table: ref.name, ...(ref.version === undefined ? {} : { version: ref.version }) };
  }
  return undefined;
}

function promotion(text: string | undefined): PromotionSource | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<PromotionSource>;
    if (
      typeof value.model === 'string' &&
      value.version !== undefined &&
      typeof value.registry === 'string'
    ) {
      return {
        registry: value.registry,
        model: value.model,
        version: String(value.version),
        ...(value.account ? { account: String(value.account) } : {}),
        ...(value.region ? { region: String(value.region) } : {}),
        ...(value.runId ? { runId: String(value.runId) } : {}),
      };
    }
  } catch {
    // a malformed tag records no promotion source
  }
  return undefined;
}

/** The lineage of a new version, from its source, its tags and its run (when found). */
export function buildLineage(
  source: string,
  runId: string | undefined,
  versionTags: Readonly<Record<string, string>>,
  run: RunSummary | undefined,
): VersionLineage {
  const tags = { ...(run?.tags ?? {}), ...versionTags };
  const fromRun = (run?.datasets ?? [])
    .filter((dataset) => dataset.context === undefined || dataset.context === 'training')
    .map(tableFromDataset)
    .filter((ref): ref is TableRef => ref !== undefined);
  const declared = asTables(refList(tags[LINEAGE_TAGS.trainingSet]));
  const trainingSets = dedupe([...declared, ...fromRun]);
  const service = refList(tags[LINEAGE_TAGS.featureService])[0];
  const featureService: FeatureRef | undefined = service;
  const gitSha = tags[LINEAGE_TAGS.gitSha] ?? tags[LINEAGE_TAGS.mlflowGitCommit];
  const promotedFrom = promotion(tags[LINEAGE_TAGS.promotedFrom]);
  return {
    ...(runId ? { runId } : {}),
    ...(run ? { experimentId: run.experimentId } : {}),
    source,
    trainingSets,
    sourceTables: dedupe(asTables(refList(tags[LINEAGE_TAGS.sourceTables]))),
    ...(featureService ? { featureService } : {}),
    featureViews: refList(tags[LINEAGE_TAGS.featureViews]),
    ...(gitSha ? { gitSha } : {}),
    ...(promotedFrom ? { promotedFrom } : {}),
  };
}

function dedupe(tables: TableRef[]): TableRef[] {
  const seen = new Set<string>();
  return tables.filter((ref) => {
    const key = `${ref.table}@${ref.version ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A prediction row's `model_version` value → model and version. Accepted forms: `models:/<name>/<n>`,
 * `<name>/<n>`, `<name>@<n>`, `<name>:<n>`, or a bare `<n>` together with the model's name.
 */
export function parsePredictionModelVersion(
  value: string,
  name: string | undefined,
): { name: string; version: string } | undefined {
  const text = value.trim().replace(/^models:\//, '');
  const match = /^(.+)[/@:](\d+)$/.exec(text);
  if (match) return { name: match[1] as string, version: match[2] as string };
  if (/^\d+$/.test(text) && name) return { name, version: text };
  return undefined;
}
