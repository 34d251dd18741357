/**
 * Lets one role in another account read the approved model artifacts of this stage: objects under
 * one key prefix of the artifact bucket, and the platform key only as S3 uses it to decrypt them.
 *
 * The policies name the reader's account as principal and pin the role with `aws:PrincipalArn`
 * rather than naming the role itself: S3 and KMS refuse a policy whose principal does not exist yet,
 * and the reader's role is deployed after this stage (dev → staging → prod).
 *
 * The key policy cannot narrow by prefix: with S3 Bucket Keys the encryption context is the bucket's
 * ARN, not the object's, and naming the bucket in the key policy would make the key and the bucket
 * depend on each other. The key admits the role only through S3 in this region (`kms:ViaService`);
 * the bucket policy enforces bucket and prefix, and S3 decrypts only objects it may return (the
 * role has no grant on any other bucket of this account).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** A role in another account that may read the approved artifacts. */
export interface ArtifactReader {
  /** 12-digit account id of the reader. */
  readonly account: string;
  /** Name of the reader's role in that account. */
  readonly roleName: string;
  /** Key prefix the reader may read, ending in "/". */
  readonly prefix: string;
}

export interface CrossAccountArtifactReadProps extends ArtifactReader {
  readonly bucket: IBucket;
  /** The key that encrypts `bucket`. */
  readonly key: IKey;
}

/** Adds the bucket-policy and key-policy statements that admit one cross-account reader. */
export class CrossAccountArtifactRead extends Construct {
  /** ARN of the admitted role. */
  readonly readerArn: string;

  constructor(scope: Construct, id: string, props: CrossAccountArtifactReadProps) {
    super(scope, id);
    if (!/^\d{12}$/.test(props.account)) {
      throw new Error(`account must be a 12-digit AWS account id, got "${props.account}"`);
    }
    if (!/^[\w+=,.@-]{1,64}$/.test(props.roleName)) {
      throw new Error(`roleName must be an IAM role name, got "${props.roleName}"`);
    }
    if (!/^[a-z0-9][a-z0-9._/-]*\/$/.test(props.prefix)) {
      throw new Error(`prefix must be a key prefix ending in "/", got "${props.prefix}"`);
    }
    const stack = Stack.of(this);
    this.readerArn = `arn:${stack.partition}:iam::${props.account}:role/${props.roleName}`;
    const principal = new iam.AccountPrincipal(props.account);
    const sid = `${props.account}${props.roleName.replace(/[^A-Za-z0-9]/g, '')}`;
    const onlyTheReader = { ArnEquals: { 'aws:PrincipalArn': this.readerArn } };

    const added = [
      props.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `ReadApprovedArtifacts${sid}`,
          principals: [principal],
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [props.bucket.arnForObjects(`${props.prefix}*`)],
          conditions: onlyTheReader,
        }),
      ),
      props.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `ListApprovedArtifacts${sid}`,
          principals: [principal],
          actions: ['s3:ListBucket'],
          resources: [props.bucket.bucketArn],
          conditions: { ...onlyTheReader, StringLike: { 's3:prefix': [`${props.prefix}*`] } },
        }),
      ),
      props.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `DecryptApprovedArtifacts${sid}`,
          principals: [principal],
          actions: ['kms:Decrypt'],
          // In a key policy, "*" means this key.
          resources: ['*'],
          conditions: {
            ...onlyTheReader,
            StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
          },
        }),
      ),
    ];
    if (added.some((result) => !result.statementAdded)) {
      throw new Error(
        'the artifact bucket and key must be defined in this app to admit a cross-account reader',
      );
    }
  }
}
