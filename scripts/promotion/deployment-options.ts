/**
 * How a promotion deploys into the target stage, decided before anything is copied: the endpoint
 * type is the workflow's choice when one was made, otherwise the target stage's `endpointType` from
 * the `mlops:stages` context of `cdk.json` (the file the stage's stacks were deployed from), otherwise
 * serverless. An instance endpoint needs its instance type and the alarms that roll a blue/green
 * update back; a serverless one ignores them.
 */
import { readFileSync } from 'node:fs';
import { parseStages, STAGES_CONTEXT_KEY, type Stages } from '../../infra/config/stages.ts';
import type { DeploymentOptions, EndpointType } from './deployment.ts';

/** The settings that decide the deployment, as the job's environment gives them. */
export interface DeploymentSettings {
  /** The workflow's choice. @default the stage's */
  readonly endpointType?: EndpointType;
  readonly instanceType?: string;
  readonly instanceCount?: number;
  readonly rollbackAlarms?: readonly string[];
  readonly smokeTable?: string;
}

/** Settings that cannot make a deployment: the message names the setting to fix. */
export class DeploymentSettingsError extends Error {
  override readonly name = 'DeploymentSettingsError';
}

/** The stages of the repository's `cdk.json`. */
export function repositoryStages(file: URL | string = new URL('../../cdk.json', import.meta.url)): Stages {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return parseStages(json.context?.[STAGES_CONTEXT_KEY]);
}

/**
 * The deployment options for `stage`: the chosen or configured endpoint type with what it needs.
 * `stages` may lack the stage (a local platform): its default is then serverless.
 */
export function deploymentOptions(
  stage: string,
  stages: Stages,
  settings: DeploymentSettings,
): DeploymentOptions {
  const endpointType = settings.endpointType ?? stages[stage]?.endpointType ?? 'serverless';
  const smoke = settings.smokeTable ? { smokeTable: settings.smokeTable } : {};
  if (endpointType === 'serverless') return { endpointType, ...smoke };
  if (!settings.instanceType) {
    throw new DeploymentSettingsError(
      `stage ${stage} deploys instance endpoints: set MLOPS_INSTANCE_TYPE (e.g. ml.m5.large)`,
    );
  }
  if (!settings.rollbackAlarms || settings.rollbackAlarms.length === 0) {
    throw new DeploymentSettingsError(
      `stage ${stage} deploys instance endpoints: set MLOPS_ROLLBACK_ALARMS to the CloudWatch alarms (comma-separated) that roll an update back`,
    );
  }
  return {
    endpointType,
    instanceType: settings.instanceType,
    ...(settings.instanceCount ? { instanceCount: settings.instanceCount } : {}),
    rollbackAlarms: settings.rollbackAlarms,
    ...smoke,
  };
}
