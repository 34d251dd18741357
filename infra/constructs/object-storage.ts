import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKETS, type BucketId } from '../platform/buckets.ts';

export interface ObjectStorageProps {
  /** Key that encrypts the data buckets. */
  readonly encryptionKey: IKey;
  /**
   * Days a noncurrent object version is kept before it expires (versions that vacuum or an
   * overwrite made noncurrent).
   * @default 30
   */
  readonly noncurrentVersionDays?: number;
}

/**
 * The platform's buckets: the lakehouse, the artifact store, and the access-log bucket both log to.
 * Versioned, KMS-encrypted, public access blocked, TLS only, retained when the stack is deleted.
 */
export class ObjectStorage extends Construct {
  readonly buckets: Readonly<Record<Exclude<BucketId, 'accessLogs'>, s3.IBucket>>;
  readonly accessLogs: s3.IBucket;

  constructor(scope: Construct, id: string, props: ObjectStorageProps) {
    super(scope, id);
    const noncurrentVersionDays = props.noncurrentVersionDays ?? 30;
    if (noncurrentVersionDays < 1)
      throw new Error(`noncurrentVersionDays must be at least 1, got ${noncurrentVersionDays}`);

    // S3 server access logs can only be delivered to a bucket with SSE-S3 default encryption.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    pinLogicalId(accessLogs, BUCKETS.accessLogs.logicalId);
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log destination; logging it into itself would loop.',
    });

    const dataBucket = (bucketId: 'lakehouse' | 'artifacts') => {
      const bucket = new s3.Bucket(this, bucketId === 'lakehouse' ? 'Lakehouse' : 'Artifacts', {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: props.encryptionKey,
        bucketKeyEnabled: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${bucketId}/`,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [
          {
            abortIncompleteMultipartUploadAfter: Duration.days(7),
            noncurrentVersionExpiration: Duration.days(noncurrentVersionDays),
          },
        ],
      });
      pinLogicalId(bucket, BUCKETS[bucketId].logicalId);
      return bucket;
    };
    this.buckets = { lakehouse: dataBucket('lakehouse'), artifacts: dataBucket('artifacts') };
    this.accessLogs = accessLogs;
  }
}

function pinLogicalId(bucket: s3.Bucket, logicalId: string): void {
  (bucket.node.defaultChild as s3.CfnBucket).overrideLogicalId(logicalId);
}
