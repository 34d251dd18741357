/**
 * Every wildcard the kit's policies may contain, each with the reason AWS offers no narrower form.
 * The assurance tests fail on any wildcard action or resource not covered here, and on any entry
 * of ASSURANCE_ALLOWANCES that no longer matches anything (so that list stays the list of wildcards
 * actually in use).
 */
import { ALLOWED_WILDCARDS } from '../../../infra/nag.ts';
import type { WildcardAllowance } from './checks.ts';
import { asArray, flatten, type PolicyStatement, type SynthesizedStack } from './synthesized.ts';

const principalIsOwnAccountRoot = (statement: PolicyStatement, stack: SynthesizedStack) =>
  asArray((statement.Principal as { AWS?: unknown } | undefined)?.AWS)
    .map(flatten)
    .every((principal) => principal === `arn:\${AWS::Partition}:iam::${stack.account}:root`);

const condition = (statement: PolicyStatement, operator: string, key: string) =>
  statement.Condition?.[operator]?.[key] !== undefined;

/** Wildcards in resource policies and in the GitHub roles, which need conditions to be acceptable. */
export const ASSURANCE_ALLOWANCES: readonly WildcardAllowance[] = [
  {
    reason:
      'AWS\'s default key policy: the owning account\'s IAM policies decide who may use the key; without this statement the key cannot be managed at all. In a key policy the resource "*" means this key.',
    resourceType: 'AWS::KMS::Key',
    action: /^kms:\*$/,
    resource: /^\*$/,
    requires: principalIsOwnAccountRoot,
  },
  {
    reason: 'In a key policy the resource "*" means the key itself: there is no other form.',
    resourceType: 'AWS::KMS::Key',
    action: /^kms:[A-Za-z]+$/,
    resource: /^\*$/,
  },
  {
    reason:
      'Objects under a key prefix of a bucket this app defines: object keys are created at run time, and S3 grants on objects are key prefixes.',
    action: /^s3:[A-Za-z]+$/,
    resource: /^\$\{(import:[\w-]+|[A-Za-z0-9]+\.Arn)\}\/[a-z0-9._/-]*\*$/,
  },
  {
    reason:
      'Executions of one state machine: execution names are generated per run, so the state machine name is the narrowest form.',
    action: /^states:(DescribeExecution|StopExecution|GetExecutionHistory)$/,
    resource: /^arn:\$\{AWS::Partition\}:states:[a-z0-9-]+:\d{12}:execution:mlops-[a-z0-9-]+:\*$/,
  },
  {
    reason:
      "Model endpoints are created per model by the deployment pipeline at run time; the stage's endpoint-name prefix is the narrowest form.",
    action: /^sagemaker:InvokeEndpoint$/,
    resource: /^arn:\$\{AWS::Partition\}:sagemaker:[a-z0-9-]+:\d{12}:endpoint\/mlops-[a-z0-9-]+-\*$/,
  },
  {
    reason:
      "The promotion source's approved artifacts: that bucket's name is generated in another account, so it is limited by s3:ResourceAccount to the source account and by the key prefix.",
    action: /^s3:(GetObject|GetObjectVersion)$/,
    resource: /^arn:\$\{AWS::Partition\}:s3:::\*\/[a-z0-9._/-]+\*$/,
    requires: (statement) => condition(statement, 'StringEquals', 's3:ResourceAccount'),
  },
  {
    reason:
      "Listing the promotion source's approved artifacts: the bucket's name is generated in another account, so it is limited by s3:ResourceAccount and s3:prefix.",
    action: /^s3:ListBucket$/,
    resource: /^arn:\$\{AWS::Partition\}:s3:::\*$/,
    requires: (statement) =>
      condition(statement, 'StringEquals', 's3:ResourceAccount') &&
      condition(statement, 'StringLike', 's3:prefix'),
  },
  {
    reason:
      "Decrypting the promotion source's artifacts: that key's id is generated in another account, so it is limited to that account and region and to use through S3 (kms:ViaService).",
    action: /^kms:Decrypt$/,
    resource: /^arn:\$\{AWS::Partition\}:kms:[a-z0-9-]+:\d{12}:key\/\*$/,
    requires: (statement) => condition(statement, 'StringEquals', 'kms:ViaService'),
  },
];

/**
 * All accepted wildcards: the ones above, then the kit's cdk-nag allow-list (`infra/nag.ts`) for
 * identity policies of functions, so that both checks accept exactly the same IAM wildcards.
 */
export const WILDCARD_ALLOWANCES: readonly WildcardAllowance[] = [
  ...ASSURANCE_ALLOWANCES,
  ...ALLOWED_WILDCARDS.map((allowed) => ({
    reason: allowed.reason,
    action: allowed.actions,
    resource: allowed.resource,
  })),
];
