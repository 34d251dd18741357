/**
 * The promotion job: one model version from a source registry (staging) into a target (prod),
 * deployed and smoke-tested there before the target's alias moves.
 *
 *   1. read   source version, its metrics; the target alias's current version (the "previous")
 *   2. copy   `mlops promote` (artifacts + registration with lineage; no alias)
 *      verify the copied files against the source's, byte for byte
 *   3. deploy the target's deployment pipeline for the new target version; wait for it
 *   4. smoke  invoke the endpoint the deployment reports with real rows
 *   5. alias  move the target alias to the new version — only now
 *
 * What must stay true: if anything fails, the target alias ends where it was before the job began.
 * Steps 1–4 never move it; should the pipeline have moved it and then failed, the job moves it back
 * (or removes it, if there was none). A re-run is safe: `mlops promote` is idempotent, so a second
 * run finds the same target version and deploys it again.
 */
import type { DeploymentOptions, DeploymentOutcome, DeploymentPipeline } from './deployment.ts';
import type { ModelVersionInfo, RegistryApi } from './registry-api.ts';
import type { SmokeResult, SmokeTest } from './smoke-test.ts';

export interface PromotionRequest {
  readonly model: string;
  readonly version: string;
  /** Alias moved in the target when everything passed. */
  readonly alias: string;
  /** Endpoint to smoke-test when the deployment output names none. @default from the deployment output */
  readonly endpointName?: string;
  /** CSV rows for the smoke test. */
  readonly smokeRows: string;
  /** How the target deploys the version (endpoint type and its settings). @default the pipeline's defaults */
  readonly deployment?: DeploymentOptions;
}

/** Copies the version into the target registry (what `mlops promote` does) and names the new version. */
export type CopyVersion = (request: {
  readonly model: string;
  readonly version: string;
}) => Promise<{ targetVersion: string; copiedFiles: number; alreadyPromoted: boolean }>;

/** Compares the artifacts of the source version with those of its copy; throws on a difference. */
export type VerifyCopy = (
  source: ModelVersionInfo,
  target: ModelVersionInfo,
) => Promise<{ files: number; bytes: number }>;

export interface PromotionDependencies {
  readonly source: RegistryApi;
  readonly target: RegistryApi;
  readonly copy: CopyVersion;
  readonly verify: VerifyCopy;
  readonly deployment: DeploymentPipeline;
  readonly smokeTest: SmokeTest;
  /** @default none */
  readonly log?: (line: string) => void;
}

export type PromotionStep = 'read' | 'copy' | 'verify' | 'deploy' | 'smoke-test' | 'alias';

export interface PromotionReport {
  readonly status: 'promoted' | 'failed';
  readonly model: string;
  readonly sourceVersion: string;
  readonly alias: string;
  readonly targetVersion?: string;
  /** The version the target alias pointed at before the job (undefined: no such alias). */
  readonly previousVersion?: string;
  /** Where the target alias points when the job ends. */
  readonly finalVersion?: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly copiedFiles?: number;
  /** Files and bytes found identical in source and target. */
  readonly verified?: { readonly files: number; readonly bytes: number };
  readonly deployment?: DeploymentOutcome & { readonly link: string };
  readonly endpointName?: string;
  /** How the deployment was asked to serve the model. */
  readonly endpointType?: DeploymentOptions['endpointType'];
  readonly smoke?: SmokeResult;
  readonly failedStep?: PromotionStep;
  readonly error?: string;
  /** The alias had moved during a failed run and was put back. */
  readonly aliasRestored?: boolean;
  readonly links: Readonly<Record<string, string>>;
}

const METRIC_TAG = /^mlops\.metric\.(.+)$/;

