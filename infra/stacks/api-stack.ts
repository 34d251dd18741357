import { Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { MlopsHttpApi, type OidcIssuerProps } from '../constructs/http-api.ts';
import type { BucketId } from '../platform/buckets.ts';
import type { TableId } from '../platform/tables.ts';

export interface ApiStackProps extends StackProps {
  readonly stage: string;
  /** The data stack's tables, by id. */
  readonly tables: Readonly<Record<TableId, ITable>>;
  /** The data stack's buckets, by id. */
  readonly buckets: Readonly<Partial<Record<BucketId, IBucket>>>;
  /** The key encrypting the tables and buckets. */
  readonly encryptionKey: IKey;
  /** @default a Cognito user pool (see MlopsHttpApi) */
  readonly oidc?: OidcIssuerProps;
}

/** The stateless HTTP API of a stage: every function of infra/platform/functions.ts behind one HTTP API. */
export class ApiStack extends Stack {
  readonly api: MlopsHttpApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, {
      description: `MLOps kit API (${props.stage}): HTTP API, functions, authorizer`,
      ...props,
    });
    this.api = new MlopsHttpApi(this, 'HttpApi', {
      stage: props.stage,
      tables: props.tables,
      buckets: props.buckets,
      encryptionKey: props.encryptionKey,
      ...(props.oidc ? { oidc: props.oidc } : {}),
    });
    // The registry announces every change on the account's default event bus, as `mlops.registry`.
    this.api.functions.registry?.addToRolePolicy(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [this.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
        conditions: { StringEquals: { 'events:source': 'mlops.registry' } },
      }),
    );
  }
}
