import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { databaseForStage } from '../../layers/lakehouse/catalog.ts';
import { ModelMonitoring } from '../constructs/model-monitoring.ts';
import type { Pipeline } from '../constructs/pipeline.ts';

/** A model monitored on a schedule, as listed in a stage's `monitoredModels`. */
export interface MonitoredModelSettings {
  readonly model: string;
  /** EventBridge Scheduler expression. @default 'rate(1 day)' */
  readonly schedule?: string;
  /** @default '1d' */
  readonly window?: string;
  /** @default the platform's defaults */
  readonly target?: Readonly<Record<string, unknown>>;
}

export interface MonitoringStackProps extends StackProps {
  readonly stage: string;
  /** The stage's monitoring pipeline (`PipelinesStack.pipelines.monitoring`). */
  readonly pipeline: Pipeline;
  /** @default none: only the failure alarm and the task's rights */
  readonly models?: readonly MonitoredModelSettings[];
  /** Actions of every monitoring alarm (e.g. an SNS topic of the team on call). @default none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/**
 * Scheduled model monitoring of a stage: the `ModelMonitoring` construct over the stage's
 * monitoring pipeline, for the models the stage lists, with the Glue database of the analytics
 * stack as where the metrics tables are registered.
 */
export class MonitoringStack extends Stack {
  readonly monitoring: ModelMonitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, {
      description: `MLOps kit model monitoring (${props.stage}): schedules and alarms`,
      ...props,
    });
    this.monitoring = new ModelMonitoring(this, 'Models', {
      pipeline: props.pipeline,
      glueDatabase: databaseForStage(props.stage),
      models: (props.models ?? []).map((m) => ({
        model: m.model,
        ...(m.schedule ? { schedule: scheduler.ScheduleExpression.expression(m.schedule) } : {}),
        ...(m.window ? { window: m.window } : {}),
        ...(m.target ? { target: m.target } : {}),
      })),
      ...(props.alarmActions ? { alarmActions: props.alarmActions } : {}),
    });
    for (const [model, alarm] of Object.entries(this.monitoring.alarms)) {
      new CfnOutput(this, `AlarmName${model.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: alarm.alarmName,
        description: `the CloudWatch alarm of model ${model}'s monitoring thresholds`,
      });
    }
  }
}
