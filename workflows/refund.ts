import {
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { RefundActivities } from '../activities/refunds.ts';
import { refusalFailure } from '../domain/errors.ts';
import { Money } from '../domain/money.ts';
import type { Policy } from '../domain/policy.ts';
import { transitionRefund, type RefundActor, type RefundRequest, type RefundState, type RefundStatus } from '../domain/refund.ts';
import { approveRefundUpdate, getRefundStateQuery, rejectRefundUpdate, refundRefusedType } from './refund-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from './search-attributes.ts';

/** The part of the policy a refund uses, captured when it starts (docs/rules.md#policy). */
export type RefundWorkflowPolicy = Pick<Policy, 'version' | 'refunds' | 'debt'>;

export const refundNonRetryableErrors = [refundRefusedType];

/**
 * `refund-<id>` (docs/rules.md#refunds): the request was recorded (and the order amount claimed) by the API before this started.
 * It waits for an admin's decision, an update carrying the verified actor: approval (never by the requester)
 * records APPROVED and then reverses every commission of the order, at every level, in one transaction keyed by
 * the refund (PROCESSED); rejection releases the claim. A PENDING refund past the policy's decision SLA stays
 * PENDING (the queue shows it overdue): refunds are not decided by a timer.
 */
export async function refundWorkflow(request: RefundRequest, policy: RefundWorkflowPolicy): Promise<RefundState> {
  const { recordRefundDecision, processRefund } = proxyActivities<RefundActivities>({
    startToCloseTimeout: `${policy.refunds.activityTimeoutSeconds} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: refundNonRetryableErrors },
  });
  const state: RefundState = {
    refundId: request.refundId, status: 'PENDING', decidedBy: null, reversedCount: 0, reversedTotal: '0', entryId: null, policyVersion: policy.version,
  };
  let decided = false;
  const moveTo = (status: RefundStatus) => {
    state.status = transitionRefund(state.status, status);
    upsertSearchAttributes([{ key: statusKey, value: state.status }]);
  };

  setHandler(getRefundStateQuery, () => state);
  const validate = (kind: 'approve' | 'reject') => ({ actor }: { actor: { userId: string } }) => {
    if (decided || state.status !== 'PENDING') throw refusalFailure(refundRefusedType, 'conflict', 'invalid_state', `the refund is ${state.status}`, 'status');
    if (kind === 'approve' && actor.userId === request.requestedBy) throw refusalFailure(refundRefusedType, 'forbidden', 'maker_checker', 'the requester of a refund cannot approve it');
  };
  // A decision the activity refused (the row says otherwise) leaves the refund open for another decision.
  const record = async (decision: 'APPROVED' | 'REJECTED', actor: RefundActor, reason: string | null) => {
    decided = true;
    try {
      await recordRefundDecision({ refundId: request.refundId, decision, actor, reason });
    } catch (error) {
      decided = false;
      throw error;
    }
    state.decidedBy = actor.userId;
  };
  setHandler(approveRefundUpdate, async ({ actor, reason }) => {
    await record('APPROVED', actor, reason ?? null);
    moveTo('APPROVED');
    const processed = await processRefund({ refundId: request.refundId, actor, debtLimit: policy.debt.limit });
    state.reversedCount = processed.reversedCount;
    state.reversedTotal = processed.reversedTotal;
    state.entryId = processed.entryId;
    moveTo('PROCESSED');
    upsertMemo({ summary: `Refund ${request.amount} ${request.currency} of order ${request.orderId}: ${processed.reversedCount} commission(s) reversed (${processed.reversedTotal})` });
    return state;
  }, { validator: validate('approve') });
  setHandler(rejectRefundUpdate, async ({ actor, reason }) => {
    await record('REJECTED', actor, reason ?? null);
    moveTo('REJECTED');
    return state;
  }, { validator: validate('reject') });

  upsertSearchAttributes([
    ...(request.partnerId === null ? [] : [{ key: partnerIdKey, value: request.partnerId }]),
    // A Double search attribute is for filtering in the Temporal UI only; the money is the string.
    { key: amountKey, value: new Money(request.amount).toNumber() },
    { key: currencyKey, value: request.currency },
    { key: statusKey, value: state.status },
  ]);

  await condition(() => state.status === 'PROCESSED' || state.status === 'REJECTED');
  await condition(allHandlersFinished);
  return state;
}
