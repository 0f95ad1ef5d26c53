import { ApplicationFailure } from '@temporalio/activity';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../db/pool.ts';
import { Money, currencyScale, fitsScale, formatMoney } from '../domain/money.ts';
import { durationMs } from '../domain/policy.ts';
import type { RefundPolicy } from '../domain/lifecycle-policy.ts';
import { permissions } from '../domain/access.ts';
import {
  proportionalReversal,
  refundTypeOf,
  reversalModeOf,
  type RefundActor,
  type RefundReason,
  type RefundStatus,
  type RefundType,
  type ReversalMode,
} from '../domain/refund.ts';
import { appendAuditRecord } from '../modules/audit/audit-store.ts';
import { reverseCommissions } from '../modules/commissions/reverse-commissions.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { enqueueNotification } from '../modules/notifications/outbox.ts';
import { OrderNotFound, OrderRefundExceeded, claimOrderRefund, orderRefundState, releaseOrderRefund } from './order-refunds.ts';
import { followUpReversal } from './refund-reversal-follow-up.ts';

/**
 * Refunds' side effects (SPEC section 7): recording a request (the order amount claimed in the same transaction,
 * so the total refunded never exceeds the order and a second request for money already refunded is refused),
 * recording a decision (a rejection releases the claim), and processing an approved refund: every commission of
 * the order, at every level, reversed by its status through reverseCommissions, in one transaction keyed by the
 * refund. Each writes its audit record in the transaction that changes the state or moves the money.
 */

/** A refusal of a request, naming the field (the API answers it as a 4xx). */
export class RefundInputError extends Error {
  constructor(
    readonly status: 404 | 409 | 422,
    readonly code: string,
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'RefundInputError';
  }
}

export const refundRow = z.object({
  id: z.string(),
  order_id: z.string(),
  order_event_id: z.string(),
  partner_id: z.string().nullable(),
  customer_id: z.string().nullable(),
  amount: z.string(),
  currency: z.string(),
  order_total: z.string(),
  refund_type: z.enum(['FULL', 'PARTIAL']),
  reason: z.string(),
  reversal: z.enum(['FULL', 'PROPORTIONAL']),
  note: z.string().nullable(),
  status: z.enum(['PENDING', 'APPROVED', 'PROCESSED', 'REJECTED']),
  requested_by: z.string(),
  requested_at: z.date(),
  decision_due_at: z.date(),
  decided_by: z.string().nullable(),
  decided_at: z.date().nullable(),
  decision_reason: z.string().nullable(),
  processed_at: z.date().nullable(),
  reversal_entry_id: z.string().nullable(),
  reversed_count: z.number(),
  reversed_total: z.string(),
  policy_version: z.number(),
  /** The keyset cursor's time, microseconds kept. */
  cursor_time: z.string(),
});
export type RefundRow = z.infer<typeof refundRow>;

export const refundColumns = sql.fragment`
  id, order_id, order_event_id::text AS order_event_id, partner_id, customer_id, amount::text AS amount, currency,
  order_total::text AS order_total, refund_type, reason, reversal, note, status, requested_by::text AS requested_by, requested_at,
  decision_due_at, decided_by::text AS decided_by, decided_at, decision_reason, processed_at, reversal_entry_id::text AS reversal_entry_id,
  reversed_count, reversed_total::text AS reversed_total, policy_version,
  to_char(requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time`;

