/**
 * Starts the promote-model workflow when a registry moves a protected alias: an EventBridge rule on
 * the registry's `alias.set` events, whose target is an API destination that sends GitHub's
 * `repository_dispatch`:
 *
 *   registry ──PutEvents: source mlops.registry, detail-type alias.set, detail.alias ∈ aliases──▶ bus
 *     ──rule──▶ API destination: POST https://api.github.com/repos/<owner>/<repo>/dispatches
 *               {"event_type":"model-approved","client_payload":{"model":…,"version":…}}
 *               Authorization: the value of the token secret (through the EventBridge connection)
 *
 * No code of the kit runs: EventBridge sends the request and retries it (for up to 24 hours).
 * CloudFormation reads the token from Secrets Manager when it creates or updates the connection
 * (a dynamic reference, never in the template), and EventBridge keeps its own copy; so a rotated
 * token takes effect on the next deploy of the stack.
 */
import { SecretValue } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { GitHubRepository } from './github-oidc.ts';

/** The `repository_dispatch` type the promote-model workflow listens for. */
export const MODEL_APPROVED_EVENT_TYPE = 'model-approved';

/** The registry's events (`functions/registry/change-recorder.ts`). */
const REGISTRY_SOURCE = 'mlops.registry';
const ALIAS_SET = 'alias.set';

export interface GitHubDispatchProps {
  readonly repository: GitHubRepository;
  /**
   * Name of the Secrets Manager secret (in this account and region) whose value is the whole
   * Authorization header: `Bearer <token>`, a token that may create repository dispatch events
   * (a fine-grained token with the repository's Contents: read and write).
   */
  readonly tokenSecretName: string;
  /** Aliases whose moves start a promotion. @default ['champion'] */
  readonly aliases?: readonly string[];
  /** The bus the registry publishes on. @default the account's default bus */
  readonly eventBus?: events.IEventBus;
  /** @default 'https://api.github.com' */
  readonly apiUrl?: string;
}

/** The rule, connection and API destination that turn alias moves into `repository_dispatch` events. */
export class GitHubDispatch extends Construct {
  readonly rule: events.Rule;
  readonly destination: events.ApiDestination;

  constructor(scope: Construct, id: string, props: GitHubDispatchProps) {
    super(scope, id);
    const aliases = props.aliases ?? ['champion'];
    if (aliases.length === 0) throw new Error('aliases must name at least one alias');
    if (!/^[\w/+=.@-]{1,512}$/.test(props.tokenSecretName)) {
      throw new Error(
        `tokenSecretName must be a Secrets Manager secret name, got "${props.tokenSecretName}"`,
      );
    }
    const { owner, repository } = props.repository;
    const connection = new events.Connection(this, 'Connection', {
      description: `GitHub API token for repository dispatches to ${owner}/${repository}`,
      authorization: events.Authorization.apiKey(
        'Authorization',
        SecretValue.secretsManager(props.tokenSecretName),
      ),
    });
    this.destination = new events.ApiDestination(this, 'Destination', {
      connection,
      description: `repository_dispatch of ${owner}/${repository}`,
      endpoint: `${props.apiUrl ?? 'https://api.github.com'}/repos/${owner}/${repository}/dispatches`,
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: 1,
    });
    this.rule = new events.Rule(this, 'Rule', {
      description: `Starts the promote-model workflow of ${owner}/${repository} when ${aliases.join(', ')} moves`,
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      eventPattern: {
        source: [REGISTRY_SOURCE],
        detailType: [ALIAS_SET],
        detail: { alias: [...aliases] },
      },
      targets: [
        new targets.ApiDestination(this.destination, {
          event: events.RuleTargetInput.fromObject({
            event_type: MODEL_APPROVED_EVENT_TYPE,
            client_payload: {
              model: events.EventField.fromPath('$.detail.model'),
              version: events.EventField.fromPath('$.detail.version'),
              alias: events.EventField.fromPath('$.detail.alias'),
            },
          }),
          headerParameters: {
            Accept: 'application/vnd.github+json',
            'X-GitHub-Api-Version': '2022-11-28',
          },
        }),
      ],
    });
  }
}
