import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/money.ts';
import type { RefundActor, RefundState, RefundStatus } from '../../domain/refund.ts';
import type { refundWorkflow } from '../../workflows/refund.ts';
import { approveRefundUpdate, refundWorkflowId, rejectRefundUpdate, type RefundDecisionInput } from '../../workflows/refund-messages.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { releaseOrderRefund } from './order-refunds.ts';
import { loadRefund, refundStateConflict, type RefundRow } from './refund-store.ts';

/**
 * An admin's decision on a PENDING refund (docs/rules.md#refunds): checked against the row, sent to `refund-<id>` as an
 * update carrying the verified actor, and recorded once by the workflow's activity.
 */

export type RefundDecisionKind = 'approve' | 'reject';

const requesterCannotApprove = () => new DomainError('forbidden', 'maker_checker', 'the requester of a refund cannot approve it');

/**
 * What the row already refuses, checked before the caller spends the admin's TOTP code (a refusal consumes none):
 * a refund that is not PENDING, and the requester approving their own request.
 */
export function checkRefundDecision(row: RefundRow, kind: RefundDecisionKind, userId: string): void {
  if (row.status !== 'PENDING') throw refundStateConflict(`refund ${row.id} is ${row.status}`);
  if (kind === 'approve' && row.requested_by === userId) throw requesterCannotApprove();
}

/** Sends the decision to the refund's workflow; an approval returns once the reversal is posted (PROCESSED). */
export async function sendRefundDecision(temporal: Client, refundId: string, kind: RefundDecisionKind, decision: RefundDecisionInput): Promise<RefundState> {
  const handle = temporal.workflow.getHandle<typeof refundWorkflow>(refundWorkflowId(refundId));
  return handle.executeUpdate(kind === 'approve' ? approveRefundUpdate : rejectRefundUpdate, { args: [decision] });
}

export interface RecordRefundDecisionInput {
  refundId: string;
  decision: 'APPROVED' | 'REJECTED';
  actor: RefundActor;
  reason: string | null;
}

/**
 * Records the admin's decision once: the refund row is locked, so a retry finds its own decision and writes
 * nothing twice. APPROVED (REFUND_APPROVE) leaves the reversal to processRefund; REJECTED (REFUND_REJECT)
 * releases the order amount the request claimed.
 */
export async function recordRefundDecision(database: Database, input: RecordRefundDecisionInput): Promise<{ status: RefundStatus }> {
  return database.transaction(async (transaction) => {
    const refund = await loadRefund(transaction, input.refundId, { forUpdate: true });
    if (!refund) throw refundStateConflict(`refund ${input.refundId} does not exist`);
    if (refund.status !== 'PENDING') {
      const same = input.decision === 'REJECTED' ? refund.status === 'REJECTED' : refund.status === 'APPROVED' || refund.status === 'PROCESSED';
      if (same && refund.decided_by === input.actor.userId) return { status: refund.status };
      throw refundStateConflict(`refund ${refund.id} is ${refund.status}`);
    }
    if (input.decision === 'APPROVED' && input.actor.userId === refund.requested_by) {
      throw requesterCannotApprove();
    }
    if (input.decision === 'REJECTED') await releaseOrderRefund(transaction, { orderId: refund.order_id, amount: refund.amount });
    await transaction.query(sql.unsafe`
      UPDATE refunds SET status = ${input.decision}, decided_by = ${input.actor.userId}, decided_at = now(), decision_reason = ${input.reason}
      WHERE id = ${refund.id}`);
    await appendAuditRecord(transaction, {
      action: input.decision === 'APPROVED' ? 'REFUND_APPROVE' : 'REFUND_REJECT', actor: input.actor.userId, targetType: 'refund',
      targetId: refund.id, amount: formatMoney(refund.amount, refund.currency), currency: refund.currency, reason: input.reason,
      ip: input.actor.ip ?? null,
      details: { orderId: refund.order_id, role: input.actor.role, reversal: refund.reversal, ...(input.decision === 'REJECTED' ? { released: refund.amount } : {}) },
    });
    return { status: input.decision };
  });
}
