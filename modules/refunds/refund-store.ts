import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import type { RefundReason, RefundStatus } from '../../domain/refund.ts';

/**
 * The `refunds` table and the commissions each refund reversed (`refund_reversals`): the row schemas and the reads
 * the API and the lifecycle share. Writes are in the use-cases beside this file.
 */

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

/** A refund not in the status a step needs (or gone): a conflict naming `status`. */
export function refundStateConflict(message: string): DomainError {
  return new DomainError('conflict', 'invalid_state', message, 'status');
}

/** The refund, or a not_found refusal naming `params.id`. */
export async function requireRefund(connection: CommonQueryMethods, refundId: string): Promise<RefundRow> {
  const row = await loadRefund(connection, refundId);
  if (!row) throw new DomainError('not_found', 'not_found', `no refund ${refundId}`, 'params.id');
  return row;
}

export interface RefundFilter {
  /** The seller; undefined: every seller's. */
  partnerId?: string | undefined;
  status?: RefundStatus | undefined;
  reason?: RefundReason | undefined;
  orderId?: string | undefined;
  /** The last row of the previous page (its requested_at, microseconds kept, and id). */
  after?: { cursorTime: string; id: string } | undefined;
  limit: number;
}

/** The refund queue, newest first. */
export async function listRefunds(connection: CommonQueryMethods, filter: RefundFilter): Promise<readonly RefundRow[]> {
  const conditions = [sql.fragment`TRUE`];
  if (filter.partnerId !== undefined) conditions.push(sql.fragment`partner_id = ${filter.partnerId}`);
  if (filter.status) conditions.push(sql.fragment`status = ${filter.status}`);
  if (filter.reason) conditions.push(sql.fragment`reason = ${filter.reason}`);
  if (filter.orderId) conditions.push(sql.fragment`order_id = ${filter.orderId}`);
  if (filter.after) conditions.push(sql.fragment`(requested_at, id) < (${filter.after.cursorTime}::timestamptz, ${filter.after.id}::uuid)`);
  return connection.any(sql.type(refundRow)`
    SELECT ${refundColumns} FROM refunds WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY requested_at DESC, id DESC LIMIT ${filter.limit}`);
}

export const refundReversalRow = z.object({
  commission_id: z.string(), partner_id: z.string(), level: z.number(), status_before: z.enum(['PENDING', 'APPROVED', 'PAID']), amount: z.string(), currency: z.string(),
});
export type RefundReversalRow = z.infer<typeof refundReversalRow>;

/** Each commission the refund reversed; with `partnerId`, only that partner's. */
export async function refundReversals(connection: CommonQueryMethods, refundId: string, partnerId: string | null = null): Promise<readonly RefundReversalRow[]> {
  return connection.any(sql.type(refundReversalRow)`
    SELECT commission_id::text AS commission_id, partner_id, level, status_before, amount::text AS amount, currency FROM refund_reversals
    WHERE refund_id = ${refundId} ${partnerId === null ? sql.fragment`` : sql.fragment`AND partner_id = ${partnerId}`}
    ORDER BY level, commission_id`);
}
