/**
 * Who takes part in which promotion, derived from the validated stages: each stage's promotion role
 * (if any), the GitHub environments that may assume it, and the cross-account readers its artifact
 * bucket admits. Pure, so that the rules are tested without synthesizing anything.
 */
import { githubEnvironmentOf, type Stages } from '../config/stages.ts';
import type { ArtifactReader } from '../constructs/cross-account-artifact-read.ts';
import { promotionRoleName, type StagePromotion } from './github-oidc-stack.ts';

export interface StagePlan {
  /** Whether this stage's GitHub stack creates the account's OIDC provider (one per account). */
  readonly createsOidcProvider: boolean;
  /** @default the stage takes no part in promotions */
  readonly promotion?: StagePromotion;
  /** Promotion roles of other stages that may read this stage's approved artifacts. */
  readonly readers: readonly ArtifactReader[];
  /** Alias moves in this stage's registry that start the promote-model workflow. @default none */
  readonly dispatch?: PromotionDispatch;
}

/** What starts the promote-model workflow from a source stage (a target's `promotion.dispatch`). */
export interface PromotionDispatch {
  readonly tokenSecretName: string;
  readonly aliases: readonly string[];
}

/**
 * A target stage's promotion job runs in the target's GitHub environment (the one with required
 * reviewers), so the source stage's promotion role trusts the target's environment, not its own.
 */
export function promotionPlan(stages: Stages): Record<string, StagePlan> {
  const plan: Record<string, StagePlan> = {};
  const accountsWithProvider = new Set<string>();
  for (const [name, stage] of Object.entries(stages)) {
    const createsOidcProvider =
      stage.githubOidcProvider === 'create' && !accountsWithProvider.has(stage.account);
    if (stage.githubOidcProvider === 'create') accountsWithProvider.add(stage.account);

    const targets = Object.entries(stages).filter(([, other]) => other.promotion?.from === name);
    const source = stage.promotion ? stages[stage.promotion.from] : undefined;
    const environments = [
      ...(source ? [githubEnvironmentOf(name, stage)] : []),
      ...targets.map(([targetName, target]) => githubEnvironmentOf(targetName, target)),
    ];
    const promotion: StagePromotion | undefined =
      environments.length === 0
        ? undefined
        : {
            environments: [...new Set(environments)],
            artifactsPrefix: stage.approvedArtifactsPrefix,
            target: source !== undefined,
            ...(source
              ? {
                  source: {
                    account: source.account,
                    region: source.region,
                    artifactsPrefix: source.approvedArtifactsPrefix,
                  },
                }
              : {}),
          };
    const dispatches = targets.flatMap(([, target]) =>
      target.promotion?.dispatch ? [target.promotion.dispatch] : [],
    );
    if (new Set(dispatches.map((dispatch) => dispatch.tokenSecretName)).size > 1) {
      throw new Error(`the stages promoted from ${name} name different dispatch token secrets`);
    }
    plan[name] = {
      createsOidcProvider,
      ...(dispatches[0]
        ? {
            dispatch: {
              tokenSecretName: dispatches[0].tokenSecretName,
              aliases: [...new Set(dispatches.flatMap((dispatch) => dispatch.aliases))],
            },
          }
        : {}),
      ...(promotion ? { promotion } : {}),
      readers: targets.map(([targetName]) => ({
        account: stages[targetName]!.account,
        roleName: promotionRoleName(targetName),
        prefix: stage.approvedArtifactsPrefix,
      })),
    };
  }
  return plan;
}
