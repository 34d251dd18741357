import { describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { parseStages } from '../../../infra/config/stages.ts';
import { deploymentInput } from '../../../scripts/promotion/deployment.ts';
import {
  DeploymentSettingsError,
  deploymentOptions,
  repositoryStages,
} from '../../../scripts/promotion/deployment-options.ts';

const instanceProd = () => {
  const stages = structuredClone(cdkJson.context['mlops:stages']) as Record<string, Record<string, unknown>>;
  stages.prod!.endpointType = 'instance';
  return parseStages(stages);
};

describe('deploymentOptions', () => {
  it("reads the target stage's endpoint type from the repository's cdk.json", () => {
    const stages = repositoryStages();
    expect(stages.prod?.endpointType).toBe('serverless');
    expect(deploymentOptions('prod', stages, {})).toEqual({ endpointType: 'serverless' });
  });

  it("deploys an instance endpoint when the stage says so, with the job's instance settings", () => {
    expect(
      deploymentOptions('prod', instanceProd(), {
        instanceType: 'ml.m5.large',
        instanceCount: 2,
        rollbackAlarms: ['churn-5xx'],
        smokeTable: 's3://lake/tables/rows',
      }),
    ).toEqual({
      endpointType: 'instance',
      instanceType: 'ml.m5.large',
      instanceCount: 2,
      rollbackAlarms: ['churn-5xx'],
      smokeTable: 's3://lake/tables/rows',
    });
  });

  it("lets the workflow's choice override the stage's and ignores instance settings for serverless", () => {
    expect(
      deploymentOptions('prod', instanceProd(), { endpointType: 'serverless', instanceType: 'ml.m5.large' }),
    ).toEqual({ endpointType: 'serverless' });
  });

  it('refuses an instance endpoint without its instance type or rollback alarms', () => {
    expect(() => deploymentOptions('prod', instanceProd(), { rollbackAlarms: ['a'] })).toThrow(
      new DeploymentSettingsError(
        'stage prod deploys instance endpoints: set MLOPS_INSTANCE_TYPE (e.g. ml.m5.large)',
      ),
    );
    expect(() => deploymentOptions('prod', instanceProd(), { instanceType: 'ml.m5.large' })).toThrow(
      /^stage prod deploys instance endpoints: set MLOPS_ROLLBACK_ALARMS/,
    );
  });

  it('defaults to serverless for a stage cdk.json does not list (a local platform)', () => {
    expect(deploymentOptions('local', repositoryStages(), {})).toEqual({ endpointType: 'serverless' });
  });
});

describe('deploymentInput', () => {
  it("carries the endpoint type and an instance endpoint's settings into the pipeline's input", () => {
    expect(
      deploymentInput({
        model: 'churn',
        version: '3',
        endpointType: 'instance',
        instanceType: 'ml.m5.large',
        rollbackAlarms: ['churn-5xx'],
      }),
    ).toEqual({
      model: 'churn',
      version: '3',
      endpointType: 'instance',
      instanceType: 'ml.m5.large',
      rollbackAlarms: ['churn-5xx'],
    });
    expect(
      deploymentInput({
        model: 'churn',
        version: '3',
        endpointType: 'serverless',
        instanceType: 'ml.m5.large',
      }),
    ).toEqual({ model: 'churn', version: '3', endpointType: 'serverless' });
  });
});
