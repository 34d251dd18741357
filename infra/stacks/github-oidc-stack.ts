import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { GitHubDispatch } from '../constructs/github-dispatch.ts';
import {
  GITHUB_OIDC_HOST,
  GitHubOidc,
  type GitHubRepository,
  githubSubject,
} from '../constructs/github-oidc.ts';
import { PromotionRole, type PromotionSource } from '../constructs/promotion-role.ts';
import { pipelineStateMachineName } from '../platform/pipelines.ts';
import type { PromotionDispatch } from './promotion-plan.ts';

/** Physical name of a stage's deploy role (workflows name it through `AWS_DEPLOY_ROLE_ARN`). */
export function deployRoleName(stage: string): string {
  return `mlops-${stage}-github-deploy`;
}

/** Physical name of a stage's promotion role; a source stage's policies name it from another account. */
export function promotionRoleName(stage: string): string {
  return `mlops-${stage}-github-promotion`;
}

/** Prefix of a stage's model endpoint names. */
export function endpointNamePrefix(stage: string): string {
  return `mlops-${stage}-`;
}

/** A stage's part in model promotion. */
export interface StagePromotion {
  /** GitHub environments whose jobs may assume the promotion role. */
  readonly environments: readonly string[];
  /** Key prefix of the approved model artifacts in this stage's artifact bucket. */
  readonly artifactsPrefix: string;
  /** Whether versions are promoted into this stage (write, deploy, smoke-test). */
  readonly target: boolean;
  /** The stage promoted from, when it is a target. @default none */
  readonly source?: PromotionSource;
}

export interface GitHubOidcStackProps extends StackProps {
  readonly stage: string;
  readonly repository: GitHubRepository;
  /** The GitHub environment whose jobs deploy this stage. */
  readonly environment: string;
  /** Whether this stack creates the account's GitHub OIDC provider, or uses the existing one. */
  readonly createProvider: boolean;
  readonly artifactsBucket: IBucket;
  readonly artifactsKey: IKey;
  /** @default the stage takes no part in model promotion: no promotion role */
  readonly promotion?: StagePromotion;
  /**
   * Send the promote-model workflow a `repository_dispatch` when this stage's registry moves one
   * of these aliases (see GitHubDispatch).
   * @default no dispatch: promotions start by hand
   */
  readonly dispatch?: PromotionDispatch;
}

/**
 * Per account and stage: GitHub's OIDC provider, the deploy role, and the promotion role when the
 * stage takes part in promotions. Role names are fixed (`mlops-<stage>-github-*`) because workflow
 * variables and the source stage's bucket policy name them.
 */
export class GitHubOidcStack extends Stack {
  readonly deployRole: iam.IRole;
  readonly promotionRole?: iam.IRole;

  constructor(scope: Construct, id: string, props: GitHubOidcStackProps) {
    super(scope, id, {
      description: `MLOps kit GitHub Actions access (${props.stage}): OIDC provider, deploy and promotion roles`,
      ...props,
    });
    const provider = props.createProvider
      ? undefined
      : iam.OidcProviderNative.fromOidcProviderArn(
          this,
          'Provider',
          this.formatArn({
            service: 'iam',
            region: '',
            resource: 'oidc-provider',
            resourceName: GITHUB_OIDC_HOST,
          }),
        );
    const oidc = new GitHubOidc(this, 'GitHub', {
      repository: props.repository,
      environment: props.environment,
      deployRoleName: deployRoleName(props.stage),
      ...(provider ? { provider } : {}),
    });
    this.deployRole = oidc.deployRole;
    new CfnOutput(this, 'DeployRoleArn', {
      value: oidc.deployRole.roleArn,
      description: `AWS_DEPLOY_ROLE_ARN of the GitHub environment ${props.environment}`,
    });

    if (props.promotion) {
      // Named exports keep the data stack's ARNs stable in this stack's template (and in the
      // cdk-nag acknowledgements that quote them).
      const artifactsBucketArn = Stack.of(props.artifactsBucket).exportValue(
        props.artifactsBucket.bucketArn,
        {
          name: `mlops-${props.stage}-artifacts-bucket-arn`,
        },
      );
      const artifactsKeyArn = Stack.of(props.artifactsKey).exportValue(props.artifactsKey.keyArn, {
        name: `mlops-${props.stage}-platform-key-arn`,
      });
      // Named imports carry no dependency of their own: deploy the exporting stack first.
      for (const exporter of new Set([Stack.of(props.artifactsBucket), Stack.of(props.artifactsKey)])) {
        if (exporter !== this) this.addDependency(exporter);
      }
      const promotion = new PromotionRole(this, 'Promotion', {
        provider: oidc.provider,
        subjects: props.promotion.environments.map((environment) =>
          githubSubject(props.repository, environment),
        ),
        roleName: promotionRoleName(props.stage),
        artifactsBucket: s3.Bucket.fromBucketArn(this, 'ArtifactsBucket', artifactsBucketArn),
        artifactsKey: kms.Key.fromKeyArn(this, 'ArtifactsKey', artifactsKeyArn),
        artifactsPrefix: props.promotion.artifactsPrefix,
        ...(props.promotion.target
          ? {
              deployment: {
                stateMachineName: pipelineStateMachineName(props.stage, 'deployment'),
                endpointNamePrefix: endpointNamePrefix(props.stage),
              },
            }
          : {}),
        ...(props.promotion.source ? { source: props.promotion.source } : {}),
      });
      this.promotionRole = promotion.role;
      new CfnOutput(this, 'PromotionRoleArn', {
        value: promotion.role.roleArn,
        description: props.promotion.target
          ? `AWS_PROMOTION_ROLE_ARN of the GitHub environment ${props.environment}`
          : `SOURCE_PROMOTION_ROLE_ARN of the GitHub environments ${props.promotion.environments.join(', ')}`,
      });
    }
    if (props.dispatch) {
      new GitHubDispatch(this, 'PromotionDispatch', {
        repository: props.repository,
        tokenSecretName: props.dispatch.tokenSecretName,
        aliases: props.dispatch.aliases,
      });
    }
  }
}
