/**
 * The whole app as the assurance tests see it: every stack of every stage, synthesized once from
 * `cdk.json`'s context (asset bundling skipped), plus small walkers over the templates. Written over
 * whatever stacks exist, so stacks added later are covered without touching the tests.
 */
import type { App } from 'aws-cdk-lib';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { buildApp } from '../../../infra/build-app.ts';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

export interface SynthesizedStack {
  readonly stackName: string;
  /** Names of the stacks this one depends on (deployed with it by `cdk deploy`). */
  readonly dependsOn?: readonly string[];
  readonly account: string;
  readonly region: string;
  readonly template: {
    readonly Resources?: Record<string, CfnResource>;
    readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  };
}

export const CONTEXT = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };

/** Synthesizes the app; `context` overrides merge into `cdk.json`'s. */
export function synthesizeApp(context: Record<string, unknown> = {}): {
  app: App;
  stacks: SynthesizedStack[];
} {
  const { app } = buildApp({ context: { ...CONTEXT, ...context } });
  const assembly = app.synth();
  return {
    app,
    stacks: assembly.stacks.map((stack) => ({
      stackName: stack.stackName,
      dependsOn: stack.dependencies
        .filter((dependency) => assembly.stacks.some((other) => other.id === dependency.id))
        .map((dependency) => assembly.getStackArtifact(dependency.id).stackName),
      account: stack.environment.account,
      region: stack.environment.region,
      template: stack.template,
    })),
  };
}

export interface Located<T> {
  readonly stack: SynthesizedStack;
  readonly logicalId: string;
  readonly resource: CfnResource;
  readonly value: T;
}

export function resources(stacks: readonly SynthesizedStack[], type?: string): Located<CfnResource>[] {
  return stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {})
      .filter(([, resource]) => type === undefined || resource.Type === type)
      .map(([logicalId, resource]) => ({ stack, logicalId, resource, value: resource })),
  );
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** What kind of policy document a statement sits in. */
export type PolicyKind = 'identity' | 'trust' | 'resource';

/**
 * Every policy statement anywhere in the templates: identity policies (roles' inline policies,
 * IAM policies), trust policies, and resource policies (bucket, key, queue, topic, …). Found by
 * walking all properties for `{ Statement: [...] }`, so resource types added later are covered.
 */
export function policyStatements(
  stacks: readonly SynthesizedStack[],
): (Located<PolicyStatement> & { kind: PolicyKind; path: string })[] {
  const found: (Located<PolicyStatement> & { kind: PolicyKind; path: string })[] = [];
  for (const located of resources(stacks)) {
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        for (const [index, item] of node.entries()) walk(item, `${path}[${index}]`);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const object = node as Record<string, unknown>;
      if (Array.isArray(object.Statement) && typeof object.Statement[0] === 'object') {
        const kind: PolicyKind = path.includes('AssumeRolePolicyDocument')
          ? 'trust'
          : /^(AWS::IAM::|AWS::SSO::)/.test(located.resource.Type)
            ? 'identity'
            : 'resource';
        for (const statement of object.Statement as PolicyStatement[]) {
          found.push({ ...located, value: statement, kind, path });
        }
        return;
      }
      for (const [key, value] of Object.entries(object)) walk(value, path ? `${path}.${key}` : key);
    };
    walk(located.resource.Properties, '');
  }
  return found;
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * A CloudFormation value as one readable string: `Fn::Join` concatenated, `Ref` as `${Name}`,
 * `Fn::GetAtt` as `${Resource.Attr}`, `Fn::ImportValue` as `${import:Name}`, `Fn::Sub` as its text.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  const object = value as Record<string, unknown>;
  if ('Fn::Join' in object) {
    const [delimiter, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(delimiter);
  }
  if ('Ref' in object) return `\${${flatten(object.Ref)}}`;
  if ('Fn::GetAtt' in object) {
    const attribute = object['Fn::GetAtt'];
    return `\${${Array.isArray(attribute) ? attribute.map(flatten).join('.') : flatten(attribute)}}`;
  }
  if ('Fn::ImportValue' in object) return `\${import:${flatten(object['Fn::ImportValue'])}}`;
  if ('Fn::Sub' in object) {
    const sub = object['Fn::Sub'];
    return flatten(Array.isArray(sub) ? sub[0] : sub);
  }
  return JSON.stringify(value);
}
