import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { Money, currencyScale, formatMoney } from '../../domain/money.ts';
import { proportionalReversal, type RefundActor } from '../../domain/refund.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { loadRefund, refundStateConflict } from './refund-store.ts';
import { followUpReversal } from './reversal-follow-up.ts';
import { recordReversalLines, reverseOrderCommissions } from './reverse-order.ts';

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

/**
 * Reverses every commission of the approved refund's order, at every level, in ONE transaction keyed by the
 * refund (a retry after a commit finds it PROCESSED; a retry after a failure redoes it whole): FULL takes
 * what is left of each commission (REVERSED), PROPORTIONAL original × amount / order total floored to cents;
 * by status, PENDING out of `commission_pending`, APPROVED out of `commission_approved`, PAID clawed back
 * from `available` with the rest as `debt` (reverseCommissions). Records what each commission gave back,
 * audits REFUND_PROCESS, tells the partners, and flags those whose debt reached the limit.
 */
export async function processRefund({ database, ledger }: { database: Database; ledger: LedgerStore }, input: ProcessRefundInput): Promise<ProcessedRefund> {
  return database.transaction(async (transaction) => {
    const refund = await loadRefund(transaction, input.refundId, { forUpdate: true });
    if (!refund) throw refundStateConflict(`refund ${input.refundId} does not exist`);
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
    if (refund.status !== 'APPROVED') throw refundStateConflict(`refund ${refund.id} is ${refund.status}, not APPROVED`);

    const description = `refund ${refund.id} of order ${refund.order_id} (${refund.reason}, ${formatMoney(refund.amount, refund.currency)} of ${formatMoney(refund.order_total, refund.currency)} ${refund.currency})`;
    const { before, lines, total, entryId } = await reverseOrderCommissions(transaction, ledger, {
      eventId: refund.order_event_id, idempotencyKey: `refund-reverse:${refund.id}`, reason: description, actor: input.actor.userId,
      fraction: refund.reversal === 'FULL' ? null : { refund: refund.amount, total: refund.order_total }, subject: `refund ${refund.id}`,
    });
    // Each commission must have given back exactly what docs/rules.md#refunds says (all that was left, or its floored share): a
    // mismatch would be money unaccounted for, so the transaction is refused.
    for (const row of before) {
      const remaining = new Money(row.amount).minus(row.reversed_amount);
      const expected = refund.reversal === 'FULL'
        ? remaining
        : new Money(proportionalReversal({ original: row.amount, remaining: remaining.toFixed(), refund: refund.amount, orderTotal: refund.order_total, decimals: currencyScale(row.currency) }));
      const actual = lines.find((line) => line.row.id === row.id)?.amount ?? new Money(0);
      if (!actual.eq(expected)) throw new Error(`refund ${refund.id}: commission ${row.id} gave back ${actual.toFixed()}, expected ${expected.toFixed()}`);
    }
    await recordReversalLines(transaction, { refundId: refund.id }, lines);
    await transaction.query(sql.unsafe`
      UPDATE refunds SET status = 'PROCESSED', processed_at = now(), reversal_entry_id = ${entryId},
             reversed_count = ${lines.length}, reversed_total = ${total.toFixed()}
      WHERE id = ${refund.id}`);
    const currency = lines[0]?.row.currency ?? null;
    await appendAuditRecord(transaction, {
      action: 'REFUND_PROCESS', actor: input.actor.userId, targetType: 'refund', targetId: refund.id,
      amount: formatMoney(refund.amount, refund.currency), currency: refund.currency, reason: refund.reason, entryId,
      ip: input.actor.ip ?? null,
      details: {
        orderId: refund.order_id, reversal: refund.reversal, commissionsReversed: lines.length,
        reversedTotal: currency ? formatMoney(total, currency) : '0', reversedCurrency: currency,
      },
    });
    const followUp = await followUpReversal(transaction, {
      entryId, debtLimit: input.debtLimit, sourceType: 'refund', sourceId: refund.id, description, actor: input.actor.userId,
    });
    return {
      reversedCount: lines.length, reversedTotal: currency ? formatMoney(total, currency) : '0', entryId,
      flaggedPartners: followUp.flags.map((flag) => flag.partnerId),
    };
  });
}
