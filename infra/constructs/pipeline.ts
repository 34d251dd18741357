import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { placeholdersOf } from '../local/asl.ts';
import { BUCKETS } from '../platform/buckets.ts';
import { type PipelineDefinition, pipelineStateMachineName } from '../platform/pipelines.ts';
import { KitFunction, type PlatformData } from './kit-function.ts';

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface PipelineProps {
  /** Pipeline name (a key of PIPELINES): the state machine is named `mlops-<stage>-<name>`. */
  readonly name: string;
  readonly definition: PipelineDefinition;
  readonly stage: string;
  readonly data: PlatformData;
  /**
   * Values for placeholders that name resources outside the kit's tables and buckets
   * (e.g. a SageMaker role ARN or an image URI).
   * @default none
   */
  readonly substitutions?: Readonly<Record<string, string>>;
  /** What the state machine's service integrations need besides invoking its task functions. @default none */
  readonly integrationPolicies?: readonly iam.PolicyStatement[];
  /** @default 90 days */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One pipeline: its task functions (KitFunction each) and the state machine named
 * `mlops-<stage>-<name>` (`pipelineStateMachineName`), loaded from its ASL file with
 * `definitionSubstitutions`, logging ALL events with execution data, X-Ray tracing on, and
 * a role that may invoke exactly its own task functions plus the integrations it declares.
 */
export class Pipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly tasks: Readonly<Record<string, KitFunction>>;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const file = resolve(REPOSITORY_ROOT, props.definition.file);
    const tasks: Record<string, KitFunction> = {};
    const substitutions: Record<string, string> = { ...props.substitutions };
    for (const [placeholder, task] of Object.entries(props.definition.tasks)) {
      const fn = new KitFunction(this, placeholder, {
        entry: task.entry,
        description: task.description,
        stage: props.stage,
        data: props.data,
        tables: task.tables,
        buckets: task.buckets,
        memoryMb: task.memoryMb ?? 1024,
        timeoutSeconds: task.timeoutSeconds ?? 300,
        ...(task.nativeModules ? { nativeModules: task.nativeModules } : {}),
        ...(task.registersTables ? { registersTables: true } : {}),
      });
      tasks[placeholder] = fn;
      substitutions[placeholder] = fn.function.functionArn;
    }
    for (const [placeholder, resource] of Object.entries(props.definition.resources)) {
      if (resource.kind === 'table') substitutions[placeholder] = props.data.tables[resource.table].tableName;
      else if (resource.kind === 'bucket') {
        const bucket = props.data.buckets[resource.bucket];
        if (!bucket)
          throw new Error(
            `pipeline ${props.name} needs bucket ${resource.bucket} (${BUCKETS[resource.bucket].envVar})`,
          );
        substitutions[placeholder] = bucket.bucketName;
      } else if (resource.kind === 'stage') substitutions[placeholder] = props.stage;
      // 'value' placeholders come from props.substitutions; a missing one is reported below.
    }
    const missing = placeholdersOf(readFileSync(file, 'utf8')).filter(
      (name) => substitutions[name] === undefined,
    );
    if (missing.length > 0) {
      throw new Error(
        `pipeline ${props.name}: no value for placeholder(s) ${missing.join(', ')} of ${props.definition.file}`,
      );
    }

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      // A fixed name, so that IAM policies in other stacks (the promotion role) can name it.
      stateMachineName: pipelineStateMachineName(props.stage, props.name),
      comment: props.definition.description,
      definitionBody: sfn.DefinitionBody.fromFile(file),
      definitionSubstitutions: substitutions,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).overrideLogicalId(
      props.definition.logicalId,
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(tasks).map((task) => task.function.functionArn),
      }),
    );
    for (const statement of props.integrationPolicies ?? []) this.stateMachine.addToRolePolicy(statement);
    this.tasks = tasks;
  }
}
