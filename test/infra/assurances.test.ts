import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.ts';
import { parseGitHub, parseStages } from '../../infra/config/stages.ts';
import {
  bucketAccessViolations,
  encryptionViolations,
  githubTrustViolations,
  unauthorizedRouteViolations,
  type WildcardAllowance,
  wildcardActionViolations,
  wildcardResourceViolations,
} from './assurances/checks.ts';
import { idleCostReport, renderIdleCostTable } from './assurances/idle-cost.ts';
import { CONTEXT, type SynthesizedStack, synthesizeApp } from './assurances/synthesized.ts';
import { ASSURANCE_ALLOWANCES, WILDCARD_ALLOWANCES } from './assurances/wildcard-allowances.ts';

const STAGES = parseStages(CONTEXT['mlops:stages']);
const GITHUB = parseGitHub(CONTEXT['mlops:github'])!;
const stageOf = (stack: SynthesizedStack) => /^mlops-([a-z0-9]+)-/.exec(stack.stackName)?.[1] ?? '?';

/** Templates of a throwaway app (no cdk-nag) holding only what `build` adds. */
function badStacks(build: (stack: Stack) => void): SynthesizedStack[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  build(new Stack(app, 'Bad', { env: { account: '999999999999', region: 'eu-west-1' } }));
  return app.synth().stacks.map((stack) => ({
    stackName: stack.stackName,
    account: stack.environment.account,
    region: stack.environment.region,
    template: stack.template,
  }));
}

let app: App;
let stacks: SynthesizedStack[];

beforeAll(() => {
  ({ app, stacks } = synthesizeApp());
});

