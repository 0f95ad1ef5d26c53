import {
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { AdjustmentActivities } from '../activities/adjustments.ts';
import {
  seniorAdjustmentRoles,
  transitionAdjustment,
  type ManualAdjustmentRequest,
  type ManualAdjustmentState,
} from '../domain/adjustment.ts';
import { refusalFailure } from '../domain/errors.ts';
import { Money } from '../domain/money.ts';
import { durationMs, type Policy } from '../domain/policy.ts';
import {
  adjustmentRefusedType,
  approveAdjustmentUpdate,
  getAdjustmentStateQuery,
  rejectAdjustmentUpdate,
} from './adjustment-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from './search-attributes.ts';

/** The part of the policy an adjustment lifecycle uses, captured when it starts (docs/rules.md#policy). */
export type AdjustmentWorkflowPolicy = Pick<Policy, 'version' | 'adjustments'>;

export const adjustmentNonRetryableErrors = [adjustmentRefusedType];

export function adjustmentActivities(policy: AdjustmentWorkflowPolicy) {
  return proxyActivities<AdjustmentActivities>({
    startToCloseTimeout: `${policy.adjustments.activityTimeoutSeconds} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: adjustmentNonRetryableErrors },
  });
}

/**
 * `adjustment-<id>`: a manual commission (docs/rules.md#manual-commissions). Below the policy's RUB threshold the maker's TOTP-confirmed
 * request posts at once; above it the workflow waits for a senior admin other than the maker (an update), a
 * rejection, or the end of the approval window. The posting activity is keyed by the adjustment: exactly once.
 */
export async function adjustmentWorkflow(request: ManualAdjustmentRequest, policy: AdjustmentWorkflowPolicy): Promise<ManualAdjustmentState> {
  const { postManualCommission, recordAdjustmentDecision } = adjustmentActivities(policy);
  const state: ManualAdjustmentState = {
    adjustmentId: request.adjustmentId, status: 'AWAITING_APPROVAL', decidedBy: null, commissionId: null, entryId: null, policyVersion: policy.version,
  };
  let decision: { kind: 'APPROVED' | 'REJECTED'; actorUserId: string } | null = null;

  const post = async (actor: ManualAdjustmentRequest['maker']) => {
    const posted = await postManualCommission({ adjustmentId: request.adjustmentId, pendingHold: policy.adjustments.manualPendingHold, actor });
    state.commissionId = posted.commissionId;
    state.entryId = posted.entryId;
    state.status = transitionAdjustment(state.status, 'POSTED');
  };

  setHandler(getAdjustmentStateQuery, () => state);
  const validateDecision = ({ actor }: { actor: ManualAdjustmentRequest['maker'] }) => {
    if (state.status !== 'AWAITING_APPROVAL' || decision !== null) throw refusalFailure(adjustmentRefusedType, 'conflict', 'invalid_state', `the adjustment is ${decision?.kind ?? state.status}`, 'status');
    if (!request.needsSeniorApproval) throw refusalFailure(adjustmentRefusedType, 'conflict', 'invalid_state', 'this adjustment needs no approval', 'status');
    if (actor.userId === request.maker.userId) throw refusalFailure(adjustmentRefusedType, 'forbidden', 'maker_checker', 'the maker of an adjustment cannot decide it');
    if (!seniorAdjustmentRoles.includes(actor.role)) throw refusalFailure(adjustmentRefusedType, 'forbidden', 'senior_required', `an adjustment above ${policy.adjustments.seniorApprovalAboveRub} RUB needs a senior admin`);
  };
  setHandler(approveAdjustmentUpdate, async ({ actor, reason }) => {
    decision = { kind: 'APPROVED', actorUserId: actor.userId };
    state.decidedBy = actor.userId;
    await recordAdjustmentDecision({ adjustmentId: request.adjustmentId, decision: 'APPROVED', actor, reason: reason ?? null });
    await post(actor);
    return state;
  }, { validator: validateDecision });
  setHandler(rejectAdjustmentUpdate, async ({ actor, reason }) => {
    decision = { kind: 'REJECTED', actorUserId: actor.userId };
    state.decidedBy = actor.userId;
    await recordAdjustmentDecision({ adjustmentId: request.adjustmentId, decision: 'REJECTED', actor, reason: reason ?? null });
    state.status = transitionAdjustment(state.status, 'REJECTED');
    return state;
  }, { validator: validateDecision });

  upsertSearchAttributes([
    { key: partnerIdKey, value: request.partnerId },
    { key: amountKey, value: new Money(request.amount).toNumber() },
    { key: currencyKey, value: request.currency },
    { key: statusKey, value: state.status },
  ]);

  if (!request.needsSeniorApproval) {
    await post(request.maker);
  } else {
    const decided = await condition(() => decision !== null, durationMs(policy.adjustments.approvalWait));
    if (!decided) {
      await recordAdjustmentDecision({ adjustmentId: request.adjustmentId, decision: 'EXPIRED', actor: null, reason: null });
      state.status = transitionAdjustment(state.status, 'EXPIRED');
    }
    await condition(() => state.status !== 'AWAITING_APPROVAL');
  }
  upsertSearchAttributes([{ key: statusKey, value: state.status }]);
  await condition(allHandlersFinished);
  return state;
}
