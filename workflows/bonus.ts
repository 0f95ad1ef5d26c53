import { ApplicationFailure, proxyActivities, setHandler, upsertSearchAttributes, log } from '@temporalio/workflow';
import type { BonusRequest } from '../domain/bonus.ts';
import type { Policy } from '../domain/policy.ts';
import { transitionBonus } from '../domain/bonus.ts';
import type { BonusActivities } from '../activities/bonus.ts';
import { getBonusStateQuery, type BonusState } from './bonus-messages.ts';
import { statusKey } from './search-attributes.ts';

/** Refusals that retrying cannot cure; everything else (database down, worker lost) is retried. */
export const bonusNonRetryableErrors = ['PartnerNotFound', 'BonusNotFound'];

/** The part of the policy a bonus lifecycle uses, captured when it starts. */
export type BonusPolicy = Pick<Policy, 'version' | 'bonuses'>;

function bonusActivities(policy: BonusPolicy) {
  return proxyActivities<BonusActivities>({
    startToCloseTimeout: `${policy.bonuses.postTimeoutSeconds} seconds`,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: bonusNonRetryableErrors,
    },
  });
}

/**
 * `bonus-<id>`: posts one bonus into the partner's `available` (or `debt`), with its audit record, exactly once.
 * The activity's database transaction is keyed by the bonus id, so a retry after a crash finds the first
 * posting instead of making a second.
 */
export async function bonusWorkflow(request: BonusRequest, policy: BonusPolicy): Promise<BonusState> {
  const { postBonus, markBonusFailed } = bonusActivities(policy);
  const state: BonusState = { status: 'PENDING', entryId: null, failure: null, policyVersion: policy.version };
  setHandler(getBonusStateQuery, () => state);
  try {
    const result = await postBonus(request);
    state.entryId = result.entryId;
    state.status = transitionBonus(state.status, 'COMPLETED');
  } catch (error) {
    const failure = error instanceof ApplicationFailure ? error : (error as { cause?: unknown }).cause;
    if (!(failure instanceof ApplicationFailure) || !bonusNonRetryableErrors.includes(failure.type ?? '')) throw error;
    log.warn('bonus refused', { bonusId: request.bonusId, type: failure.type });
    await markBonusFailed({ bonusId: request.bonusId, failure: failure.message });
    state.failure = failure.message;
    state.status = transitionBonus(state.status, 'FAILED');
  }
  upsertSearchAttributes([{ key: statusKey, value: state.status }]);
  return state;
}
