import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface PipelineScheduleProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly description: string;
  /** EventBridge Scheduler expression. @default 'rate(1 day)' */
  readonly expression?: string;
  /** The execution input. @default {} */
  readonly input?: Readonly<Record<string, unknown>>;
}

/**
 * Starts a pipeline on a schedule (EventBridge Scheduler), with a role that may start executions
 * of that one state machine and nothing else, assumable by Scheduler for this account only.
 */
export class PipelineSchedule extends Construct {
  readonly schedule: scheduler.CfnSchedule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PipelineScheduleProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.role = new iam.Role(this, 'Role', {
      description: `Starts ${props.description} on its schedule`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [props.stateMachine.stateMachineArn],
      }),
    );
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: props.description,
      scheduleExpression: props.expression ?? 'rate(1 day)',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: props.stateMachine.stateMachineArn,
        roleArn: this.role.roleArn,
        input: JSON.stringify(props.input ?? {}),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
      },
    });
  }
}
