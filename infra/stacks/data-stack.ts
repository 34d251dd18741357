import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type ArtifactReader, CrossAccountArtifactRead } from '../constructs/cross-account-artifact-read.ts';
import { ObjectStorage } from '../constructs/object-storage.ts';
import { PlatformTables } from '../constructs/platform-tables.ts';
import { BUCKETS } from '../platform/buckets.ts';
import type { TableId } from '../platform/tables.ts';
import { TABLES } from '../platform/tables.ts';

export interface DataStackProps extends StackProps {
  /** Stage name, used in descriptions and outputs. */
  readonly stage: string;
  /** @default 30 */
  readonly noncurrentVersionDays?: number;
  /**
   * Roles in other accounts that may read approved model artifacts (one key prefix each).
   * @default no other account may read anything
   */
  readonly artifactReaders?: readonly ArtifactReader[];
}

/**
 * The stateful half of a stage: the platform key, buckets and tables. Every resource keeps a pinned
 * logical ID and is retained on stack deletion, so that refactoring the stateless stacks can never
 * replace or drop data.
 */
export class DataStack extends Stack {
  readonly key: kms.IKey;
  readonly lakehouseBucket: IBucket;
  readonly artifactsBucket: IBucket;
  readonly accessLogsBucket: IBucket;
  readonly tables: Readonly<Record<TableId, ITable>>;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { description: `MLOps kit data (${props.stage}): key, buckets, tables`, ...props });
    const key = new kms.Key(this, 'PlatformKey', {
      description: `MLOps kit ${props.stage} data key`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    (key.node.defaultChild as kms.CfnKey).overrideLogicalId('PlatformKey');
    const storage = new ObjectStorage(this, 'Storage', {
      encryptionKey: key,
      ...(props.noncurrentVersionDays !== undefined
        ? { noncurrentVersionDays: props.noncurrentVersionDays }
        : {}),
    });
    const tables = new PlatformTables(this, 'Tables', { encryptionKey: key });
    this.key = key;
    this.lakehouseBucket = storage.buckets.lakehouse;
    this.artifactsBucket = storage.buckets.artifacts;
    this.accessLogsBucket = storage.accessLogs;
    this.tables = tables.tables;
    for (const reader of props.artifactReaders ?? []) {
      new CrossAccountArtifactRead(this, `ArtifactReader${reader.account}${reader.roleName}`, {
        ...reader,
        bucket: this.artifactsBucket,
        key,
      });
    }

    new CfnOutput(this, 'LakehouseBucketName', {
      value: this.lakehouseBucket.bucketName,
      description: BUCKETS.lakehouse.envVar,
    });
    new CfnOutput(this, 'ArtifactsBucketName', {
      value: this.artifactsBucket.bucketName,
      description: BUCKETS.artifacts.envVar,
    });
    for (const [tableId, table] of Object.entries(this.tables)) {
      new CfnOutput(this, `${TABLES[tableId as TableId].logicalId}Name`, {
        value: table.tableName,
        description: TABLES[tableId as TableId].envVar,
      });
    }
  }
}
