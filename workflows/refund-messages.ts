import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RefundActor, RefundState } from '../domain/refund.ts';

/**
 * Messages of `refund-<id>`. Every decision carries the admin the API verified (session, permission, fresh TOTP);
 * the validators refuse what the state or the requester–approver rule does not allow, before anything is recorded.
 */

/** The ApplicationFailure type of a refusal (the workflow's validators and its activities); its details are a Refusal. */
export const refundRefusedType = 'RefundRefused';

export interface RefundDecisionInput {
  actor: RefundActor;
  reason?: string | null;
}

/** Approve: the update returns once every commission of the order is reversed (status PROCESSED). */
export const approveRefundUpdate = defineUpdate<RefundState, [RefundDecisionInput]>('approveRefund');
export const rejectRefundUpdate = defineUpdate<RefundState, [RefundDecisionInput]>('rejectRefund');
export const getRefundStateQuery = defineQuery<RefundState>('getRefundState');

/** The refund lifecycle's workflow id. */
export const refundWorkflowId = (refundId: string) => `refund-${refundId}`;
