import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { ModelMonitoring, type MonitoredModel } from '../../../infra/constructs/model-monitoring.ts';
import { Pipeline } from '../../../infra/constructs/pipeline.ts';
import { KitAwsSolutionsChecks } from '../../../infra/nag.ts';
import { PIPELINES } from '../../../infra/platform/pipelines.ts';
import { DataStack } from '../../../infra/stacks/data-stack.ts';

const env = { account: '111111111111', region: 'eu-west-1' };

function build(models: readonly MonitoredModel[]) {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new KitAwsSolutionsChecks(app));
  const data = new DataStack(app, 'Data', { env, stage: 'dev' });
  const stack = new Stack(app, 'Monitoring', { env });
  const pipeline = new Pipeline(stack, 'MonitoringPipeline', {
    name: 'monitoring',
    definition: PIPELINES.monitoring!,
    stage: 'dev',
    data: {
      key: data.key,
      tables: data.tables,
      buckets: { lakehouse: data.lakehouseBucket, artifacts: data.artifactsBucket },
    },
  });
  new ModelMonitoring(stack, 'Models', { pipeline, models });
  return { app, stack };
}

const MODELS: MonitoredModel[] = [
  { model: 'churn' },
  {
    model: 'fraud',
    schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)),
    window: '6h',
    target: { thresholds: { psi: 0.1 } },
  },
];

describe('ModelMonitoring', () => {
  it('schedules each model daily by default, the window ending at the scheduled time', () => {
    const template = Template.fromStack(build(MODELS).stack);
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).map(
      (r) => r.Properties as { ScheduleExpression: string; Target: { Input: string; Arn: unknown } },
    );
    const byModel = Object.fromEntries(schedules.map((s) => [JSON.parse(s.Target.Input).model, s]));
    expect(byModel.churn!.ScheduleExpression).toBe('rate(1 day)');
    expect(JSON.parse(byModel.churn!.Target.Input)).toEqual({
      model: 'churn',
      window: '1d',
      end: '<aws.scheduler.scheduled-time>',
      target: {},
    });
    expect(byModel.fraud!.ScheduleExpression).toBe('rate(6 hours)');
    expect(JSON.parse(byModel.fraud!.Target.Input)).toMatchObject({
      window: '6h',
      target: { thresholds: { psi: 0.1 } },
    });
    expect(byModel.churn!.Target.Arn).toEqual({ Ref: 'MonitoringPipeline' });
  });

  it("alarms per model on the task's ThresholdsCrossed metric", () => {
    const template = Template.fromStack(build(MODELS).stack);
    for (const model of ['churn', 'fraud']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'MLOps/Monitoring',
        MetricName: 'ThresholdsCrossed',
        Dimensions: [{ Name: 'Model', Value: model }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('lets the task announce on the event bus it is told about', () => {
    const template = Template.fromStack(build(MODELS).stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents' })]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MLOPS_EVENT_BUS_NAME: 'default' }) },
    });
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    expect(() => build(MODELS).app.synth()).not.toThrow();
  });

  it('throws on a model listed twice or a name that cannot be a metric dimension', () => {
    expect(() => build([{ model: 'churn' }, { model: 'churn' }])).toThrow('model churn is listed twice');
    expect(() => build([{ model: 'no spaces' }])).toThrow(
      'model names are letters, digits, "_" and "-" (at most 64), got "no spaces"',
    );
  });
});
