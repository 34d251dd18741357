/**
 * The role a model promotion job assumes in one stage's account, with what `mlops promote` and the
 * deployment that follows need there and nothing else:
 *
 * - a source stage's role reads the approved model artifacts (one key prefix) of its artifact bucket;
 * - a target stage's role reads its own copy of them, starts and follows the stage's deployment
 *   state machine, invokes the stage's model endpoints for the smoke test, and may read the source
 *   stage's approved artifacts across accounts (the source's bucket policy and key policy admit
 *   exactly this role: see `CrossAccountArtifactRead`).
 *
 * Neither role writes artifacts: `mlops promote` copies through URLs that each stage's registry
 * presigns with its own role. The job reads both sides only to verify the copy byte for byte.
 */
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { githubPrincipal } from './github-oidc.ts';

/** Where a target stage's promoted versions come from. */
export interface PromotionSource {
  readonly account: string;
  readonly region: string;
  /** Key prefix of the approved artifacts in the source's artifact bucket. */
  readonly artifactsPrefix: string;
}

/** What a promotion target runs after the copy. */
export interface PromotionDeployment {
  /** Name of the stage's deployment state machine. */
  readonly stateMachineName: string;
  /** Prefix of the names of the stage's model endpoints (smoke tests invoke them). */
  readonly endpointNamePrefix: string;
}

export interface PromotionRoleProps {
  /** The account's GitHub OIDC provider. */
  readonly provider: iam.IOidcProvider;
  /** The exact GitHub OIDC subjects that may assume the role. */
  readonly subjects: readonly string[];
  /** Physical name; fixed because the source stage's policies name it from another account. */
  readonly roleName: string;
  readonly artifactsBucket: IBucket;
  readonly artifactsKey: IKey;
  /** Key prefix of the approved model artifacts in `artifactsBucket`. */
  readonly artifactsPrefix: string;
  /**
   * Makes this a target stage's role: deploy and smoke-test.
   * @default a source stage's role: read the approved artifacts only
   */
  readonly deployment?: PromotionDeployment;
  /**
   * The stage promoted from (target roles only).
   * @default no cross-account read
   */
  readonly source?: PromotionSource;
}

/** A promotion job's role in one account. */
export class PromotionRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PromotionRoleProps) {
    super(scope, id);
    for (const prefix of [props.artifactsPrefix, props.source?.artifactsPrefix]) {
      if (prefix !== undefined && !/^[a-z0-9][a-z0-9._/-]*\/$/.test(prefix)) {
        throw new Error(`artifactsPrefix must be a key prefix ending in "/", got "${prefix}"`);
      }
    }
    if (props.source && !props.deployment) {
      throw new Error('a promotion source is given only to a target role (one with a deployment)');
    }
    const stack = Stack.of(this);
    const prefix = props.artifactsPrefix;
    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'ReadApprovedArtifacts',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [props.artifactsBucket.arnForObjects(`${prefix}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'ListApprovedArtifacts',
        actions: ['s3:ListBucket'],
        resources: [props.artifactsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
      new iam.PolicyStatement({
        sid: 'UseArtifactsKeyThroughS3',
        actions: ['kms:Decrypt'],
        resources: [props.artifactsKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    ];
    if (props.deployment) {
      const machine = props.deployment.stateMachineName;
      statements.push(
        new iam.PolicyStatement({
          sid: 'StartDeployment',
          actions: ['states:StartExecution'],
          resources: [
            stack.formatArn({
              service: 'states',
              resource: 'stateMachine',
              resourceName: machine,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'FollowDeployment',
          actions: ['states:DescribeExecution'],
          resources: [
            stack.formatArn({
              service: 'states',
              resource: 'execution',
              resourceName: `${machine}:*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'SmokeTestEndpoints',
          actions: ['sagemaker:InvokeEndpoint'],
          resources: [
            stack.formatArn({
              service: 'sagemaker',
              resource: 'endpoint',
              resourceName: `${props.deployment.endpointNamePrefix}*`,
            }),
          ],
        }),
      );
    }
    if (props.source) {
      const source = props.source;
      const inSourceAccount = { 's3:ResourceAccount': source.account };
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReadSourceApprovedArtifacts',
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [`arn:${stack.partition}:s3:::*/${source.artifactsPrefix}*`],
          conditions: { StringEquals: inSourceAccount },
        }),
        new iam.PolicyStatement({
          sid: 'ListSourceApprovedArtifacts',
          actions: ['s3:ListBucket'],
          resources: [`arn:${stack.partition}:s3:::*`],
          conditions: {
            StringEquals: inSourceAccount,
            StringLike: { 's3:prefix': [`${source.artifactsPrefix}*`] },
          },
        }),
        new iam.PolicyStatement({
          sid: 'DecryptSourceArtifactsThroughS3',
          actions: ['kms:Decrypt'],
          resources: [`arn:${stack.partition}:kms:${source.region}:${source.account}:key/*`],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${source.region}.amazonaws.com` } },
        }),
      );
    }
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: props.deployment
        ? 'GitHub Actions model promotion into this stage: verify the copy, deploy, smoke-test'
        : 'GitHub Actions model promotion out of this stage: read approved artifacts',
      assumedBy: githubPrincipal(props.provider, props.subjects),
      inlinePolicies: { Promotion: new iam.PolicyDocument({ statements }) },
    });
    acknowledgeWildcardResources(this.role, statements, WILDCARD_REASONS);
  }
}

/** Why each kind of wildcard resource above has no narrower form, by statement id. */
const WILDCARD_REASONS: Readonly<Record<string, string>> = {
  ReadApprovedArtifacts:
    'Model artifacts are written at run time under the approved-artifacts prefix; S3 grants on objects are key prefixes.',
  FollowDeployment:
    'Execution names are generated per run; executions of this one state machine are the narrowest form.',
  SmokeTestEndpoints:
    "Endpoints are created per model by the deployment pipeline; the stage's endpoint-name prefix is the narrowest form.",
  ReadSourceApprovedArtifacts:
    "The source stage's bucket name is generated in another account; limited to that account (s3:ResourceAccount) and the approved prefix.",
  ListSourceApprovedArtifacts:
    "The source stage's bucket name is generated in another account; limited to that account (s3:ResourceAccount) and the approved prefix (s3:prefix).",
  DecryptSourceArtifactsThroughS3:
    "The source stage's key id is generated in another account; limited to that account's keys in its region and to use through S3 (kms:ViaService).",
};

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for each wildcard resource of the statements,
 * with the reason registered for the statement's Sid; a wildcard without a reason stays a finding.
 */
function acknowledgeWildcardResources(
  role: iam.Role,
  statements: readonly iam.PolicyStatement[],
  reasons: Readonly<Record<string, string>>,
): void {
  const stack = Stack.of(role);
  for (const statement of statements) {
    const reason = statement.sid === undefined ? undefined : reasons[statement.sid];
    if (reason === undefined) continue;
    for (const resource of statement.resources) {
      const flat = flattenCfnReference(stack.resolve(resource));
      if (flat.includes('*')) {
        Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
      }
    }
  }
}