describe('the synthesized app', () => {
  it('has stacks for every stage, each in its stage account and region', () => {
    expect(new Set(stacks.map(stageOf))).toEqual(new Set(Object.keys(STAGES)));
    for (const stack of stacks) {
      const stage = STAGES[stageOf(stack)]!;
      expect({ stack: stack.stackName, account: stack.account, region: stack.region }).toEqual({
        stack: stack.stackName,
        account: stage.account,
        region: stage.region,
      });
    }
  });

  it("never makes one stage's stack depend on another stage's, so a stage deploys alone", () => {
    const crossing = stacks.flatMap((stack) =>
      (stack.dependsOn ?? [])
        .filter((name) => stageOf({ ...stack, stackName: name }) !== stageOf(stack))
        .map((name) => `${stack.stackName} → ${name}`),
    );
    expect(crossing).toEqual([]);
    expect(stacks.find((stack) => stack.stackName === 'mlops-prod-github')?.dependsOn).toEqual([
      'mlops-prod-data',
    ]);
  });

  it('has no dependency cycle in any template', () => {
    for (const stack of stacks)
      expect(() => Template.fromJSON(stack.template), stack.stackName).not.toThrow();
  });

  it("selects exactly one stage's stacks with cdk's own 'mlops-<stage>-*' pattern", async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'mlops-cdk-out-'));
    try {
      buildApp({ context: CONTEXT, outdir }).app.synth();
      const cdk = new URL('../../node_modules/aws-cdk/bin/cdk', import.meta.url).pathname;
      const stages = Object.keys(STAGES);
      const listed = await Promise.all(
        stages.map(async (stage) => {
          const { stdout } = await promisify(execFile)(
            process.execPath,
            [cdk, 'list', '--app', outdir, '--no-notices', `mlops-${stage}-*`],
            { env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' } },
          );
          return stdout.trim().split('\n').sort();
        }),
      );
      expect(listed).toEqual(
        stages.map((stage) =>
          stacks
            .filter((stack) => stageOf(stack) === stage)
            .map((stack) => stack.stackName)
            .sort(),
        ),
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('has zero unacknowledged cdk-nag AwsSolutions findings (errors and warnings) across all stages', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
  });
});

describe('IAM assurances', () => {
  it('no Allow statement grants a "*" or service-wide action except the listed ones', () => {
    expect(wildcardActionViolations(stacks, WILDCARD_ALLOWANCES)).toEqual([]);
  });

  it('no Allow statement names a wildcard resource except the listed ones', () => {
    expect(wildcardResourceViolations(stacks, WILDCARD_ALLOWANCES)).toEqual([]);
  });

  it('lists only wildcards that are in use', () => {
    const used = new Set<WildcardAllowance>();
    wildcardActionViolations(stacks, WILDCARD_ALLOWANCES, used);
    wildcardResourceViolations(stacks, WILDCARD_ALLOWANCES, used);
    expect(ASSURANCE_ALLOWANCES.filter((allowance) => !used.has(allowance)).map((a) => a.reason)).toEqual([]);
  });

  it('reports a role allowed "*" or "s3:*" and a wildcard resource that is not listed', () => {
    const bad = badStacks((stack) => {
      const role = new iam.Role(stack, 'Careless', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['*'], resources: ['arn:aws:s3:::one'] }));
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['arn:aws:s3:::two'] }));
      role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: ['*'] }));
    });
    expect(wildcardActionViolations(bad, WILDCARD_ALLOWANCES)).toEqual([
      expect.stringMatching(/Bad\/CarelessDefaultPolicy.*: Allow of \*$/),
      expect.stringMatching(/: Allow of s3:\*$/),
    ]);
    expect(wildcardResourceViolations(bad, WILDCARD_ALLOWANCES)).toEqual([
      expect.stringMatching(/dynamodb:GetItem on \*$/),
    ]);
  });

  it('admits GitHub only with the exact audience and an environment subject of the repository', () => {
    expect(githubTrustViolations(stacks, GITHUB)).toEqual([]);
    const federatedTrusts = stacks.flatMap((stack) =>
      Object.values(stack.template.Resources ?? {}).filter(
        (resource) =>
          resource.Type === 'AWS::IAM::Role' &&
          JSON.stringify(resource.Properties?.AssumeRolePolicyDocument).includes('Federated'),
      ),
    );
    // dev, staging, prod deploy roles; staging (source) and prod (target) promotion roles.
    expect(federatedTrusts).toHaveLength(5);
  });

  it('reports a wildcard subject, a StringLike condition and a missing audience', () => {
    const bad = badStacks((stack) => {
      const provider = new iam.OidcProviderNative(stack, 'GitHub', {
        url: 'https://token.actions.githubusercontent.com',
        clientIds: ['sts.amazonaws.com'],
      });
      new iam.Role(stack, 'AnyBranch', {
        assumedBy: new iam.OpenIdConnectPrincipal(provider, {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:example-org/mlops-kit:*' },
        }),
      });
      new iam.Role(stack, 'StarSubject', {
        assumedBy: new iam.OpenIdConnectPrincipal(provider, {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': 'repo:example-org/*:environment:prod',
          },
        }),
      });
      new iam.Role(stack, 'NoAudience', {
        assumedBy: new iam.OpenIdConnectPrincipal(provider, {
          StringEquals: {
            'token.actions.githubusercontent.com:sub': 'repo:other-org/mlops-kit:environment:prod',
          },
        }),
      });
    });
    expect(githubTrustViolations(bad, GITHUB)).toEqual([
      expect.stringMatching(
        /AnyBranch.*: trust conditions must be StringEquals only, got StringEquals, StringLike/,
      ),
      expect.stringMatching(/StarSubject.*: wildcard subject "repo:example-org\/\*:environment:prod"/),
      expect.stringMatching(/NoAudience.*: audience must be exactly sts.amazonaws.com, got \[\]/),
      expect.stringMatching(
        /NoAudience.*: subject repo:other-org\/mlops-kit:environment:prod is not an environment/,
      ),
    ]);
  });
});

describe('API assurances', () => {
  it('every API route has an authorizer', () => {
    expect(unauthorizedRouteViolations(stacks)).toEqual([]);
  });

  it('reports a route without an authorizer', () => {
    const bad = badStacks((stack) => {
      const api = new apigw.HttpApi(stack, 'Api', { createDefaultStage: false });
      new apigw.CfnRoute(stack, 'Open', { apiId: api.apiId, routeKey: 'ANY /open' });
    });
    expect(unauthorizedRouteViolations(bad)).toEqual([
      expect.stringMatching(/route ANY \/open has no authorizer/),
    ]);
  });
});

describe('storage assurances', () => {
  it('every bucket blocks public access and denies requests without TLS', () => {
    expect(stacks.some((stack) => JSON.stringify(stack.template).includes('AWS::S3::Bucket"'))).toBe(true);
    expect(bucketAccessViolations(stacks)).toEqual([]);
  });

  it("every table and bucket is encrypted with the kit's key, the access-log bucket with SSE-S3", () => {
    expect(encryptionViolations(stacks)).toEqual([]);
  });

  it("reports a bucket open to public policies and without TLS enforcement, and storage not under the kit's key", () => {
    const bad = badStacks((stack) => {
      new s3.Bucket(stack, 'Open', {
        blockPublicAccess: new s3.BlockPublicAccess({
          ...s3.BlockPublicAccess.BLOCK_ALL,
          blockPublicPolicy: false,
        }),
      });
      new dynamodb.TableV2(stack, 'Plain', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      });
    });
    expect(bucketAccessViolations(bad)).toEqual([
      expect.stringMatching(/Open.*: BlockPublicPolicy is not true/),
      expect.stringMatching(/Open.*: no TLS-only deny on \$\{Open.*\.Arn\}$/),
      expect.stringMatching(/Open.*: no TLS-only deny on \$\{Open.*\.Arn\}\/\*$/),
    ]);
    expect(encryptionViolations(bad)).toEqual([
      expect.stringMatching(/Open.*: bucket not encrypted with the kit's key/),
      expect.stringMatching(/Plain.*: table not encrypted with the kit's key/),
    ]);
  });
});

describe('idle-cost assurances', () => {
  const stageNames = Object.keys(STAGES);

  it('classifies every resource type and runs nothing when idle (no NAT, provisioned concurrency, instance endpoint or database server)', () => {
    const report = idleCostReport(stacks, stageOf);
    expect(report.unclassified).toEqual([]);
    expect(report.running).toEqual([]);
    expect(
      [...report.billed.values()]
        .map(({ cost }) => cost.kind)
        .every((kind) => kind === 'key' || kind === 'storage' || kind === 'fixed'),
    ).toBe(true);
  });

  it("prints the resources that cost money when idle in the README's deployment guide", () => {
    const table = renderIdleCostTable(idleCostReport(stacks, stageOf), stageNames);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /<!-- idle-costs:start -->\n([\s\S]*?)\n<!-- idle-costs:end -->/.exec(readme)?.[1];
    expect(block, `replace the README block between the idle-costs markers with:\n${table}`).toBe(table);
  });

  it('reports a NAT gateway and a provisioned-capacity table', () => {
    const bad = badStacks((stack) => {
      new ec2.CfnNatGateway(stack, 'Nat', { subnetId: 'subnet-1' });
      new dynamodb.CfnTable(stack, 'Provisioned', {
        keySchema: [{ attributeName: 'pk', keyType: 'HASH' }],
        attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }],
        provisionedThroughput: { readCapacityUnits: 5, writeCapacityUnits: 5 },
      });
    });
    expect(idleCostReport(bad, () => 'bad').running).toEqual([
      'Bad/Nat (AWS::EC2::NatGateway): billed per hour while it exists',
      'Bad/Provisioned (AWS::DynamoDB::Table): provisioned capacity is billed per hour',
    ]);
  });
});
