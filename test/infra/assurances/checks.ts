/**
 * The kit's security and cost assurances as functions from synthesized templates to violations
 * (human-readable strings naming stack, resource and rule). Each is run over the whole app and
 * over a deliberately bad stack, so that every check is shown to be able to fail.
 */
import {
  asArray,
  type CfnResource,
  flatten,
  type PolicyStatement,
  policyStatements,
  resources,
  type SynthesizedStack,
} from './synthesized.ts';

const where = (stack: SynthesizedStack, logicalId: string) => `${stack.stackName}/${logicalId}`;

// ---------------------------------------------------------------------------------------------
// IAM: no `*` actions, wildcard resources only where listed with a reason.

/** An action that grants a whole service (`s3:*`) or everything (`*`). */
export function isWildcardAction(action: string): boolean {
  return action === '*' || /^[A-Za-z0-9-]+:\*$/.test(action);
}

/** A documented exception: statements it matches may use a wildcard action or resource. */
export interface WildcardAllowance {
  readonly reason: string;
  /** Resource type the policy belongs to (e.g. `AWS::KMS::Key` for key policies). @default any */
  readonly resourceType?: string;
  /** Matches every action of the statement. */
  readonly action: RegExp;
  /** Matches the flattened wildcard resource (see `flatten`). @default any */
  readonly resource?: RegExp;
  /** Further conditions the statement must meet (e.g. a narrowing condition key). */
  readonly requires?: (statement: PolicyStatement, stack: SynthesizedStack) => boolean;
}

function allows(
  allowance: WildcardAllowance,
  stack: SynthesizedStack,
  resource: CfnResource,
  statement: PolicyStatement,
  flatResource?: string,
): boolean {
  if (allowance.resourceType !== undefined && allowance.resourceType !== resource.Type) return false;
  if (!asArray(statement.Action).every((action) => allowance.action.test(action))) return false;
  if (flatResource !== undefined && allowance.resource && !allowance.resource.test(flatResource))
    return false;
  return allowance.requires ? allowance.requires(statement, stack) : true;
}

/**
 * Allow statements with a `*` or service-wide action, or with NotAction, unless an allowance with
 * a reason covers them. Deny statements only restrict and are not checked.
 */
export function wildcardActionViolations(
  stacks: readonly SynthesizedStack[],
  allowances: readonly WildcardAllowance[],
  used = new Set<WildcardAllowance>(),
): string[] {
  const violations: string[] = [];
  for (const { stack, logicalId, resource, value: statement } of policyStatements(stacks)) {
    if (statement.Effect !== 'Allow') continue;
    if (statement.NotAction !== undefined) {
      violations.push(
        `${where(stack, logicalId)}: Allow with NotAction ${JSON.stringify(statement.NotAction)}`,
      );
      continue;
    }
    const wildcards = asArray(statement.Action).filter(isWildcardAction);
    if (wildcards.length === 0) continue;
    const allowance = allowances.find((candidate) => allows(candidate, stack, resource, statement));
    if (allowance) used.add(allowance);
    else violations.push(`${where(stack, logicalId)}: Allow of ${wildcards.join(', ')}`);
  }
  return violations;
}

