import { describe, expect, it } from 'vitest';
import { parseGitHub, parseStages } from '../../../infra/config/stages.ts';
import { promotionPlan } from '../../../infra/stacks/promotion-plan.ts';

const stage = (account: string, extra: Record<string, unknown> = {}) => ({
  account,
  region: 'eu-west-1',
  ...extra,
});

describe('parseStages', () => {
  it('fills the defaults: serverless endpoints, a created OIDC provider, the artifact root as prefix, no monitored models', () => {
    expect(parseStages({ dev: stage('111111111111') }).dev).toEqual({
      account: '111111111111',
      region: 'eu-west-1',
      noncurrentVersionDays: 30,
      githubOidcProvider: 'create',
      endpointType: 'serverless',
      approvedArtifactsPrefix: 'mlflow-artifacts/',
      monitoredModels: [],
    });
  });

  it('rejects a promotion from a stage that does not exist', () => {
    expect(() =>
      parseStages({
        staging: stage('222222222222'),
        prod: stage('333333333333', { promotion: { from: 'stage' } }),
      }),
    ).toThrow(
      'invalid mlops:stages context at prod.promotion.from: promotion.from must name another stage (one of staging), got "stage"',
    );
  });

  it('rejects a stage promoting from itself', () => {
    expect(() => parseStages({ prod: stage('333333333333', { promotion: { from: 'prod' } }) })).toThrow(
      /prod\.promotion\.from: promotion\.from must name another stage/,
    );
  });

  it("rejects stage names that one stage's stack pattern would select together", () => {
    expect(() => parseStages({ dev: stage('111111111111'), 'dev-eu': stage('111111111111') })).toThrow(
      `invalid mlops:stages context at dev: stage "dev-eu" starts with "dev-", so 'mlops-dev-*' would select both`,
    );
  });

  it('rejects a GitHub environment with a wildcard and an unknown endpoint type', () => {
    expect(() => parseStages({ prod: stage('333333333333', { githubEnvironment: 'prod*' }) })).toThrow(
      /prod\.githubEnvironment: githubEnvironment may hold only/,
    );
    expect(() => parseStages({ prod: stage('333333333333', { endpointType: 'gpu' }) })).toThrow(
      /prod\.endpointType/,
    );
  });
});

describe('parseGitHub', () => {
  it('is undefined when the context is absent', () => {
    expect(parseGitHub(undefined)).toBeUndefined();
  });

  it('rejects an owner that could widen a subject, and ids given alone', () => {
    expect(() => parseGitHub({ owner: 'example-*', repository: 'mlops-kit' })).toThrow(
      'invalid mlops:github context at owner: owner must be a GitHub organisation or user name',
    );
    expect(() => parseGitHub({ owner: 'example-org', repository: 'mlops-kit', ownerId: 1 })).toThrow(
      'invalid mlops:github context at (root): ownerId and repositoryId are set together or not at all',
    );
  });
});

describe('promotionPlan', () => {
  const stages = parseStages({
    dev: stage('111111111111'),
    staging: stage('222222222222', { approvedArtifactsPrefix: 'approved/' }),
    prod: stage('333333333333', { githubEnvironment: 'production', promotion: { from: 'staging' } }),
  });
  const plan = promotionPlan(stages);

  it("lets the source's role be assumed from the target's environment and admits the target's role to the source's prefix", () => {
    expect(plan.dev).toEqual({ createsOidcProvider: true, readers: [] });
    expect(plan.staging).toEqual({
      createsOidcProvider: true,
      promotion: { environments: ['production'], artifactsPrefix: 'approved/', target: false },
      readers: [{ account: '333333333333', roleName: 'mlops-prod-github-promotion', prefix: 'approved/' }],
    });
    expect(plan.prod).toEqual({
      createsOidcProvider: true,
      promotion: {
        environments: ['production'],
        artifactsPrefix: 'mlflow-artifacts/',
        target: true,
        source: { account: '222222222222', region: 'eu-west-1', artifactsPrefix: 'approved/' },
      },
      readers: [],
    });
  });

  it('creates the OIDC provider once per account', () => {
    const shared = promotionPlan(parseStages({ a: stage('111111111111'), b: stage('111111111111') }));
    expect([shared.a?.createsOidcProvider, shared.b?.createsOidcProvider]).toEqual([true, false]);
  });
});
