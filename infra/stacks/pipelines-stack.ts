import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PlatformData } from '../constructs/kit-function.ts';
import { Pipeline } from '../constructs/pipeline.ts';
import { PIPELINES } from '../platform/pipelines.ts';

export interface PipelinesStackProps extends StackProps {
  readonly stage: string;
  readonly data: PlatformData;
}

/** Every pipeline of `infra/platform/pipelines.ts` for one stage, with its state machine ARN as an output. */
export class PipelinesStack extends Stack {
  readonly pipelines: Readonly<Record<string, Pipeline>>;

  constructor(scope: Construct, id: string, props: PipelinesStackProps) {
    super(scope, id, { description: `MLOps kit pipelines (${props.stage})`, ...props });
    const pipelines: Record<string, Pipeline> = {};
    for (const [name, definition] of Object.entries(PIPELINES)) {
      const pipeline = new Pipeline(this, definition.logicalId, {
        name,
        definition,
        stage: props.stage,
        data: props.data,
      });
      pipelines[name] = pipeline;
      new CfnOutput(this, `${definition.logicalId}Arn`, {
        value: pipeline.stateMachine.stateMachineArn,
        description: `MLOPS_PIPELINE_${name.toUpperCase().replaceAll('-', '_')}_ARN`,
      });
    }
    this.pipelines = pipelines;
  }
}
