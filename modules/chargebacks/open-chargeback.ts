import { sql } from 'slonik';
import { Money, formatMoney } from '../../domain/money.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { raisePartnerFlag } from '../partner-flags/partner-flags-store.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { followUpReversal } from '../refunds/reversal-follow-up.ts';
import { recordReversalLines, reverseOrderCommissions } from '../refunds/reverse-order.ts';
import { chargebackManagers, lockedChargeback, money, type ChargebackLedgerDependencies } from './chargeback-store.ts';

export interface OpenChargebackInput {
  chargebackId: string;
  /** policy.debt.limit captured by the workflow. */
  debtLimit: string;
}

export interface OpenedChargeback {
  reversedCount: number;
  reversedTotal: string;
  entryId: string | null;
  partnerSequence: number | null;
}

/**
 * The reversal at open (docs/rules.md#chargebacks: "Chargeback initiated: full commission reversal, immediate"), in ONE
 * transaction keyed by the chargeback (a retry after a commit finds it reversed): every commission of the order at
 * every level, by its status (reverseCommissions), in full or proportionally. Records what each gave back, tells
 * the partners (and flags a debt at the limit), raises the seller's CHARGEBACK flag and tells the admins
 * (CHARGEBACK_OPENED).
 */
export async function openChargeback({ database, ledger }: ChargebackLedgerDependencies, input: OpenChargebackInput): Promise<OpenedChargeback> {
  return database.transaction(async (transaction) => {
    const chargeback = await lockedChargeback(transaction, input.chargebackId);
    if (chargeback.reversed_at !== null) {
      return {
        reversedCount: chargeback.reversed_count, reversedTotal: new Money(chargeback.reversed_total).toFixed(2),
        entryId: chargeback.reversal_entry_id, partnerSequence: chargeback.partner_sequence,
      };
    }
    const description = `chargeback ${chargeback.provider_reference} on order ${chargeback.order_id} (${chargeback.reason_code}, ${money(chargeback.amount, chargeback.currency)} of ${money(chargeback.order_total, chargeback.currency)})`;
    const { lines, total, entryId } = await reverseOrderCommissions(transaction, ledger, {
      eventId: chargeback.order_event_id, idempotencyKey: `chargeback-reverse:${chargeback.id}`, reason: description, actor: chargeback.opened_by,
      fraction: chargeback.reversal === 'FULL' ? null : { refund: chargeback.amount, total: chargeback.order_total }, subject: `chargeback ${chargeback.id}`,
    });
    await recordReversalLines(transaction, { chargebackId: chargeback.id }, lines);
    await transaction.query(sql.unsafe`
      UPDATE chargebacks SET reversed_at = now(), reversal_entry_id = ${entryId}, reversed_count = ${lines.length},
             reversed_total = ${total.toFixed()}
      WHERE id = ${chargeback.id}`);
    const currency = lines[0]?.row.currency ?? null;
    await appendAuditRecord(transaction, {
      action: 'CHARGEBACK_UPDATE', actor: chargeback.opened_by, targetType: 'chargeback', targetId: chargeback.id,
      amount: currency ? formatMoney(total, currency) : null, currency, reason: 'commissions reversed at open', entryId,
      details: { orderId: chargeback.order_id, reversal: chargeback.reversal, commissionsReversed: lines.length },
    });
    await followUpReversal(transaction, {
      entryId, debtLimit: input.debtLimit, sourceType: 'chargeback', sourceId: chargeback.id, description, actor: chargeback.opened_by,
    });
    if (chargeback.partner_id !== null) {
      await raisePartnerFlag(transaction, {
        partnerId: chargeback.partner_id, kind: 'CHARGEBACK', sourceType: 'chargeback', sourceId: chargeback.id,
        reason: `open ${description}`.slice(0, 500), actor: chargeback.opened_by,
      });
    }
    await enqueueNotification(transaction, {
      dedupeKey: `chargeback-opened:${chargeback.id}`,
      kind: 'CHARGEBACK_OPENED',
      recipient: { kind: 'admin_role', roles: chargebackManagers },
      subject: `Chargeback of ${money(chargeback.amount, chargeback.currency)} on order ${chargeback.order_id}`,
      text: `The provider reported chargeback ${chargeback.provider_reference} (${chargeback.reason_code}) of ${money(chargeback.amount, chargeback.currency)} `
        + `on order ${chargeback.order_id} (total ${money(chargeback.order_total, chargeback.currency)})`
        + (chargeback.partner_id ? `, sold by partner ${chargeback.partner_id} (their chargeback number ${chargeback.partner_sequence})` : '')
        + `. ${lines.length} commission(s) were reversed at once (${currency ? money(total, currency) : 'nothing'}). `
        + 'Record the investigation and the provider’s decision on the chargeback.',
    });
    return { reversedCount: lines.length, reversedTotal: currency ? formatMoney(total, currency) : '0', entryId, partnerSequence: chargeback.partner_sequence };
  });
}
