/**
 * What each CloudFormation resource type costs while nobody uses the kit. Every type the app
 * synthesizes must be classified here, so a new kind of resource cannot slip in unexamined:
 *
 * - `none`: billed per request or free (Lambda, HTTP API, Step Functions, IAM, …);
 * - `key` / `storage` / `fixed`: a monthly cost with no traffic — listed in the README;
 * - `runs`: something that runs, and bills, when idle — refused by default.
 *
 * Some types depend on their properties (provisioned concurrency, provisioned capacity,
 * instance-backed endpoints); `classify` looks at those.
 */
import { asArray, type CfnResource, resources, type SynthesizedStack } from './synthesized.ts';

export type IdleCostKind = 'none' | 'key' | 'storage' | 'fixed' | 'runs';

export interface IdleCost {
  readonly kind: IdleCostKind;
  /** What is billed when idle; for `none`, why nothing is. */
  readonly note: string;
}

const NONE = (note: string): IdleCost => ({ kind: 'none', note });
const RUNS = (note: string): IdleCost => ({ kind: 'runs', note });

/** Resource types by idle cost. Add a type here, with its reason, when the app first uses it. */
export const IDLE_COSTS: Readonly<Record<string, IdleCost>> = {
  'AWS::CDK::Metadata': NONE('CDK version metadata, not a billed resource'),
  'AWS::KMS::Key': { kind: 'key', note: 'USD 1 per key-month, plus requests' },
  'AWS::S3::Bucket': { kind: 'storage', note: 'per GB-month stored (all versions), plus requests' },
  'AWS::S3::BucketPolicy': NONE('configuration'),
  'AWS::DynamoDB::Table': {
    kind: 'storage',
    note: 'per GB-month stored and per GB-month of point-in-time-recovery backup; on-demand capacity is per request',
  },
  'AWS::Glue::Database': NONE('the Glue Data Catalog is free for the first million objects'),
  'AWS::Athena::WorkGroup': NONE('Athena bills per TB scanned by queries'),
  'AWS::IAM::Role': NONE('IAM is free'),
  'AWS::IAM::Policy': NONE('IAM is free'),
  'AWS::IAM::ManagedPolicy': NONE('IAM is free'),
  'AWS::IAM::OIDCProvider': NONE('IAM is free'),
  'AWS::ApiGatewayV2::Api': NONE('HTTP APIs are billed per request'),
  'AWS::ApiGatewayV2::Stage': NONE('configuration of the HTTP API'),
  'AWS::ApiGatewayV2::Route': NONE('configuration of the HTTP API'),
  'AWS::ApiGatewayV2::Integration': NONE('configuration of the HTTP API'),
  'AWS::ApiGatewayV2::Authorizer': NONE('JWT authorizers are free'),
  'AWS::Lambda::Function': NONE('billed per request and GB-second'),
  'AWS::Lambda::Permission': NONE('configuration'),
  'AWS::Logs::LogGroup': {
    kind: 'storage',
    note: 'per GB-month of stored log data until it expires; ingestion is per GB written',
  },
  'AWS::Cognito::UserPool': NONE('billed per monthly active user; machine tokens per request'),
  'AWS::Cognito::UserPoolClient': NONE('configuration of the user pool'),
  'AWS::Cognito::UserPoolDomain': NONE('configuration of the user pool'),
  'AWS::Cognito::UserPoolResourceServer': NONE('configuration of the user pool'),
  'AWS::StepFunctions::StateMachine': NONE('standard workflows bill per state transition'),
  'AWS::Scheduler::Schedule': NONE(
    'EventBridge Scheduler bills per invocation (a daily schedule stays in the free tier)',
  ),
  'AWS::CloudWatch::Alarm': { kind: 'fixed', note: 'USD 0.10 per standard-resolution alarm-month' },
  'AWS::Events::Rule': NONE('rules on the default bus bill nothing; matched events are free for AWS targets'),
  'AWS::Events::Connection': NONE(
    'connections are free; the copy of the credential EventBridge keeps is charged to AWS, not the account',
  ),
  'AWS::Events::ApiDestination': NONE('API destinations bill per invocation'),
  'AWS::EC2::NatGateway': RUNS('billed per hour while it exists'),
  'AWS::EC2::Instance': RUNS('billed per hour while running'),
  'AWS::RDS::DBInstance': RUNS('a database server, billed per hour'),
  'AWS::RDS::DBCluster': RUNS('a database server, billed per hour or per minimum capacity'),
  'AWS::Redshift::Cluster': RUNS('a database server, billed per hour'),
  'AWS::ElastiCache::CacheCluster': RUNS('a cache server, billed per hour'),
  'AWS::OpenSearchService::Domain': RUNS('search servers, billed per hour'),
  'AWS::Kinesis::Stream': RUNS('billed per shard-hour or per stream-hour'),
};

