import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql, type CommonQueryMethods } from 'slonik';
import type { Database } from '../../db/pool.ts';
import { permissions } from '../../domain/access.ts';
import { DomainError } from '../../domain/errors.ts';
import type { RefundPolicy } from '../../domain/lifecycle-policy.ts';
import { Money, fitsScale, formatMoney } from '../../domain/money.ts';
import { durationMs, type Policy } from '../../domain/policy.ts';
import { refundTypeOf, reversalModeOf, type RefundActor, type RefundReason, type RefundRequest, type RefundType, type ReversalMode } from '../../domain/refund.ts';
import type { refundWorkflow } from '../../workflows/refund.ts';
import { refundWorkflowId } from '../../workflows/refund-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../../workflows/search-attributes.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { OrderNotFound, OrderRefundExceeded, claimOrderRefund, orderRefundState, releaseOrderRefund } from './order-refunds.ts';
import { loadRefund, refundColumns, refundRow, type RefundRow } from './refund-store.ts';

/**
 * A refund request (docs/rules.md#refunds): recorded with the order amount claimed in the same transaction, so the total
 * refunded never exceeds the order and a second request for money already refunded is refused, then its workflow
 * `refund-<id>` started.
 */

export interface RecordRefundInput {
  refundId: string;
  orderId: string;
  /** Absent: everything the order still has to refund. */
  amount?: string;
  reason: RefundReason;
  note: string | null;
  requestedBy: RefundActor;
  ip: string | null;
  policyVersion: number;
  policy: Pick<RefundPolicy, 'reversalByReason' | 'decisionSla'>;
}

export interface RecordedRefund {
  row: RefundRow;
  type: RefundType;
  reversal: ReversalMode;
}

/**
 * Records a refund request in the caller's transaction: the order's row is locked and the amount claimed
 * (claimOrderRefund), so two concurrent requests can never refund more than the order, and a request for money
 * already refunded is refused (409 naming `amount`) with nothing written. Audited as REFUND_REQUEST; the admins
 * who may approve are told (REFUND_REQUESTED).
 */
export async function recordRefundRequest(transaction: CommonQueryMethods, input: RecordRefundInput): Promise<RecordedRefund> {
  let order;
  try {
    order = await orderRefundState(transaction, input.orderId, { forUpdate: true });
  } catch (error) {
    if (error instanceof OrderNotFound) throw new DomainError('not_found', 'unknown_order', error.message, 'body.orderId');
    throw error;
  }
  if (order.cancelled) {
    throw new DomainError('conflict', 'order_cancelled', `order ${order.orderId} was cancelled: its commissions were reversed in full already`, 'body.orderId');
  }
  const amount = input.amount === undefined ? new Money(order.refundable) : new Money(input.amount);
  if (!amount.gt(0)) {
    throw new DomainError('conflict', 'nothing_to_refund', `order ${order.orderId} has nothing left to refund (refunded ${order.refunded} of ${order.total} ${order.currency})`, 'body.amount');
  }
  if (!fitsScale(amount, order.currency)) {
    throw new DomainError('unprocessable', 'invalid_amount', `more decimal places than the order's currency ${order.currency} allows`, 'body.amount');
  }
  try {
    await claimOrderRefund(transaction, { orderId: order.orderId, amount: amount.toFixed() });
  } catch (error) {
    if (error instanceof OrderRefundExceeded) {
      throw new DomainError('conflict', 'refund_exceeds_order', `${error.message} ${order.currency}; ${order.refunded} of ${order.total} is refunded or claimed by other requests already`, 'body.amount');
    }
    throw error;
  }
  const type = refundTypeOf(amount.toFixed(), order.total);
  const reversal = reversalModeOf(input.policy, { reason: input.reason, amount: amount.toFixed(), orderTotal: order.total, refundedBefore: order.refunded });
  const dueAt = new Date(Date.now() + durationMs(input.policy.decisionSla));
  const text = formatMoney(amount, order.currency);
  const row = await transaction.one(sql.type(refundRow)`
    INSERT INTO refunds (id, order_id, order_event_id, partner_id, customer_id, amount, currency, order_total, refund_type, reason,
                         reversal, note, status, requested_by, requested_role, decision_due_at, policy_version)
    VALUES (${input.refundId}, ${order.orderId}, ${order.eventId}, ${order.partnerId}, ${order.customerId}, ${amount.toFixed()},
            ${order.currency}, ${order.total}, ${type}, ${input.reason}, ${reversal}, ${input.note}, 'PENDING', ${input.requestedBy.userId},
            ${input.requestedBy.role}, ${dueAt.toISOString()}, ${input.policyVersion})
    RETURNING ${refundColumns}`);
  await appendAuditRecord(transaction, {
    action: 'REFUND_REQUEST', actor: input.requestedBy.userId, targetType: 'refund', targetId: input.refundId, amount: text,
    currency: order.currency, reason: input.reason, ip: input.ip,
    details: { orderId: order.orderId, type, reversal, orderTotal: order.total, refundedBefore: order.refunded, note: input.note, partnerId: order.partnerId },
  });
  await enqueueNotification(transaction, {
    dedupeKey: `refund-requested:${input.refundId}`,
    kind: 'REFUND_REQUESTED',
    recipient: { kind: 'admin_role', roles: permissions['refunds.approve'], excludeUserIds: [input.requestedBy.userId] },
    subject: `Refund of ${text} ${order.currency} requested for order ${order.orderId}`,
    text: `A ${type.toLowerCase()} refund of ${text} ${order.currency} (${input.reason}) was requested for order ${order.orderId} `
      + `(total ${order.total} ${order.currency}). On approval its commissions are reversed ${reversal === 'FULL' ? 'in full' : 'proportionally'}.`,
  });
  return { row, type, reversal };
}

