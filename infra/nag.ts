/**
 * cdk-nag's AwsSolutions checks as the kit runs them: unchanged, except that IAM resource
 * wildcards AWS offers no narrower form for are acknowledged here, once, with their reason —
 * instead of one hand-written acknowledgement per generated ARN.
 *
 * An IAM5 finding is acknowledged only when every action allowed on the wildcard resource matches
 * one of ALLOWED_WILDCARDS together with the shape of the resource. Wildcard actions are never
 * acknowledged.
 */
import {
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

export interface AllowedWildcard {
  /** The actions this wildcard is allowed for. */
  readonly actions: RegExp;
  /** The flattened resource must match. */
  readonly resource: RegExp;
  readonly reason: string;
}

export const ALLOWED_WILDCARDS: readonly AllowedWildcard[] = [
  {
    actions:
      /^s3:(GetObject|GetObjectVersion|PutObject|DeleteObject|AbortMultipartUpload|ListMultipartUploadParts)$/,
    resource: /\/\*$/,
    reason:
      'Object-level S3 actions on the objects of a bucket the function is declared to use; objects have no fixed names.',
  },
  {
    actions: /^dynamodb:[A-Za-z]+$/,
    resource: /\/index\/\*$/,
    reason: 'Queries on the global secondary indexes of a table the function is declared to use.',
  },
  {
    actions: /^logs:(CreateLogStream|PutLogEvents)$/,
    resource: /:log-stream:\*$/,
    reason: "Log streams are created at run time inside the function's own log group.",
  },
  {
    actions:
      /^logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/,
    resource: /^\*$/,
    reason:
      'Step Functions log delivery to CloudWatch Logs uses vended-log actions that support no resource-level permissions.',
  },
  {
    actions:
      /^sagemaker:(CreateModel|DeleteModel|CreateEndpointConfig|DeleteEndpointConfig|CreateEndpoint|UpdateEndpoint|DescribeEndpoint|DeleteEndpoint|InvokeEndpoint)$/,
    resource: /:sagemaker:[a-z0-9-]+:\d{12}:(model|endpoint-config|endpoint)\/mlops-[a-z0-9]+-\*$/,
    reason:
      "SageMaker models, endpoint configs and endpoints are named per deployment at run time; the stage's name prefix (mlops-<stage>-) is the narrowest form.",
  },
  {
    actions: /^sagemaker:(CreateTrainingJob|DescribeTrainingJob|StopTrainingJob|AddTags)$/,
    resource: /:sagemaker:[a-z0-9-]+:\d{12}:training-job\/mlops-[a-z0-9]+-\*$/,
    reason:
      "Training jobs are named per execution at run time; the stage's name prefix (mlops-<stage>-) is the narrowest form.",
  },
  {
    actions: /^glue:(GetDatabase|GetTable|CreateTable|UpdateTable)$/,
    resource: /:glue:[a-z0-9-]+:\d{12}:table\/mlops_[a-z0-9_]+\/\*$/,
    reason:
      "Pipelines register the tables they write (e.g. predictions) in the stage's Glue database; table names are chosen per run.",
  },
  {
    actions: /^sagemaker:InvokeEndpoint$/,
    resource: /:endpoint\/\*$/,
    reason:
      'The scoring function invokes the endpoints deployed from the registry, whose names are chosen at deployment time.',
  },
  {
    actions: /^glue:(GetDatabase|CreateTable|UpdateTable)$/,
    resource: /:glue:[a-z0-9-]+:\d{12}:table\/mlops_[a-z0-9_]+\/\*_metrics$/,
    reason:
      "The monitoring metrics tables (<model>_profile_metrics, <model>_drift_metrics) are registered in the stage's Glue database when a model is first monitored; their names are known at run time only.",
  },
  {
    actions: /^xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)$/,
    resource: /^\*$/,
    reason: 'X-Ray write actions support no resource-level permissions.',
  },
];

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
}

/** AwsSolutionsChecks, with the kit's allowed resource wildcards acknowledged before each run. */
export class KitAwsSolutionsChecks implements IPolicyValidationPlugin {
  readonly name = 'AwsSolutions';
  readonly #app: IConstruct;
  readonly #inner: AwsSolutionsChecks;

  constructor(app: IConstruct) {
    this.#app = app;
    this.#inner = new AwsSolutionsChecks(app, { verbose: true });
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    acknowledgeAllowedWildcards(this.#app);
    return this.#inner.validate(context);
  }
}

/** Adds an acknowledgement for each IAM5 resource finding that ALLOWED_WILDCARDS covers. */
export function acknowledgeAllowedWildcards(root: IConstruct): void {
  for (const node of root.node.findAll()) {
    const documents = policyDocuments(node);
    if (documents.length === 0) continue;
    const byResource = new Map<string, Statement[]>();
    for (const document of documents) {
      for (const statement of document.Statement ?? []) {
        if (statement.Effect !== 'Allow') continue;
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        for (const resource of resources.map(flattenCfnReference).filter((r) => r.includes('*'))) {
          byResource.set(resource, [...(byResource.get(resource) ?? []), statement]);
        }
      }
    }
    for (const [resource, statements] of byResource) {
      // Statements may be merged (minimizePolicies), so each action is checked on its own.
      const actions = statements.flatMap((statement) =>
        Array.isArray(statement.Action) ? statement.Action : [statement.Action ?? ''],
      );
      const rules = actions.map((action) => coveringRule(action, resource));
      if (rules.every((rule) => rule !== undefined)) {
        Validations.of(node).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${resource}]`,
          reason: [...new Set(rules.map((rule) => rule.reason))].join(' '),
        });
      }
    }
  }
}

function coveringRule(action: string, resource: string): AllowedWildcard | undefined {
  return ALLOWED_WILDCARDS.find((rule) => rule.resource.test(resource) && rule.actions.test(action));
}

function policyDocuments(node: IConstruct): { Statement?: Statement[] }[] {
  if (node instanceof CfnPolicy) return [Stack.of(node).resolve(node.policyDocument)];
  if (node instanceof CfnRole) {
    const policies = (Stack.of(node).resolve(node.policies) ?? []) as { policyDocument: unknown }[];
    return policies.map((policy) => Stack.of(node).resolve(policy.policyDocument));
  }
  return [];
}
