/**
 * GitHub Actions' way into an AWS account without stored keys: the account's OIDC provider for
 * token.actions.githubusercontent.com and the stage's deploy role.
 *
 *   GitHub job (environment: <env>) ──OIDC token: aud=sts.amazonaws.com, sub=repo:<o>/<r>:environment:<env>──▶
 *   sts:AssumeRoleWithWebIdentity ──▶ mlops-<stage>-github-deploy ──sts:AssumeRole──▶ cdk-hnb659fds-*-role
 *
 * A trust policy accepts exactly the subjects it is given, with StringEquals: no wildcard subject can
 * be expressed (`githubSubject` refuses the characters). Everything a deployment changes is changed
 * by the CDK bootstrap roles, so the deploy role itself may only assume those.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** The repository whose workflows may assume the roles. */
export interface GitHubRepository {
  readonly owner: string;
  readonly repository: string;
  /** Numeric owner id, for repositories with immutable-id subjects. @default name-only subjects */
  readonly ownerId?: number;
  /** Numeric repository id, set together with `ownerId`. @default name-only subjects */
  readonly repositoryId?: number;
}

const SAFE = /^[A-Za-z0-9._-]+$/;

/**
 * The OIDC `sub` claim of a job that runs in `environment` of the repository:
 * `repo:<owner>/<repo>:environment:<env>`, or `repo:<owner>@<id>/<repo>@<id>:environment:<env>`.
 * Throws on any character that could act as a wildcard in a policy condition.
 */
export function githubSubject(repo: GitHubRepository, environment: string): string {
  for (const [field, value] of Object.entries({
    owner: repo.owner,
    repository: repo.repository,
    environment,
  })) {
    if (!SAFE.test(value)) {
      throw new Error(`${field} may hold only letters, digits, ".", "_" and "-", got "${value}"`);
    }
  }
  const owner = repo.ownerId === undefined ? repo.owner : `${repo.owner}@${repo.ownerId}`;
  const name = repo.repositoryId === undefined ? repo.repository : `${repo.repository}@${repo.repositoryId}`;
  return `repo:${owner}/${name}:environment:${environment}`;
}

/** A principal that admits GitHub jobs whose token carries exactly one of `subjects`. */
export function githubPrincipal(provider: iam.IOidcProvider, subjects: readonly string[]): iam.IPrincipal {
  if (subjects.length === 0) throw new Error('a GitHub trust policy needs at least one subject');
  return new iam.OpenIdConnectPrincipal(provider, {
    StringEquals: {
      [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
      [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : [...subjects],
    },
  });
}

/** Names of the CDK bootstrap roles (default qualifier) a deployment goes through. */
export const CDK_BOOTSTRAP_ROLES = ['deploy-role', 'file-publishing-role', 'lookup-role'] as const;
export const CDK_DEFAULT_QUALIFIER = 'hnb659fds';

export interface GitHubOidcProps {
  readonly repository: GitHubRepository;
  /** The GitHub environment whose jobs may assume the deploy role. */
  readonly environment: string;
  /** Physical name of the deploy role; fixed so workflows and other accounts can name it. */
  readonly deployRoleName: string;
  /**
   * The account's existing provider for token.actions.githubusercontent.com (an account holds at
   * most one per URL).
   * @default a new provider is created
   */
  readonly provider?: iam.IOidcProvider;
  /** Qualifier of the CDK bootstrap stack in this account and region. @default 'hnb659fds' */
  readonly bootstrapQualifier?: string;
}

/** The account's GitHub OIDC provider (created or given) and the stage's deploy role. */
export class GitHubOidc extends Construct {
  readonly provider: iam.IOidcProvider;
  readonly deployRole: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubOidcProps) {
    super(scope, id);
    this.provider =
      props.provider ??
      new iam.OidcProviderNative(this, 'Provider', {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIds: [GITHUB_OIDC_AUDIENCE],
      });
    const qualifier = props.bootstrapQualifier ?? CDK_DEFAULT_QUALIFIER;
    if (!/^[a-z0-9_-]{1,10}$/.test(qualifier)) {
      throw new Error(`bootstrapQualifier must be 1-10 lower-case characters, got "${qualifier}"`);
    }
    this.deployRole = new iam.Role(this, 'DeployRole', {
      roleName: props.deployRoleName,
      description: `GitHub Actions deploys of ${props.repository.owner}/${props.repository.repository} (environment ${props.environment}) through the CDK bootstrap roles`,
      assumedBy: githubPrincipal(this.provider, [githubSubject(props.repository, props.environment)]),
      inlinePolicies: {
        AssumeCdkBootstrapRoles: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['sts:AssumeRole'],
              resources: CDK_BOOTSTRAP_ROLES.map((role) =>
                Stack.of(this).formatArn({
                  service: 'iam',
                  region: '',
                  resource: 'role',
                  resourceName: `cdk-${qualifier}-${role}-${Stack.of(this).account}-${Stack.of(this).region}`,
                }),
              ),
            }),
          ],
        }),
      },
    });
  }
}