/** A request whose workflow could not be started: REJECTED, its claim released, so nothing hangs on it. */
export async function abandonRefund(transaction: CommonQueryMethods, refundId: string, reason: string): Promise<void> {
  const row = await loadRefund(transaction, refundId, { forUpdate: true });
  if (!row || row.status !== 'PENDING') return;
  await releaseOrderRefund(transaction, { orderId: row.order_id, amount: row.amount });
  await transaction.query(sql.unsafe`
    UPDATE refunds SET status = 'REJECTED', decided_at = now(), decision_reason = ${reason} WHERE id = ${refundId}`);
  await appendAuditRecord(transaction, {
    action: 'REFUND_REJECT', actor: 'system:refund-api', targetType: 'refund', targetId: refundId, amount: formatMoney(row.amount, row.currency),
    currency: row.currency, reason, details: { orderId: row.order_id, released: row.amount },
  });
}

/** Starts `refund-<id>` for a recorded request, as requestRefund does and the demo data set does. */
export async function startRefundWorkflow(temporal: Client, taskQueue: string, row: RefundRow, policy: Policy, requestedBy: string): Promise<void> {
  const request: RefundRequest = {
    refundId: row.id, orderId: row.order_id, partnerId: row.partner_id, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    reversal: row.reversal, requestedBy,
  };
  await temporal.workflow.start<typeof refundWorkflow>('refundWorkflow', {
    workflowId: refundWorkflowId(row.id), taskQueue,
    args: [request, { version: policy.version, refunds: policy.refunds, debt: policy.debt }],
    typedSearchAttributes: [
      ...(row.partner_id === null ? [] : [{ key: partnerIdKey, value: row.partner_id }]),
      { key: amountKey, value: new Money(row.amount).toNumber() }, { key: currencyKey, value: row.currency }, { key: statusKey, value: 'PENDING' },
    ],
    memo: { summary: `Refund ${request.amount} ${row.currency} of order ${row.order_id} (${row.reason}, ${row.refund_type}, reversal ${row.reversal})` },
  });
}

export interface RequestRefundDependencies {
  database: Database;
  policies: PolicyStore;
  temporal: Client;
  taskQueue: string;
}

/**
 * Records a request under the active policy and starts its workflow. When Temporal cannot take it, the request is
 * abandoned (its claim released) and the refusal says nothing was recorded.
 */
export async function requestRefund(
  dependencies: RequestRefundDependencies,
  input: Omit<RecordRefundInput, 'refundId' | 'policyVersion' | 'policy'>,
): Promise<RefundRow> {
  const { database, policies, temporal, taskQueue } = dependencies;
  const { policy } = await policies.active();
  const refundId = randomUUID();
  const { row } = await database.transaction((transaction) => recordRefundRequest(transaction, {
    ...input, refundId, policyVersion: policy.version, policy: policy.refunds,
  }));
  try {
    await startRefundWorkflow(temporal, taskQueue, row, policy, input.requestedBy.userId);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      await database.transaction((transaction) => abandonRefund(transaction, refundId, 'the workflow could not be started'));
      throw new DomainError('unavailable', 'temporal_unavailable', 'Temporal is unreachable; the refund was not recorded');
    }
  }
  return row;
}
