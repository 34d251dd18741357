import { App, type AppProps, Validations } from 'aws-cdk-lib';
import {
  GITHUB_CONTEXT_KEY,
  githubEnvironmentOf,
  parseGitHub,
  parseStages,
  STAGES_CONTEXT_KEY,
} from './config/stages.ts';
import { KitAwsSolutionsChecks } from './nag.ts';
import { AnalyticsStack } from './stacks/analytics-stack.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { DataStack } from './stacks/data-stack.ts';
import { GitHubOidcStack } from './stacks/github-oidc-stack.ts';
import { MonitoringStack } from './stacks/monitoring-stack.ts';
import { PipelinesStack } from './stacks/pipelines-stack.ts';
import { promotionPlan } from './stacks/promotion-plan.ts';

export interface BuiltApp {
  readonly app: App;
  readonly stages: Readonly<
    Record<
      string,
      {
        readonly data: DataStack;
        readonly api: ApiStack;
        readonly pipelines: PipelinesStack;
        readonly github?: GitHubOidcStack;
        readonly analytics?: AnalyticsStack;
        readonly monitoring?: MonitoringStack;
      }
    >
  >;
}

/**
 * Creates one set of stacks per stage from the `mlops:stages` context, with cdk-nag's AwsSolutions
 * checks. Every stack of stage `<s>` is named `mlops-<s>-…`, so `cdk deploy 'mlops-<s>-*'` touches
 * that stage only. With the `mlops:github` context, each stage also gets its GitHub OIDC stack.
 */
export function buildApp(props: AppProps = {}): BuiltApp {
  const app = new App(props);
  Validations.of(app).addPlugins(new KitAwsSolutionsChecks(app));
  const stages = parseStages(app.node.tryGetContext(STAGES_CONTEXT_KEY));
  const github = parseGitHub(app.node.tryGetContext(GITHUB_CONTEXT_KEY));
  const plan = promotionPlan(stages);
  const built: Record<
    string,
    {
      data: DataStack;
      api: ApiStack;
      pipelines: PipelinesStack;
      github?: GitHubOidcStack;
      analytics?: AnalyticsStack;
      monitoring?: MonitoringStack;
    }
  > = {};
  for (const [name, stage] of Object.entries(stages)) {
    const env = { account: stage.account, region: stage.region };
    const data = new DataStack(app, `mlops-${name}-data`, {
      env,
      stage: name,
      noncurrentVersionDays: stage.noncurrentVersionDays,
      terminationProtection: name === 'prod',
      artifactReaders: plan[name]?.readers ?? [],
    });
    const api = new ApiStack(app, `mlops-${name}-api`, {
      env,
      stage: name,
      tables: data.tables,
      buckets: { lakehouse: data.lakehouseBucket, artifacts: data.artifactsBucket },
      encryptionKey: data.key,
    });
    const analytics = new AnalyticsStack(app, `mlops-${name}-analytics`, {
      env,
      stage: name,
      lakehouseBucket: data.lakehouseBucket,
      encryptionKey: data.key,
      accessLogsBucket: data.accessLogsBucket,
    });
    const pipelines = new PipelinesStack(app, `mlops-${name}-pipelines`, {
      env,
      stage: name,
      analytics: analytics.analytics,
      // In a promotion target the promotion job deploys, then moves the alias: no second deployment.
      ...(stage.promotion ? { deployOnAliases: [] } : {}),
      data: {
        key: data.key,
        tables: data.tables,
        buckets: { lakehouse: data.lakehouseBucket, artifacts: data.artifactsBucket },
      },
    });
    built[name] = { data, api, pipelines, analytics };
    const monitoringPipeline = pipelines.pipelines.monitoring;
    if (monitoringPipeline) {
      built[name].monitoring = new MonitoringStack(app, `mlops-${name}-monitoring`, {
        env,
        stage: name,
        pipeline: monitoringPipeline,
        models: stage.monitoredModels,
      });
    }
    if (github) {
      built[name].github = new GitHubOidcStack(app, `mlops-${name}-github`, {
        env,
        stage: name,
        repository: github,
        environment: githubEnvironmentOf(name, stage),
        createProvider: plan[name]?.createsOidcProvider ?? false,
        artifactsBucket: data.artifactsBucket,
        artifactsKey: data.key,
        ...(plan[name]?.promotion ? { promotion: plan[name].promotion } : {}),
        ...(plan[name]?.dispatch ? { dispatch: plan[name].dispatch } : {}),
      });
    }
  }
  return { app, stages: built };
}