/** Runs the promotion; resolves to a report for success and failure alike (see the module comment). */
export async function runPromotion(
  request: PromotionRequest,
  deps: PromotionDependencies,
): Promise<PromotionReport> {
  const log = deps.log ?? (() => undefined);
  const versionLink = (registry: RegistryApi, version: string) =>
    `${registry.url}/api/2.0/mlflow/model-versions/get?name=${encodeURIComponent(request.model)}&version=${version}`;
  let report: PromotionReport = {
    status: 'failed',
    model: request.model,
    sourceVersion: request.version,
    alias: request.alias,
    metrics: {},
    ...(request.deployment ? { endpointType: request.deployment.endpointType } : {}),
    links: { source: versionLink(deps.source, request.version) },
  };
  let step: PromotionStep = 'read';
  let previousKnown = false;
  try {
    const sourceVersion = await deps.source.getVersion(request.model, request.version);
    const tagMetrics = Object.fromEntries(
      Object.entries(sourceVersion.tags)
        .map(([key, value]) => [METRIC_TAG.exec(key)?.[1], Number(value)] as const)
        .filter((entry): entry is [string, number] => entry[0] !== undefined && Number.isFinite(entry[1])),
    );
    const runMetrics = sourceVersion.runId ? await deps.source.getRunMetrics(sourceVersion.runId) : {};
    const previousVersion = await deps.target.getAlias(request.model, request.alias);
    previousKnown = true;
    report = {
      ...report,
      metrics: { ...runMetrics, ...tagMetrics },
      ...(previousVersion ? { previousVersion, finalVersion: previousVersion } : {}),
    };
    log(
      `${request.model} version ${request.version}; target ${request.alias} is ${previousVersion ? `version ${previousVersion}` : 'unset'}`,
    );

    step = 'copy';
    const copied = await deps.copy({ model: request.model, version: request.version });
    report = {
      ...report,
      targetVersion: copied.targetVersion,
      copiedFiles: copied.copiedFiles,
      links: { ...report.links, target: versionLink(deps.target, copied.targetVersion) },
    };
    log(
      `copied as target version ${copied.targetVersion}${copied.alreadyPromoted ? ' (promoted before)' : ''}`,
    );

    step = 'verify';
    const targetVersion = await deps.target.getVersion(request.model, copied.targetVersion);
    const verified = await deps.verify(sourceVersion, targetVersion);
    report = { ...report, verified };
    log(`verified ${verified.files} files (${verified.bytes} bytes) identical in source and target`);

    step = 'deploy';
    const outcome = await deps.deployment.run({
      ...request.deployment,
      model: request.model,
      version: copied.targetVersion,
    });
    const link = deps.deployment.link(outcome.executionArn);
    report = { ...report, deployment: { ...outcome, link }, links: { ...report.links, deployment: link } };
    if (outcome.status !== 'SUCCEEDED') {
      throw new Error(
        `deployment ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}${outcome.cause ? ` (${outcome.cause})` : ''}`,
      );
    }
    log(`deployed: ${outcome.executionArn}`);

    step = 'smoke-test';
    const endpointName =
      (typeof outcome.output?.endpointName === 'string' ? outcome.output.endpointName : undefined) ??
      request.endpointName;
    if (!endpointName) throw new Error('the deployment reported no endpointName and none was configured');
    const smoke = await deps.smokeTest.run(endpointName, request.smokeRows);
    report = { ...report, endpointName, smoke };
    if (!smoke.passed) throw new Error(`smoke test of ${endpointName} failed: ${smoke.reason}`);
    log(`smoke test passed: ${smoke.rows} rows`);

    step = 'alias';
    await deps.target.setAlias(request.model, request.alias, copied.targetVersion);
    log(`${request.alias} → version ${copied.targetVersion}`);
    return { ...report, status: 'promoted', finalVersion: copied.targetVersion };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`failed at ${step}: ${message}`);
    const failed: PromotionReport = { ...report, status: 'failed', failedStep: step, error: message };
    return previousKnown ? restoreAlias(failed, deps.target, log) : failed;
  }
}

/** Puts the target alias back where it was, if it moved; reports where it ends. */
async function restoreAlias(
  report: PromotionReport,
  target: RegistryApi,
  log: (line: string) => void,
): Promise<PromotionReport> {
  try {
    const now = await target.getAlias(report.model, report.alias);
    if (now === report.previousVersion) return { ...report, ...(now ? { finalVersion: now } : {}) };
    if (report.previousVersion) await target.setAlias(report.model, report.alias, report.previousVersion);
    else await target.deleteAlias(report.model, report.alias);
    log(`${report.alias} moved back to ${report.previousVersion ?? 'unset'}`);
    return { ...report, aliasRestored: true };
  } catch (error) {
    const { finalVersion: _unknown, ...rest } = report;
    return {
      ...rest,
      error: `${report.error}; and the alias could not be checked or restored: ${(error as Error).message}`,
    };
  }
}