/** Allow statements (identity and resource policies) with a wildcard resource no allowance covers. */
export function wildcardResourceViolations(
  stacks: readonly SynthesizedStack[],
  allowances: readonly WildcardAllowance[],
  used = new Set<WildcardAllowance>(),
): string[] {
  const violations: string[] = [];
  for (const { stack, logicalId, resource, value: statement, kind } of policyStatements(stacks)) {
    if (statement.Effect !== 'Allow' || kind === 'trust') continue;
    if (statement.NotResource !== undefined) {
      violations.push(`${where(stack, logicalId)}: Allow with NotResource`);
      continue;
    }
    for (const flat of asArray(statement.Resource).map(flatten)) {
      if (!flat.includes('*')) continue;
      // Statements may be merged (minimizePolicies), so each action needs an allowance of its own.
      const covering = asArray(statement.Action).map((action) =>
        allowances.find((candidate) =>
          allows(candidate, stack, resource, { ...statement, Action: [action] }, flat),
        ),
      );
      if (covering.every((allowance) => allowance !== undefined))
        for (const allowance of covering) used.add(allowance);
      else violations.push(`${where(stack, logicalId)}: ${asArray(statement.Action).join(', ')} on ${flat}`);
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// GitHub OIDC trust policies.

export const GITHUB_HOST = 'token.actions.githubusercontent.com';

/** Whether a trust statement admits tokens from GitHub's OIDC provider (by reference or ARN). */
export function isGitHubFederated(statement: PolicyStatement, stack: SynthesizedStack): boolean {
  const federated = (statement.Principal as { Federated?: unknown } | undefined)?.Federated;
  if (federated === undefined) return false;
  return asArray(federated).some((principal) => {
    const flat = flatten(principal);
    if (flat.includes(`oidc-provider/${GITHUB_HOST}`)) return true;
    const ref = /^\$\{([A-Za-z0-9]+)(\.Arn)?\}$/.exec(flat)?.[1];
    const target = ref ? stack.template.Resources?.[ref] : undefined;
    return (
      target !== undefined &&
      /OIDCProvider|OpenIdConnectProvider/.test(target.Type) &&
      JSON.stringify(target.Properties ?? {}).includes(GITHUB_HOST)
    );
  });
}

/**
 * Every trust statement with a federated principal must pin the audience and the subject with
 * StringEquals and nothing looser; GitHub subjects must be `repo:<owner>/<repo>:environment:<env>`
 * of the configured repository, with no wildcard character.
 */
export function githubTrustViolations(
  stacks: readonly SynthesizedStack[],
  repository: { owner: string; repository: string },
): string[] {
  const violations: string[] = [];
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const subjectPattern = new RegExp(
    `^repo:${escapeRegExp(repository.owner)}(@\\d+)?/${escapeRegExp(repository.repository)}(@\\d+)?:environment:[A-Za-z0-9._-]+$`,
  );
  for (const { stack, logicalId, value: statement, kind } of policyStatements(stacks)) {
    if (kind !== 'trust' || statement.Effect !== 'Allow') continue;
    const federated = (statement.Principal as { Federated?: unknown } | undefined)?.Federated;
    if (federated === undefined) continue;
    const at = where(stack, logicalId);
    const github = isGitHubFederated(statement, stack);
    const host = github ? GITHUB_HOST : flatten(federated).replace(/^.*oidc-provider\//, '');
    const conditions = statement.Condition ?? {};
    const operators = Object.keys(conditions);
    if (operators.length !== 1 || operators[0] !== 'StringEquals') {
      violations.push(
        `${at}: trust conditions must be StringEquals only, got ${operators.join(', ') || 'none'}`,
      );
      continue;
    }
    const equals = conditions.StringEquals ?? {};
    const audience = asArray(equals[`${host}:aud`]);
    const subjects = asArray(equals[`${host}:sub`]);
    if (github && (audience.length !== 1 || audience[0] !== 'sts.amazonaws.com')) {
      violations.push(`${at}: audience must be exactly sts.amazonaws.com, got ${JSON.stringify(audience)}`);
    } else if (!github && audience.length === 0) {
      violations.push(`${at}: no audience condition`);
    }
    if (subjects.length === 0) violations.push(`${at}: no subject condition`);
    for (const subject of subjects) {
      if (typeof subject !== 'string' || /[*?]/.test(subject)) {
        violations.push(`${at}: wildcard subject ${JSON.stringify(subject)}`);
      } else if (github && !subjectPattern.test(subject)) {
        violations.push(
          `${at}: subject ${subject} is not an environment of ${repository.owner}/${repository.repository}`,
        );
      }
    }
    if (asArray(statement.Action).some((action) => action !== 'sts:AssumeRoleWithWebIdentity')) {
      violations.push(`${at}: federated trust grants ${JSON.stringify(statement.Action)}`);
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// API routes.

/** Routes of HTTP APIs without a JWT/IAM/Lambda authorizer, and REST methods without one. */
export function unauthorizedRouteViolations(stacks: readonly SynthesizedStack[]): string[] {
  const violations: string[] = [];
  for (const { stack, logicalId, resource } of resources(stacks, 'AWS::ApiGatewayV2::Route')) {
    const props = resource.Properties ?? {};
    const type = props.AuthorizationType as string | undefined;
    const needsId = type === 'JWT' || type === 'CUSTOM';
    if (!type || type === 'NONE' || (needsId && props.AuthorizerId === undefined)) {
      violations.push(`${where(stack, logicalId)}: route ${String(props.RouteKey)} has no authorizer`);
    }
  }
  for (const { stack, logicalId, resource } of resources(stacks, 'AWS::ApiGateway::Method')) {
    const props = resource.Properties ?? {};
    if (!props.AuthorizationType || props.AuthorizationType === 'NONE') {
      violations.push(`${where(stack, logicalId)}: method ${String(props.HttpMethod)} has no authorizer`);
    }
  }
  for (const { stack, logicalId, resource } of resources(stacks, 'AWS::Lambda::Url')) {
    if (resource.Properties?.AuthType !== 'AWS_IAM') {
      violations.push(`${where(stack, logicalId)}: function URL without IAM auth`);
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// Buckets and tables.

/** Buckets that are the destination of another bucket's server access logs. */
function accessLogDestinations(stack: SynthesizedStack): Set<string> {
  const destinations = new Set<string>();
  for (const resource of Object.values(stack.template.Resources ?? {})) {
    if (resource.Type !== 'AWS::S3::Bucket') continue;
    const destination = (resource.Properties?.LoggingConfiguration as { DestinationBucketName?: unknown })
      ?.DestinationBucketName;
    const ref =
      destination === undefined ? undefined : /^\$\{([A-Za-z0-9]+)\}$/.exec(flatten(destination))?.[1];
    if (ref) destinations.add(ref);
  }
  return destinations;
}

/** Every bucket blocks all public access and has a policy denying requests without TLS. */
export function bucketAccessViolations(stacks: readonly SynthesizedStack[]): string[] {
  const violations: string[] = [];
  for (const { stack, logicalId, resource } of resources(stacks, 'AWS::S3::Bucket')) {
    const block = (resource.Properties?.PublicAccessBlockConfiguration ?? {}) as Record<string, unknown>;
    for (const flag of [
      'BlockPublicAcls',
      'BlockPublicPolicy',
      'IgnorePublicAcls',
      'RestrictPublicBuckets',
    ]) {
      if (block[flag] !== true) violations.push(`${where(stack, logicalId)}: ${flag} is not true`);
    }
    const denies = resources([stack], 'AWS::S3::BucketPolicy')
      .filter(({ resource: policy }) => flatten(policy.Properties?.Bucket) === `\${${logicalId}}`)
      .flatMap(({ resource: policy }) =>
        asArray((policy.Properties?.PolicyDocument as { Statement?: PolicyStatement[] })?.Statement),
      )
      .filter(
        (statement) =>
          statement.Effect === 'Deny' &&
          asArray(statement.Action).includes('s3:*') &&
          JSON.stringify(statement.Principal) === JSON.stringify({ AWS: '*' }) &&
          String(statement.Condition?.Bool?.['aws:SecureTransport']) === 'false',
      );
    const covered = new Set(denies.flatMap((statement) => asArray(statement.Resource).map(flatten)));
    for (const needed of [`\${${logicalId}.Arn}`, `\${${logicalId}.Arn}/*`]) {
      if (!covered.has(needed)) violations.push(`${where(stack, logicalId)}: no TLS-only deny on ${needed}`);
    }
  }
  return violations;
}

/**
 * The kit's key as a stack can refer to it: the data stack's `PlatformKey` directly, other stacks
 * through an export of the same account and region whose value is that key.
 */
function kitKeyReferences(stack: SynthesizedStack, stacks: readonly SynthesizedStack[]): Set<string> {
  const direct = [`\${PlatformKey.Arn}`, `\${PlatformKey}`];
  const references = new Set<string>();
  if (stack.template.Resources?.PlatformKey?.Type === 'AWS::KMS::Key') {
    for (const reference of direct) references.add(reference);
  }
  for (const other of stacks) {
    if (other.account !== stack.account || other.region !== stack.region) continue;
    if (other.template.Resources?.PlatformKey?.Type !== 'AWS::KMS::Key') continue;
    for (const output of Object.values(other.template.Outputs ?? {})) {
      if (output.Export && direct.includes(flatten(output.Value))) {
        references.add(`\${import:${flatten(output.Export.Name)}}`);
      }
    }
  }
  return references;
}

/**
 * Every table and bucket is encrypted with the kit's key; a bucket that receives server access
 * logs uses SSE-S3 instead, the only encryption S3 log delivery supports.
 */
export function encryptionViolations(stacks: readonly SynthesizedStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    const kitKey = kitKeyReferences(stack, stacks);
    const logDestinations = accessLogDestinations(stack);
    for (const { logicalId, resource } of resources([stack], 'AWS::S3::Bucket')) {
      const rule = (
        resource.Properties?.BucketEncryption as {
          ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: Record<string, unknown> }[];
        }
      )?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault;
      if (logDestinations.has(logicalId)) {
        if (rule?.SSEAlgorithm !== 'AES256') {
          violations.push(`${where(stack, logicalId)}: access-log bucket must use SSE-S3 (AES256)`);
        }
      } else if (rule?.SSEAlgorithm !== 'aws:kms' || !kitKey.has(flatten(rule.KMSMasterKeyID))) {
        violations.push(`${where(stack, logicalId)}: bucket not encrypted with the kit's key`);
      }
    }
    for (const { logicalId, resource } of [
      ...resources([stack], 'AWS::DynamoDB::Table'),
      ...resources([stack], 'AWS::DynamoDB::GlobalTable'),
    ]) {
      const sse = (resource.Properties?.SSESpecification ?? {}) as Record<string, unknown>;
      const keys =
        resource.Type === 'AWS::DynamoDB::Table'
          ? [sse.KMSMasterKeyId]
          : asArray(
              resource.Properties?.Replicas as { SSESpecification?: { KMSMasterKeyId?: unknown } }[],
            ).map((replica) => replica.SSESpecification?.KMSMasterKeyId);
      const enabled = sse.SSEEnabled === true && (sse.SSEType ?? 'KMS') === 'KMS';
      if (!enabled || keys.length === 0 || !keys.every((key) => kitKey.has(flatten(key)))) {
        violations.push(`${where(stack, logicalId)}: table not encrypted with the kit's key`);
      }
    }
  }
  return violations;
}
