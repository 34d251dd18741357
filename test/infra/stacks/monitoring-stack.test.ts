import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { buildApp } from '../../../infra/build-app.ts';

const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };

/** The app with `monitoredModels` of dev replaced. */
function appWith(monitoredModels: unknown) {
  const stages = structuredClone(cdkJson.context['mlops:stages']) as Record<string, Record<string, unknown>>;
  stages.dev = { ...stages.dev, monitoredModels };
  return buildApp({ context: { ...context, 'mlops:stages': stages } });
}

describe('MonitoringStack', () => {
  let built: ReturnType<typeof buildApp>;

  beforeAll(() => {
    built = appWith([
      { model: 'churn' },
      { model: 'fraud-eu', schedule: 'rate(6 hours)', window: '6h', target: { thresholds: { psi: 0.1 } } },
    ]);
    built.app.synth(); // cdk-nag runs in every synth and throws on an unacknowledged finding
  });

  it('is one stack per stage, named mlops-<stage>-monitoring', () => {
    expect(Object.values(built.stages).map((s) => s.monitoring?.stackName)).toEqual([
      'mlops-dev-monitoring',
      'mlops-staging-monitoring',
      'mlops-prod-monitoring',
    ]);
  });

  it("schedules each listed model against the stage's monitoring state machine", () => {
    const template = Template.fromStack(built.stages.dev!.monitoring!);
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      Target: {
        Arn: { 'Fn::ImportValue': Match.stringLikeRegexp('^mlops-dev-pipelines:') },
        Input: JSON.stringify({
          model: 'fraud-eu',
          window: '6h',
          end: '<aws.scheduler.scheduled-time>',
          target: { thresholds: { psi: 0.1 } },
        }),
      },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 day)' });
  });

  it('alarms per model on crossed thresholds and once on failed monitoring executions', () => {
    const template = Template.fromStack(built.stages.dev!.monitoring!);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    for (const model of ['churn', 'fraud-eu']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ThresholdsCrossed',
        Dimensions: [{ Name: 'Model', Value: model }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Statistic: 'Sum',
      Threshold: 1,
    });
    const staging = Template.fromStack(built.stages.staging!.monitoring!);
    staging.resourceCountIs('AWS::Scheduler::Schedule', 0);
    staging.resourceCountIs('AWS::CloudWatch::Alarm', 1);
  });

  it("lets the monitoring task register metrics tables in its own stage's Glue database only", () => {
    const pipelines = Template.fromStack(built.stages.prod!.pipelines);
    const statements = Object.values(pipelines.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const anyGlue = statements.filter((s) => JSON.stringify(s.Action).includes('glue:'));
    for (const statement of anyGlue) {
      expect(JSON.stringify(statement.Resource)).toContain('mlops_prod');
      expect(JSON.stringify(statement.Resource)).not.toContain('mlops_dev');
    }
    // The monitoring task's statement (batch inference has its own, for the predictions tables).
    const glue = anyGlue.filter((s) => JSON.stringify(s.Resource).includes('_metrics'));
    expect(glue).toHaveLength(1);
    expect(glue[0]?.Action).toEqual(['glue:CreateTable', 'glue:GetDatabase', 'glue:UpdateTable']);
    expect(JSON.stringify(glue[0]?.Resource)).toContain(':333333333333:table/mlops_prod/*_metrics');
    expect(JSON.stringify(glue[0]?.Resource)).not.toContain('mlops_dev');
  });

  it('refuses a monitored model with a bad name or schedule, naming the field', () => {
    expect(() => appWith([{ model: 'no spaces' }])).toThrow(
      'invalid mlops:stages context at dev.monitoredModels.0.model: model names are letters, digits, "_" and "-"',
    );
    expect(() => appWith([{ model: 'churn', schedule: 'daily' }])).toThrow(
      'invalid mlops:stages context at dev.monitoredModels.0.schedule: schedule must be rate(...) or cron(...)',
    );
  });
});
