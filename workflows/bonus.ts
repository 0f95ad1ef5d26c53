import {
  ApplicationFailure, allHandlersFinished, condition, log, proxyActivities, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { BonusRequest } from '../domain/bonus.ts';
import type { Policy } from '../domain/policy.ts';
import { durationMs } from '../domain/duration.ts';
import { transitionBonus } from '../domain/bonus.ts';
import { domainErrorFailure, refusalFailure } from '../domain/errors.ts';
import { checkerRefusal } from '../domain/four-eyes.ts';
import { defaultFourEyesPolicy, type FourEyesPolicy } from '../domain/lifecycle-policy.ts';
import type { BonusActivities } from '../activities/bonus.ts';
import {
  approveBonusUpdate, bonusRefusedType, getBonusStateQuery, rejectBonusUpdate, type BonusDecisionInput, type BonusState,
} from './bonus-messages.ts';
import { statusKey } from './search-attributes.ts';

/** Refusals that retrying cannot cure; everything else (database down, worker lost) is retried. */
export const bonusNonRetryableErrors = ['PartnerNotFound', 'BonusNotFound', bonusRefusedType];

/**
 * The part of the policy a bonus lifecycle uses, captured when it starts. `fourEyes` is absent from the input of
 * bonuses started before four eyes existed; those never wait for a checker.
 */
export type BonusPolicy = Pick<Policy, 'version' | 'bonuses'> & { fourEyes?: FourEyesPolicy };

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
 * posting instead of making a second. Above the four-eyes threshold (docs/rules.md#four-eyes) the request says
 * so (`approval`), and the workflow first waits for a second person — an update carrying an actor the API
 * verified with a fresh TOTP code, never the maker, of a listed role — or a rejection, or the end of the wait.
 */
export async function bonusWorkflow(request: BonusRequest, policy: BonusPolicy): Promise<BonusState> {
  const { postBonus, markBonusFailed, recordBonusDecision } = bonusActivities(policy);
  const approval = request.approval ?? null;
  const state: BonusState = { status: approval ? 'AWAITING_APPROVAL' : 'PENDING', entryId: null, failure: null, policyVersion: policy.version };
  setHandler(getBonusStateQuery, () => state);

  let decision: 'APPROVED' | 'REJECTED' | null = null;
  const validateDecision = ({ actor }: BonusDecisionInput) => {
    if (!approval) throw refusalFailure(bonusRefusedType, 'conflict', 'invalid_state', 'this bonus needs no approval', 'status');
    if (state.status !== 'AWAITING_APPROVAL' || decision !== null) {
      throw refusalFailure(bonusRefusedType, 'conflict', 'invalid_state', `the bonus is ${decision ?? state.status}`, 'status');
    }
    const refusal = checkerRefusal(
      { makerUserId: request.actorUserId, checkerRoles: approval.checkerRoles, reason: 'a bonus above the four-eyes threshold' },
      actor,
    );
    if (refusal) throw domainErrorFailure(bonusRefusedType, refusal);
  };
  const decide = (kind: 'APPROVED' | 'REJECTED') => async ({ actor, reason, ip }: BonusDecisionInput) => {
    decision = kind;
    state.decidedBy = actor.userId;
    await recordBonusDecision({ bonusId: request.bonusId, decision: kind, actor, reason: reason ?? null, ip: ip ?? null });
    state.status = transitionBonus(state.status, kind === 'APPROVED' ? 'PENDING' : 'REJECTED');
    // The approver's answer comes once the bonus is posted (or refused), as the maker's does below the threshold.
    await condition(() => state.status !== 'PENDING');
    return state;
  };
  setHandler(approveBonusUpdate, decide('APPROVED'), { validator: validateDecision });
  setHandler(rejectBonusUpdate, decide('REJECTED'), { validator: validateDecision });

  if (approval) {
    state.decidedBy = null;
    upsertSearchAttributes([{ key: statusKey, value: state.status }]);
    const wait = (policy.fourEyes ?? defaultFourEyesPolicy).approvalWait;
    const decided = await condition(() => decision !== null, durationMs(wait));
    if (!decided) {
      await recordBonusDecision({ bonusId: request.bonusId, decision: 'EXPIRED', actor: null, reason: null, ip: null });
      state.status = transitionBonus(state.status, 'EXPIRED');
    }
    // The handler records the decision; posting waits until it has.
    await condition(() => state.status !== 'AWAITING_APPROVAL');
  }

  if (state.status === 'PENDING') {
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
  }
  upsertSearchAttributes([{ key: statusKey, value: state.status }]);
  if (approval) await condition(allHandlersFinished);
  return state;
}
