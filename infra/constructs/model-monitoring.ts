import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Pipeline } from './pipeline.ts';

/** CloudWatch namespace and metric the monitoring task writes (layers/monitoring/publish-outcome.ts). */
const NAMESPACE = 'MLOps/Monitoring';
const THRESHOLDS_CROSSED = 'ThresholdsCrossed';

export interface MonitoredModel {
  /** Registered model name. */
  readonly model: string;
  /** @default daily: `rate(1 day)` */
  readonly schedule?: scheduler.ScheduleExpression;
  /** Window length each run covers, ending at the scheduled time. @default '1d' */
  readonly window?: string;
  /**
   * The model's monitoring target beyond its name: tables, columns, ground truth, thresholds
   * (`MonitorTargetSchema` in layers/monitoring/platform-monitor.ts).
   * @default the platform's defaults (inference table `inference/<model>`, default thresholds)
   */
  readonly target?: Readonly<Record<string, unknown>>;
}

export interface ModelMonitoringProps {
  /** The monitoring pipeline (PIPELINES.monitoring) whose state machine the schedules start. */
  readonly pipeline: Pipeline;
  readonly models: readonly MonitoredModel[];
  /** Bus the task announces `threshold.crossed` on. @default the account's default event bus */
  readonly eventBus?: events.IEventBus;
  /** Actions of each model's CloudWatch alarm and of the failure alarm (e.g. an SNS topic). @default none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /**
   * Glue database the task registers the metrics tables in (`LakehouseAnalytics.databaseName`,
   * `mlops_<stage>`): the task may create and update tables there, nothing else.
   * @default none: the task cannot register the metrics tables in Glue
   */
  readonly glueDatabase?: string;
}

/**
 * Scheduled monitoring of deployed models: one EventBridge Scheduler schedule per model starting
 * the monitoring state machine (daily by default, the window ending at the scheduled time), one
 * CloudWatch alarm per model on the `ThresholdsCrossed` metric the task writes (the per-model
 * thresholds live in the model's monitoring target, so the alarm fires when any is crossed; the
 * deployment pipeline can roll back on it), one alarm on failed monitoring executions (a
 * schedule that fails every day would otherwise go unnoticed), and the task's rights to announce
 * on the event bus and to register the metrics tables in the Glue database.
 */
export class ModelMonitoring extends Construct {
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  readonly schedules: Readonly<Record<string, scheduler.Schedule>>;
  /** Fires when a monitoring execution fails or is rejected. */
  readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ModelMonitoringProps) {
    super(scope, id);
    const names = new Set<string>();
    for (const { model } of props.models) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(model)) {
        throw new Error(`model names are letters, digits, "_" and "-" (at most 64), got "${model}"`);
      }
      if (names.has(model)) throw new Error(`model ${model} is listed twice`);
      names.add(model);
    }
    const task = props.pipeline.tasks.MonitorFunction;
    if (!task) throw new Error('the pipeline has no MonitorFunction task: pass the monitoring pipeline');
    const bus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    task.function.addEnvironment('MLOPS_EVENT_BUS_NAME', bus.eventBusName);
    task.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }),
    );
    if (props.glueDatabase !== undefined) {
      const stack = Stack.of(this);
      task.function.addToRolePolicy(
        new iam.PolicyStatement({
          // What layers/lakehouse/glue-catalog.ts calls; only tables named like metrics tables.
          actions: ['glue:GetDatabase', 'glue:CreateTable', 'glue:UpdateTable'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.glueDatabase }),
            stack.formatArn({
              service: 'glue',
              resource: 'table',
              resourceName: `${props.glueDatabase}/*_metrics`,
            }),
          ],
        }),
      );
    }
    const stateMachine: sfn.IStateMachine = props.pipeline.stateMachine;
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailedRuns', {
      alarmDescription: 'A monitoring execution failed or was rejected (see the execution history)',
      metric: props.pipeline.stateMachine.metricFailed({ period: Duration.days(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const action of props.alarmActions ?? []) this.failureAlarm.addAlarmAction(action);
    const alarms: Record<string, cloudwatch.Alarm> = {};
    const schedules: Record<string, scheduler.Schedule> = {};
    for (const monitored of props.models) {
      const window = monitored.window ?? '1d';
      schedules[monitored.model] = new scheduler.Schedule(this, `Schedule-${monitored.model}`, {
        description: `Monitoring of ${monitored.model}, ${window} windows`,
        schedule: monitored.schedule ?? scheduler.ScheduleExpression.rate(Duration.days(1)),
        target: new targets.StepFunctionsStartExecution(stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({
            model: monitored.model,
            window,
            end: scheduler.ContextAttribute.scheduledTime,
            target: monitored.target ?? {},
          }),
          retryAttempts: 2,
        }),
      });
      const alarm = new cloudwatch.Alarm(this, `Alarm-${monitored.model}`, {
        alarmDescription: `A monitoring threshold of model ${monitored.model} was crossed (see the run's report)`,
        metric: new cloudwatch.Metric({
          namespace: NAMESPACE,
          metricName: THRESHOLDS_CROSSED,
          dimensionsMap: { Model: monitored.model },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.days(1),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      for (const action of props.alarmActions ?? []) alarm.addAlarmAction(action);
      alarms[monitored.model] = alarm;
    }
    this.alarms = alarms;
    this.schedules = schedules;
  }
}
