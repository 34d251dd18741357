import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { Pipeline } from '../../../infra/constructs/pipeline.ts';
import { KitAwsSolutionsChecks } from '../../../infra/nag.ts';
import type { PipelineDefinition } from '../../../infra/platform/pipelines.ts';
import { DataStack } from '../../../infra/stacks/data-stack.ts';

const env = { account: '111111111111', region: 'eu-west-1' };
const task = {
  entry: 'functions/platform/handler.ts',
  description: 'task',
  tables: { platform: 'readwrite' as const },
  buckets: {},
};
const definition: PipelineDefinition = {
  logicalId: 'SamplePipeline',
  file: 'test/fixtures/state-machines/sample.asl.json',
  description: 'sample pipeline',
  tasks: { PrepareFunction: task, ScoreFunction: task },
  resources: { StateTable: { kind: 'table', table: 'platform' } },
};

function build(pipeline: PipelineDefinition = definition) {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new KitAwsSolutionsChecks(app));
  const data = new DataStack(app, 'Data', { env, stage: 'dev' });
  const stack = new Stack(app, 'Pipelines', { env });
  new Pipeline(stack, 'Sample', {
    name: 'sample',
    definition: pipeline,
    stage: 'dev',
    data: {
      key: data.key,
      tables: data.tables,
      buckets: { lakehouse: data.lakehouseBucket, artifacts: data.artifactsBucket },
    },
    integrationPolicies: [
      new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [data.tables.platform.tableArn] }),
    ],
  });
  return { app, stack };
}

describe('Pipeline', () => {
  it('loads the ASL file with every placeholder substituted, logging ALL events with X-Ray on', () => {
    const template = Template.fromStack(build().stack);
    const machine = template.toJSON().Resources.SamplePipeline;
    expect(Object.keys(machine.Properties.DefinitionSubstitutions).sort()).toEqual([
      'PrepareFunction',
      'ScoreFunction',
      'StateTable',
    ]);
    expect(machine.Properties).toMatchObject({
      DefinitionS3Location: expect.any(Object),
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  });

  it('lets the state machine invoke exactly its own task functions', () => {
    const template = Template.fromStack(build().stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^SamplePrepareFunction'), 'Arn'] },
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^SampleScoreFunction'), 'Arn'] },
            ],
          }),
        ]),
      },
    });
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    expect(() => build().app.synth()).not.toThrow();
  });

  it('refuses a definition whose placeholders it cannot fill, naming them', () => {
    expect(() => build({ ...definition, resources: {} })).toThrow(
      'pipeline sample: no value for placeholder(s) StateTable of test/fixtures/state-machines/sample.asl.json',
    );
  });
});

describe('PipelinesStack', () => {
  it('deploys every declared pipeline with all its placeholders substituted, in every stage', async () => {
    const { buildApp } = await import('../../../infra/build-app.ts');
    const { PIPELINES } = await import('../../../infra/platform/pipelines.ts');
    const { placeholdersOf } = await import('../../../infra/local/asl.ts');
    const { readFileSync } = await import('node:fs');
    const { stages } = buildApp({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
    for (const stage of Object.values(stages)) {
      const resources = Template.fromStack(stage.pipelines).toJSON().Resources;
      for (const pipeline of Object.values(PIPELINES)) {
        const used = placeholdersOf(
          readFileSync(new URL(`../../../${pipeline.file}`, import.meta.url), 'utf8'),
        );
        expect(Object.keys(resources[pipeline.logicalId].Properties.DefinitionSubstitutions).sort()).toEqual(
          used,
        );
      }
    }
  });
});