export async function loadRefund(connection: CommonQueryMethods, refundId: string, { forUpdate = false } = {}): Promise<RefundRow | null> {
  return connection.maybeOne(sql.type(refundRow)`
    SELECT ${refundColumns} FROM refunds WHERE id = ${refundId} ${forUpdate ? sql.fragment`FOR UPDATE` : sql.fragment``}`);
}

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
    if (error instanceof OrderNotFound) throw new RefundInputError(404, 'unknown_order', error.message, 'body.orderId');
    throw error;
  }
  if (order.cancelled) {
    throw new RefundInputError(409, 'order_cancelled', `order ${order.orderId} was cancelled: its commissions were reversed in full already`, 'body.orderId');
  }
  const amount = input.amount === undefined ? new Money(order.refundable) : new Money(input.amount);
  if (!amount.gt(0)) {
    throw new RefundInputError(409, 'nothing_to_refund', `order ${order.orderId} has nothing left to refund (refunded ${order.refunded} of ${order.total} ${order.currency})`, 'body.amount');
  }
  if (!fitsScale(amount, order.currency)) {
    throw new RefundInputError(422, 'invalid_amount', `more decimal places than the order's currency ${order.currency} allows`, 'body.amount');
  }
  try {
    await claimOrderRefund(transaction, { orderId: order.orderId, amount: amount.toFixed() });
  } catch (error) {
    if (error instanceof OrderRefundExceeded) {
      throw new RefundInputError(409, 'refund_exceeds_order', `${error.message} ${order.currency}; ${order.refunded} of ${order.total} is refunded or claimed by other requests already`, 'body.amount');
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

export interface RefundDecisionActivityInput {
  refundId: string;
  decision: 'APPROVED' | 'REJECTED';
  actor: RefundActor;
  reason: string | null;
}

export interface ProcessRefundInput {
  refundId: string;
  actor: RefundActor;
  /** policy.debt.limit captured by the workflow. */
  debtLimit: string;
}

export interface ProcessedRefund {
  reversedCount: number;
  reversedTotal: string;
  entryId: string | null;
  flaggedPartners: string[];
}

const orderCommissionRow = z.object({
  id: z.string(), partner_id: z.string(), level: z.number(), status: z.enum(['PENDING', 'APPROVED', 'PAID', 'REVERSED']),
  amount: z.string(), reversed_amount: z.string(), currency: z.string(),
});

function refused(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'RefundRefused', { status: 409, code: 'invalid_state', field: 'status' });
}

export function createRefundActivities({ database, ledger }: { database: Database; ledger: LedgerStore }) {
  return {
    /**
     * Records the admin's decision once: the refund row is locked, so a retry finds its own decision and writes
     * nothing twice. APPROVED (REFUND_APPROVE) leaves the reversal to processRefund; REJECTED (REFUND_REJECT)
     * releases the order amount the request claimed.
     */
    async recordRefundDecision(input: RefundDecisionActivityInput): Promise<{ status: RefundStatus }> {
      return database.transaction(async (transaction) => {
        const refund = await loadRefund(transaction, input.refundId, { forUpdate: true });
        if (!refund) throw refused(`refund ${input.refundId} does not exist`);
        if (refund.status !== 'PENDING') {
          const same = input.decision === 'REJECTED' ? refund.status === 'REJECTED' : refund.status === 'APPROVED' || refund.status === 'PROCESSED';
          if (same && refund.decided_by === input.actor.userId) return { status: refund.status };
          throw refused(`refund ${refund.id} is ${refund.status}`);
        }
        if (input.decision === 'APPROVED' && input.actor.userId === refund.requested_by) {
          throw ApplicationFailure.nonRetryable('the requester of a refund cannot approve it', 'RefundRefused', { status: 403, code: 'maker_checker', field: null });
        }
        if (input.decision === 'REJECTED') await releaseOrderRefund(transaction, { orderId: refund.order_id, amount: refund.amount });
        await transaction.query(sql.unsafe`
          UPDATE refunds SET status = ${input.decision}, decided_by = ${input.actor.userId}, decided_at = now(), decision_reason = ${input.reason}
          WHERE id = ${refund.id}`);
        await appendAuditRecord(transaction, {
          action: input.decision === 'APPROVED' ? 'REFUND_APPROVE' : 'REFUND_REJECT', actor: input.actor.userId, targetType: 'refund',
          targetId: refund.id, amount: formatMoney(refund.amount, refund.currency), currency: refund.currency, reason: input.reason,
          details: { orderId: refund.order_id, role: input.actor.role, reversal: refund.reversal, ...(input.decision === 'REJECTED' ? { released: refund.amount } : {}) },
        });
        return { status: input.decision };
      });
    },

    /**
     * Reverses every commission of the approved refund's order, at every level, in ONE transaction keyed by the
     * refund (a retry after a commit finds it PROCESSED; a retry after a failure redoes it whole): FULL takes
     * what is left of each commission (REVERSED), PROPORTIONAL original × amount / order total floored to cents;
     * by status, PENDING out of `commission_pending`, APPROVED out of `commission_approved`, PAID clawed back
     * from `available` with the rest as `debt` (reverseCommissions). Records what each commission gave back,
     * audits REFUND_PROCESS, tells the partners, and flags those whose debt reached the limit.
     */
    async processRefund(input: ProcessRefundInput): Promise<ProcessedRefund> {
      return database.transaction(async (transaction) => {
        const refund = await loadRefund(transaction, input.refundId, { forUpdate: true });
        if (!refund) throw refused(`refund ${input.refundId} does not exist`);
        if (refund.status === 'PROCESSED') {
          const flagged = await transaction.anyFirst(sql.type(z.object({ partner_id: z.string() }))`
            SELECT partner_id FROM partner_flags WHERE kind = 'DEBT_LIMIT' AND source_type = 'refund' AND source_id LIKE ${`${refund.id}:%`} ORDER BY partner_id`);
          const currency = await transaction.maybeOneFirst(sql.type(z.object({ currency: z.string() }))`
            SELECT currency FROM refund_reversals WHERE refund_id = ${refund.id} LIMIT 1`);
          return {
            reversedCount: refund.reversed_count, reversedTotal: currency ? formatMoney(refund.reversed_total, currency) : '0',
            entryId: refund.reversal_entry_id, flaggedPartners: [...flagged],
          };
        }
        if (refund.status !== 'APPROVED') throw refused(`refund ${refund.id} is ${refund.status}, not APPROVED`);

        const before = await transaction.any(sql.type(orderCommissionRow)`
          SELECT id, partner_id, level, status, amount::text AS amount, reversed_amount::text AS reversed_amount, currency FROM commissions
          WHERE event_id = ${refund.order_event_id} AND status <> 'REVERSED'
          ORDER BY id FOR UPDATE`);
        const description = `refund ${refund.id} of order ${refund.order_id} (${refund.reason}, ${formatMoney(refund.amount, refund.currency)} of ${formatMoney(refund.order_total, refund.currency)} ${refund.currency})`;
        const reversed = await reverseCommissions(transaction, ledger, {
          commissionIds: before.map((row) => row.id),
          idempotencyKey: `refund-reverse:${refund.id}`,
          reason: description,
          actor: input.actor.userId,
          ...(refund.reversal === 'FULL' ? {} : { fraction: { refund: refund.amount, total: refund.order_total } }),
        });
        const after = new Map((before.length === 0 ? [] : await transaction.any(sql.type(z.object({ id: z.string(), reversed_amount: z.string() }))`
          SELECT id, reversed_amount::text AS reversed_amount FROM commissions WHERE id = ANY(${sql.array(before.map((row) => row.id), 'int8')})`))
          .map((row) => [row.id, row.reversed_amount]));
        const lines = before
          .map((row) => ({ row, amount: new Money(after.get(row.id) ?? row.reversed_amount).minus(row.reversed_amount) }))
          .filter((line) => line.amount.gt(0));
        const total = lines.reduce((sum, line) => sum.plus(line.amount), new Money(0));
        // Each commission must have given back exactly what SPEC 7 says (all that was left, or its floored share), and
        // the entry must carry that total: a mismatch would be money unaccounted for, so the transaction is refused.
        for (const row of before) {
          const remaining = new Money(row.amount).minus(row.reversed_amount);
          const expected = refund.reversal === 'FULL'
            ? remaining
            : new Money(proportionalReversal({ original: row.amount, remaining: remaining.toFixed(), refund: refund.amount, orderTotal: refund.order_total, decimals: currencyScale(row.currency) }));
          const actual = lines.find((line) => line.row.id === row.id)?.amount ?? new Money(0);
          if (!actual.eq(expected)) throw new Error(`refund ${refund.id}: commission ${row.id} gave back ${actual.toFixed()}, expected ${expected.toFixed()}`);
        }
        if (!total.eq(reversed.total) || lines.length !== reversed.count) {
          throw new Error(`refund ${refund.id}: commissions record ${total.toFixed()} over ${lines.length}, the reversal posted ${reversed.total} over ${reversed.count}`);
        }
        if (lines.length > 0) {
          await transaction.query(sql.unsafe`
            INSERT INTO refund_reversals (refund_id, commission_id, partner_id, level, status_before, amount, currency)
            SELECT ${refund.id}, * FROM unnest(
              ${sql.array(lines.map((line) => line.row.id), 'int8')}, ${sql.array(lines.map((line) => line.row.partner_id), 'text')},
              ${sql.array(lines.map((line) => line.row.level), 'int4')}, ${sql.array(lines.map((line) => line.row.status), 'text')},
              ${sql.array(lines.map((line) => line.amount.toFixed()), 'numeric')}, ${sql.array(lines.map((line) => line.row.currency), 'text')})`);
        }
        await transaction.query(sql.unsafe`
          UPDATE refunds SET status = 'PROCESSED', processed_at = now(), reversal_entry_id = ${reversed.entryId},
                 reversed_count = ${lines.length}, reversed_total = ${total.toFixed()}
          WHERE id = ${refund.id}`);
        const currency = lines[0]?.row.currency ?? null;
        await appendAuditRecord(transaction, {
          action: 'REFUND_PROCESS', actor: input.actor.userId, targetType: 'refund', targetId: refund.id,
          amount: formatMoney(refund.amount, refund.currency), currency: refund.currency, reason: refund.reason, entryId: reversed.entryId,
          details: {
            orderId: refund.order_id, reversal: refund.reversal, commissionsReversed: lines.length,
            reversedTotal: currency ? formatMoney(total, currency) : '0', reversedCurrency: currency,
          },
        });
        const followUp = await followUpReversal(transaction, {
          entryId: reversed.entryId, debtLimit: input.debtLimit, sourceType: 'refund', sourceId: refund.id, description, actor: input.actor.userId,
        });
        return {
          reversedCount: lines.length, reversedTotal: currency ? formatMoney(total, currency) : '0', entryId: reversed.entryId,
          flaggedPartners: followUp.flags.map((flag) => flag.partnerId),
        };
      });
    },
  };
}

export type RefundActivities = ReturnType<typeof createRefundActivities>;