function classifyByProperties(resource: CfnResource): IdleCost | undefined {
  const props = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::Lambda::Alias':
    case 'AWS::Lambda::Version':
      return props.ProvisionedConcurrencyConfig
        ? RUNS('provisioned concurrency is billed per hour')
        : NONE('a pointer to function code');
    case 'AWS::DynamoDB::Table':
      return props.BillingMode === 'PAY_PER_REQUEST'
        ? undefined
        : RUNS('provisioned capacity is billed per hour');
    case 'AWS::SageMaker::EndpointConfig': {
      const variants = asArray(props.ProductionVariants as Record<string, unknown>[]);
      return variants.some((variant) => variant.InstanceType !== undefined || !variant.ServerlessConfig)
        ? RUNS('an instance endpoint is billed per instance-hour')
        : NONE('serverless endpoints bill per request');
    }
    case 'AWS::EC2::VPCEndpoint':
      return props.VpcEndpointType === 'Gateway'
        ? NONE('gateway endpoints are free')
        : RUNS('interface endpoints are billed per hour');
    default:
      return undefined;
  }
}

/** The idle cost of one resource; undefined when its type is not classified yet. */
export function classify(resource: CfnResource): IdleCost | undefined {
  return classifyByProperties(resource) ?? IDLE_COSTS[resource.Type];
}

export interface IdleCostReport {
  /** Resources whose type is not classified. */
  readonly unclassified: string[];
  /** Resources that run (and bill) when idle. */
  readonly running: string[];
  /** Counts per type and stage of resources with a monthly cost when idle. */
  readonly billed: Map<string, { cost: IdleCost; perStage: Map<string, number> }>;
}

/** Classifies every resource of the stacks; `stageOf` maps a stack to its stage. */
export function idleCostReport(
  stacks: readonly SynthesizedStack[],
  stageOf: (stack: SynthesizedStack) => string,
): IdleCostReport {
  const report: IdleCostReport = { unclassified: [], running: [], billed: new Map() };
  for (const { stack, logicalId, resource } of resources(stacks)) {
    const cost = classify(resource);
    const at = `${stack.stackName}/${logicalId} (${resource.Type})`;
    if (!cost) report.unclassified.push(at);
    else if (cost.kind === 'runs') report.running.push(`${at}: ${cost.note}`);
    else if (cost.kind !== 'none') {
      const entry = report.billed.get(resource.Type) ?? { cost, perStage: new Map<string, number>() };
      entry.perStage.set(stageOf(stack), (entry.perStage.get(stageOf(stack)) ?? 0) + 1);
      report.billed.set(resource.Type, entry);
    }
  }
  return report;
}

/** The README table of what costs money when idle, one row per resource type. */
export function renderIdleCostTable(report: IdleCostReport, stages: readonly string[]): string {
  const rows = [...report.billed.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, { cost, perStage }]) => {
      const counts = stages.map((stage) => `${perStage.get(stage) ?? 0}`).join(' / ');
      return `| \`${type}\` | ${counts} | ${cost.kind} | ${cost.note} |`;
    });
  return [
    `| resource | count per stage (${stages.join(' / ')}) | kind | cost when idle |`,
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
