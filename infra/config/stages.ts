/**
 * Deployment stages, read from the `mlops:stages` context of `cdk.json` (or `-c` on the command line)
 * and validated before any construct is created; and the GitHub repository that deploys them, read
 * from the `mlops:github` context.
 */
import { z } from 'zod';

const STAGE_NAME = /^[a-z][a-z0-9-]{0,15}$/;

export const StageSchema = z.object({
  /** 12-digit AWS account id. */
  account: z.string().regex(/^\d{12}$/, 'account must be a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like eu-west-1'),
  /** How long deleted lakehouse file versions are kept in the versioned buckets. */
  noncurrentVersionDays: z.number().int().min(1).default(30),
  /**
   * The GitHub environment whose jobs may assume this stage's roles; defaults to the stage name.
   * Letters, digits, `.`, `_` and `-` only, so an OIDC subject can never contain a wildcard.
   */
  githubEnvironment: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,255}$/, 'githubEnvironment may hold only letters, digits, ".", "_" and "-"')
    .optional(),
  /**
   * Whether the stage's GitHub OIDC stack creates the account's provider for
   * token.actions.githubusercontent.com (`create`) or uses one that already exists (`existing`).
   * When several stages share an account, only the first one creates it.
   */
  githubOidcProvider: z.enum(['create', 'existing']).default('create'),
  /** How model endpoints are served: serverless (nothing runs when idle) or instance-backed. */
  endpointType: z.enum(['serverless', 'instance']).default('serverless'),
  /**
   * Key prefix of the promotable model artifacts in this stage's artifact bucket: the registry's
   * artifact root, under which version sources (`mlflow-artifacts:/…`) and promoted copies
   * (`mlflow-artifacts:/promotions/…`) live. Narrow it to `mlflow-artifacts/promotions/` when only
   * versions that were themselves promoted into this stage may move on.
   */
  approvedArtifactsPrefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._/-]*\/$/, 'approvedArtifactsPrefix must be a key prefix ending in "/"')
    .default('mlflow-artifacts/'),
  /**
   * Where this stage's model versions are promoted from. The source stage's artifact bucket and key
   * then let this stage's promotion role (and nothing else) read the source's approved artifacts.
   */
  promotion: z
    .object({
      from: z.string().regex(STAGE_NAME, 'promotion.from must name a stage'),
      /**
       * Start the promote-model workflow when the source stage's registry moves one of `aliases`
       * (an EventBridge rule and API destination in the source stage's GitHub stack). Off unless
       * set: it needs a GitHub token in the source account's Secrets Manager.
       */
      dispatch: z
        .object({
          /** Secret in the source stage's account whose value is `Bearer <GitHub token>`. */
          tokenSecretName: z
            .string()
            .regex(/^[\w/+=.@-]{1,512}$/, 'tokenSecretName must be a Secrets Manager secret name'),
          /** Aliases of the source registry whose moves start a promotion. */
          aliases: z
            .array(z.string().regex(/^[A-Za-z][\w-]{0,127}$/, 'aliases must be registry alias names'))
            .min(1)
            .default(['champion']),
        })
        .optional(),
    })
    .optional(),
  /**
   * Models monitored on a schedule in this stage (`mlops-<stage>-monitoring`): name, and optionally
   * an EventBridge Scheduler expression (default daily), a window length and the monitoring target.
   */
  monitoredModels: z
    .array(
      z.object({
        model: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'model names are letters, digits, "_" and "-"'),
        schedule: z
          .string()
          .regex(/^(rate|cron)\(.+\)$/, 'schedule must be rate(...) or cron(...)')
          .optional(),
        window: z
          .string()
          .regex(/^[1-9]\d*[mhdw]$/, 'window must look like 30m, 12h, 7d or 2w')
          .optional(),
        target: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .default([]),
});

export type StageSettings = z.infer<typeof StageSchema>;

export const StagesSchema = z
  .record(z.string().regex(STAGE_NAME, 'stage names are lower-case, at most 16 characters'), StageSchema)
  .superRefine((stages, ctx) => {
    const names = Object.keys(stages);
    if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one stage is required' });
    for (const name of names) {
      // `cdk deploy 'mlops-<stage>-*'` selects a stage; `dev` and `dev-eu` would both match `mlops-dev-*`.
      const shadowed = names.find((other) => other !== name && other.startsWith(`${name}-`));
      if (shadowed) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `stage "${shadowed}" starts with "${name}-", so 'mlops-${name}-*' would select both`,
        });
      }
      const from = stages[name]?.promotion?.from;
      if (from !== undefined && (from === name || !(from in stages))) {
        ctx.addIssue({
          code: 'custom',
          path: [name, 'promotion', 'from'],
          message: `promotion.from must name another stage (one of ${names.filter((n) => n !== name).join(', ') || 'none'}), got "${from}"`,
        });
      }
    }
  });

export type Stages = z.infer<typeof StagesSchema>;

export const STAGES_CONTEXT_KEY = 'mlops:stages';

/** Parses the stages context value; throws an Error naming the offending stage and field. */
export function parseStages(value: unknown): Stages {
  const result = StagesSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(
    `invalid ${STAGES_CONTEXT_KEY} context at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
  );
}

/** The GitHub environment of a stage: its `githubEnvironment`, or its name. */
export function githubEnvironmentOf(name: string, stage: StageSettings): string {
  return stage.githubEnvironment ?? name;
}

export const GitHubSchema = z.object({
  /** Organisation or user that owns the repository. */
  owner: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'owner must be a GitHub organisation or user name'),
  repository: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'repository must be a GitHub repository name'),
  /**
   * Numeric ids of the owner and repository. Repositories created after 15 July 2026 get OIDC
   * subjects of the form `repo:<owner>@<ownerId>/<repository>@<repositoryId>:…`; set both for them.
   */
  ownerId: z.number().int().positive().optional(),
  repositoryId: z.number().int().positive().optional(),
});

export type GitHubSettings = z.infer<typeof GitHubSchema>;

export const GITHUB_CONTEXT_KEY = 'mlops:github';

/**
 * Parses the `mlops:github` context value. Undefined when it is absent: the app then has no GitHub
 * OIDC stacks. Throws an Error naming the offending field.
 */
export function parseGitHub(value: unknown): GitHubSettings | undefined {
  if (value === undefined) return undefined;
  const result = GitHubSchema.refine(
    (github) => (github.ownerId === undefined) === (github.repositoryId === undefined),
    'ownerId and repositoryId are set together or not at all',
  ).safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(
    `invalid ${GITHUB_CONTEXT_KEY} context at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
  );
}
