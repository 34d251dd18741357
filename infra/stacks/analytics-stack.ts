import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { LakehouseAnalytics } from '../constructs/lakehouse-analytics.ts';

export interface AnalyticsStackProps extends StackProps {
  readonly stage: string;
  readonly lakehouseBucket: IBucket;
  readonly encryptionKey: IKey;
  readonly accessLogsBucket: IBucket;
  /** @default 10 GiB */
  readonly bytesScannedCutoffPerQuery?: number;
}

/** Analyst access of a stage: the Glue database of its Delta tables and its Athena workgroup. */
export class AnalyticsStack extends Stack {
  readonly analytics: LakehouseAnalytics;

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id, {
      description: `MLOps kit analytics (${props.stage}): Glue database, Athena workgroup`,
      ...props,
    });
    this.analytics = new LakehouseAnalytics(this, 'Analytics', {
      stage: props.stage,
      lakehouseBucket: props.lakehouseBucket,
      encryptionKey: props.encryptionKey,
      accessLogsBucket: props.accessLogsBucket,
      ...(props.bytesScannedCutoffPerQuery !== undefined
        ? { bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery }
        : {}),
    });
    new CfnOutput(this, 'GlueDatabaseName', {
      value: this.analytics.databaseName,
      description: 'MLOPS_GLUE_DATABASE',
    });
    new CfnOutput(this, 'AthenaWorkGroupName', {
      value: this.analytics.workGroupName,
      description: 'MLOPS_ATHENA_WORKGROUP',
    });
  }
}
