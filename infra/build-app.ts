import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { parseStages, STAGES_CONTEXT_KEY } from './config/stages.ts';
import { KitAwsSolutionsChecks } from './nag.ts';
import { DataStack } from './stacks/data-stack.ts';

export interface BuiltApp {
  readonly app: App;
  readonly stages: Readonly<Record<string, { readonly data: DataStack }>>;
}

/** Creates one set of stacks per stage from the `mlops:stages` context, with cdk-nag's AwsSolutions checks. */
export function buildApp(props: AppProps = {}): BuiltApp {
  const app = new App(props);
  Validations.of(app).addPlugins(new KitAwsSolutionsChecks(app));
  const stages = parseStages(app.node.tryGetContext(STAGES_CONTEXT_KEY));
  const built: Record<string, { data: DataStack }> = {};
  for (const [name, stage] of Object.entries(stages)) {
    const env = { account: stage.account, region: stage.region };
    const data = new DataStack(app, `mlops-${name}-data`, {
      env,
      stage: name,
      noncurrentVersionDays: stage.noncurrentVersionDays,
      terminationProtection: name === 'prod',
    });
    built[name] = { data };
  }
  return { app, stages: built };
}
