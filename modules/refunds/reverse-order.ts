import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { Money } from '../../domain/money.ts';
import { reverseCommissions } from '../commissions/reverse-commissions.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';

/**
 * The reversal of an order's commissions that a refund (on approval) and a chargeback (at open) both post: every
 * commission of the order, at every level, by its status (reverseCommissions), and what each one gave back, recorded
 * against the refund or the chargeback.
 */

const orderCommissionRow = z.object({
  id: z.string(), partner_id: z.string(), level: z.number(), status: z.enum(['PENDING', 'APPROVED', 'PAID', 'REVERSED']),
  amount: z.string(), reversed_amount: z.string(), currency: z.string(),
});
export type OrderCommission = z.infer<typeof orderCommissionRow>;

/** What one commission gave back. */
export interface OrderReversalLine {
  row: OrderCommission;
  amount: Money;
}

export interface OrderReversal {
  /** The order's commissions that were not REVERSED yet, as they were before. */
  before: readonly OrderCommission[];
  /** The commissions that gave something back. */
  lines: OrderReversalLine[];
  total: Money;
  entryId: string | null;
}

/**
 * Reverses the commissions of the order (its ORDER_COMPLETED event) in the caller's transaction, locking them first:
 * in full, or by `fraction` (amount / order total, floored to cents). What the commissions record must be what the
 * entry posted: a mismatch would be money unaccounted for, so the transaction is refused.
 */
export async function reverseOrderCommissions(
  transaction: CommonQueryMethods,
  ledger: LedgerStore,
  input: { eventId: string; idempotencyKey: string; reason: string; actor: string; fraction: { refund: string; total: string } | null; subject: string },
): Promise<OrderReversal> {
  const before = await transaction.any(sql.type(orderCommissionRow)`
    SELECT id, partner_id, level, status, amount::text AS amount, reversed_amount::text AS reversed_amount, currency FROM commissions
    WHERE event_id = ${input.eventId} AND status <> 'REVERSED'
    ORDER BY id FOR UPDATE`);
  const reversed = await reverseCommissions(transaction, ledger, {
    commissionIds: before.map((row) => row.id),
    idempotencyKey: input.idempotencyKey,
    reason: input.reason,
    actor: input.actor,
    ...(input.fraction === null ? {} : { fraction: input.fraction }),
  });
  const after = new Map((before.length === 0 ? [] : await transaction.any(sql.type(z.object({ id: z.string(), reversed_amount: z.string() }))`
    SELECT id, reversed_amount::text AS reversed_amount FROM commissions WHERE id = ANY(${sql.array(before.map((row) => row.id), 'int8')})`))
    .map((row) => [row.id, row.reversed_amount]));
  const lines = before
    .map((row) => ({ row, amount: new Money(after.get(row.id) ?? row.reversed_amount).minus(row.reversed_amount) }))
    .filter((line) => line.amount.gt(0));
  const total = lines.reduce((sum, line) => sum.plus(line.amount), new Money(0));
  if (!total.eq(reversed.total) || lines.length !== reversed.count) {
    throw new Error(`${input.subject}: commissions record ${total.toFixed()} over ${lines.length}, the reversal posted ${reversed.total} over ${reversed.count}`);
  }
  return { before, lines, total, entryId: reversed.entryId };
}

/** Records what each commission gave back against the refund (`refund_reversals`) or the chargeback (`chargeback_reversals`). */
export async function recordReversalLines(
  transaction: CommonQueryMethods,
  owner: { refundId: string } | { chargebackId: string },
  lines: readonly OrderReversalLine[],
): Promise<void> {
  if (lines.length === 0) return;
  const [table, column, id] = 'refundId' in owner
    ? ['refund_reversals', 'refund_id', owner.refundId]
    : ['chargeback_reversals', 'chargeback_id', owner.chargebackId];
  await transaction.query(sql.unsafe`
    INSERT INTO ${sql.identifier([table])} (${sql.identifier([column])}, commission_id, partner_id, level, status_before, amount, currency)
    SELECT ${id}, * FROM unnest(
      ${sql.array(lines.map((line) => line.row.id), 'int8')}, ${sql.array(lines.map((line) => line.row.partner_id), 'text')},
      ${sql.array(lines.map((line) => line.row.level), 'int4')}, ${sql.array(lines.map((line) => line.row.status), 'text')},
      ${sql.array(lines.map((line) => line.amount.toFixed()), 'numeric')}, ${sql.array(lines.map((line) => line.row.currency), 'text')})`);
}
