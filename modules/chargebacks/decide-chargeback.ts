import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import { amountWonOf, isDecided, providerActor, recreditShare, type ChargebackActor, type ChargebackOutcome, type ChargebackState, type ChargebackStatus } from '../../domain/chargeback.ts';
import { DomainError } from '../../domain/errors.ts';
import type { AccountRef, PartnerBucket, PostingInput } from '../../domain/ledger.ts';
import { Money, currencyScale, fitsScale, formatMoney } from '../../domain/money.ts';
import type { chargebackWorkflow } from '../../workflows/chargeback.ts';
import { chargebackWorkflowId, decideChargebackUpdate, type ChargebackDecisionInput } from '../../workflows/chargeback-messages.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { clearPartnerFlags } from '../partner-flags/partner-flags-store.ts';
import type { Database } from '../../db/pool.ts';
import { appendAuditRecord, appendAuditRecords, type AuditRecordInput } from '../audit/audit-store.ts';
import { releaseOrderRefund } from '../refunds/order-refunds.ts';
import { chargebackManagers, loadChargebackByReference, lockedChargeback, money, type ChargebackLedgerDependencies, type ChargebackRow } from './chargeback-store.ts';

/**
 * The provider's outcome of a chargeback (docs/rules.md#chargeback-outcomes): an admin's entry (after a fresh TOTP) or the signed
 * webhook's `chargeback.decided`, sent to `chargeback-<id>` and recorded once by its activity, which re-credits what
 * was won.
 */

/** An outcome is recorded once: checked on the row before the caller spends the admin's TOTP code. */
export function checkChargebackUndecided(row: ChargebackRow): void {
  if (row.decided_at !== null) throw new DomainError('conflict', 'invalid_state', `chargeback ${row.id} is ${row.status}`, 'status');
}

/** Sends the outcome to the chargeback's workflow; it returns once the re-credit (if any) is posted. */
export async function sendChargebackDecision(temporal: Client, chargebackId: string, decision: ChargebackDecisionInput): Promise<ChargebackState> {
  const handle = temporal.workflow.getHandle<typeof chargebackWorkflow>(chargebackWorkflowId(chargebackId));
  return handle.executeUpdate(decideChargebackUpdate, { args: [decision] });
}

/**
 * The provider's `chargeback.decided`: the chargeback its reference names gets the outcome. Delivered again (the
 * chargeback has that outcome already) it changes nothing (`duplicate`); another outcome than the recorded one is a
 * conflict naming `body.outcome`.
 */
export async function deliverProviderDecision(
  { database, temporal }: { database: Database; temporal: Client },
  event: { providerReference: string; outcome: ChargebackOutcome; amountWon?: string | undefined; note?: string | undefined },
): Promise<{ chargebackId: string; duplicate: boolean }> {
  const row = await loadChargebackByReference(database, event.providerReference);
  if (!row) throw new DomainError('not_found', 'not_found', `no chargeback with provider reference ${event.providerReference}`, 'body.providerReference');
  if (row.decided_at !== null) {
    if (row.status === event.outcome) return { chargebackId: row.id, duplicate: true };
    throw new DomainError('conflict', 'invalid_state', `chargeback ${row.id} is ${row.status} already`, 'body.outcome');
  }
  await sendChargebackDecision(temporal, row.id, { actor: providerActor, outcome: event.outcome, amountWon: event.amountWon ?? null, note: event.note ?? null });
  return { chargebackId: row.id, duplicate: false };
}

export interface DecideChargebackInput {
  chargebackId: string;
  outcome: ChargebackOutcome;
  /** PARTIAL: the part of the amount won (order currency). */
  amountWon: string | null;
  note: string | null;
  actor: ChargebackActor;
}

export interface DecidedChargeback {
  status: ChargebackStatus;
  amountWon: string;
  recreditedCount: number;
  recreditedTotal: string;
  entryId: string | null;
}

const recreditLineRow = z.object({
  commission_id: z.string(), partner_id: z.string(), status_before: z.enum(['PENDING', 'APPROVED', 'PAID']), amount: z.string(),
  currency: z.string(), status: z.enum(['PENDING', 'APPROVED', 'PAID', 'REVERSED']), reversed_amount: z.string(),
  reverse_entry_id: z.string().nullable(), source_type: z.string(),
});

const platform = (bucket: 'commission_expense' | 'portfolio_returns', currency: string): AccountRef => ({ ownerType: 'platform', ownerId: 'platform', bucket, currency });
const partnerAccount = (partnerId: string, bucket: PartnerBucket, currency: string): AccountRef => ({ ownerType: 'partner', ownerId: partnerId, bucket, currency });

/**
 * The outcome, once (a retry finds its own decision). WON gives back everything the reversal took, PARTIAL the
 * share won (reversed × won / amount, floored to cents), LOST nothing; the order's claim is released by what was
 * won (LOST keeps it: the refund is processed). A re-credit restores each commission to the status the reversal
 * found it in (when the reversal made it REVERSED) or keeps its current one, and puts the money in that status's
 * bucket: PENDING `commission_pending`, APPROVED `commission_approved`, PAID repays `debt` first, then `available`
 * (the rule in docs/rules.md#debt for later commissions). A commission reversed since by something else (an order cancellation) is
 * SUPERSEDED and gets nothing. One entry, keyed by the chargeback, referencing the reversal. The CHARGEBACK flag is
 * cleared whatever the outcome; audited CHARGEBACK_DECIDE (and COMMISSION_ADJUST per commission re-credited).
 */
export async function decideChargeback({ database, ledger }: ChargebackLedgerDependencies, input: DecideChargebackInput): Promise<DecidedChargeback> {
  return database.transaction(async (transaction) => {
    const chargeback = await lockedChargeback(transaction, input.chargebackId);
    if (isDecided(chargeback.status)) {
      if (chargeback.status === input.outcome) {
        return {
          status: chargeback.status, amountWon: chargeback.amount_won ?? '0', recreditedCount: 0,
          recreditedTotal: new Money(chargeback.recredited_total).toFixed(2), entryId: chargeback.recredit_entry_id,
        };
      }
      throw new DomainError('conflict', 'invalid_state', `chargeback ${chargeback.id} is ${chargeback.status}`, 'status');
    }
    if (chargeback.reversed_at === null) throw new Error(`chargeback ${chargeback.id} is decided before its reversal was recorded`);
    let won: string;
    try {
      won = amountWonOf(input.outcome, chargeback.amount, input.amountWon);
    } catch (error) {
      throw new DomainError('unprocessable', 'invalid_amount', (error as Error).message, 'body.amountWon');
    }
    if (!fitsScale(new Money(won), chargeback.currency)) throw new DomainError('unprocessable', 'invalid_amount', `more decimal places than ${chargeback.currency} allows`, 'body.amountWon');

    const lines = new Money(won).gt(0) ? await transaction.any(sql.type(recreditLineRow)`
      SELECT r.commission_id::text AS commission_id, r.partner_id, r.status_before, r.amount::text AS amount, r.currency, c.status,
             c.reversed_amount::text AS reversed_amount, c.reverse_entry_id::text AS reverse_entry_id, c.source_type
      FROM chargeback_reversals r JOIN commissions c ON c.id = r.commission_id
      WHERE r.chargeback_id = ${chargeback.id}
      ORDER BY r.commission_id FOR UPDATE OF c`) : [];
    const targets: { line: z.infer<typeof recreditLineRow>; amount: Money; status: 'PENDING' | 'APPROVED' | 'PAID' }[] = [];
    const superseded: string[] = [];
    for (const line of lines) {
      if (line.status === 'REVERSED' && line.reverse_entry_id !== chargeback.reversal_entry_id) {
        superseded.push(line.commission_id);
        continue;
      }
      const share = Money.min(new Money(recreditShare({ reversed: line.amount, won, amount: chargeback.amount, decimals: currencyScale(line.currency) })), new Money(line.reversed_amount));
      if (!share.gt(0)) continue;
      targets.push({ line, amount: share, status: line.status === 'REVERSED' ? line.status_before : line.status });
    }

    // PAID re-credits repay debt first: lock the debt accounts before reading what is owed.
    const owed = new Map<string, Money>();
    const paidKeys = [...new Set(targets.filter((target) => target.status === 'PAID').map((target) => `${target.line.partner_id}|${target.line.currency}`))];
    if (paidKeys.length > 0) {
      const accounts = paidKeys.map((key) => { const [partnerId, currency] = key.split('|') as [string, string]; return partnerAccount(partnerId, 'debt', currency); });
      const ids = await ledger.accountIds(accounts, transaction);
      const locked = await transaction.any(sql.type(z.object({ account_id: z.string(), balance: z.string() }))`
        SELECT account_id, balance FROM lock_account_balances(${sql.array(ids, 'int8')})`);
      for (const [index, key] of paidKeys.entries()) owed.set(key, new Money(locked.find((row) => row.account_id === ids[index])?.balance ?? '0').negated());
    }
    const postings: PostingInput[] = [];
    const platformTotals = new Map<string, Money>();
    const audits: AuditRecordInput[] = [];
    for (const { line, amount, status } of targets) {
      const currency = line.currency;
      const source = line.source_type === 'PORTFOLIO_YIELD' ? 'portfolio_returns' : 'commission_expense';
      platformTotals.set(`${source}|${currency}`, (platformTotals.get(`${source}|${currency}`) ?? new Money(0)).plus(amount));
      let toDebt = new Money(0);
      if (status === 'PAID') {
        const key = `${line.partner_id}|${currency}`;
        const debt = owed.get(key)!;
        toDebt = Money.min(debt, amount);
        owed.set(key, debt.minus(toDebt));
        if (toDebt.gt(0)) postings.push({ account: partnerAccount(line.partner_id, 'debt', currency), amount: formatMoney(toDebt, currency) });
        const toAvailable = amount.minus(toDebt);
        if (toAvailable.gt(0)) postings.push({ account: partnerAccount(line.partner_id, 'available', currency), amount: formatMoney(toAvailable, currency) });
      } else {
        postings.push({ account: partnerAccount(line.partner_id, status === 'PENDING' ? 'commission_pending' : 'commission_approved', currency), amount: formatMoney(amount, currency) });
      }
      audits.push({
        action: 'COMMISSION_ADJUST', actor: input.actor.userId, targetType: 'commission', targetId: line.commission_id,
        amount: formatMoney(amount, currency), currency, reason: `re-credited: chargeback ${chargeback.id} ${input.outcome}`,
        ip: input.actor.ip ?? null,
        details: { partnerId: line.partner_id, chargebackId: chargeback.id, outcome: input.outcome, statusBefore: line.status, statusAfter: status, debtRepaid: formatMoney(toDebt, currency) },
      });
    }
    for (const [key, total] of platformTotals) {
      const [bucket, currency] = key.split('|') as ['commission_expense' | 'portfolio_returns', string];
      postings.push({ account: platform(bucket, currency), amount: formatMoney(total.negated(), currency) });
    }
    const entry = targets.length === 0 ? null : await ledger.postEntry({
      idempotencyKey: `chargeback-recredit:${chargeback.id}`, kind: 'commission_recredit',
      description: `chargeback ${chargeback.provider_reference} on order ${chargeback.order_id} ${input.outcome}: reversal re-credited`,
      metadata: { chargebackId: chargeback.id, outcome: input.outcome, commissionIds: targets.map((target) => target.line.commission_id) },
      ...(chargeback.reversal_entry_id ? { reversesEntryId: chargeback.reversal_entry_id } : {}),
      postings,
    }, transaction);
    for (const audit of audits) audit.entryId = entry?.entryId ?? null;
    await appendAuditRecords(transaction, audits);
    if (targets.length > 0) {
      await transaction.query(sql.unsafe`
        UPDATE commissions c SET
          reversed_amount = c.reversed_amount - u.amount,
          status = u.status,
          reversed_at = CASE WHEN c.status = 'REVERSED' THEN NULL ELSE c.reversed_at END,
          reverse_entry_id = CASE WHEN c.status = 'REVERSED' THEN NULL ELSE c.reverse_entry_id END,
          reversal_reason = CASE WHEN c.reversed_amount - u.amount = 0 THEN NULL ELSE c.reversal_reason END
        FROM unnest(${sql.array(targets.map((target) => target.line.commission_id), 'int8')}, ${sql.array(targets.map((target) => target.amount.toFixed()), 'numeric')},
                    ${sql.array(targets.map((target) => target.status), 'text')}) AS u(id, amount, status)
        WHERE c.id = u.id`);
      await transaction.query(sql.unsafe`
        UPDATE chargeback_reversals r SET recredited = u.amount, recredit_status = u.status
        FROM unnest(${sql.array(targets.map((target) => target.line.commission_id), 'int8')}, ${sql.array(targets.map((target) => target.amount.toFixed()), 'numeric')},
                    ${sql.array(targets.map((target) => target.status), 'text')}) AS u(id, amount, status)
        WHERE r.chargeback_id = ${chargeback.id} AND r.commission_id = u.id`);
    }
    if (superseded.length > 0) {
      await transaction.query(sql.unsafe`
        UPDATE chargeback_reversals SET recredit_status = 'SUPERSEDED'
        WHERE chargeback_id = ${chargeback.id} AND commission_id = ANY(${sql.array(superseded, 'int8')})`);
    }
    if (new Money(won).gt(0)) await releaseOrderRefund(transaction, { orderId: chargeback.order_id, amount: won });
    const total = targets.reduce((sum, target) => sum.plus(target.amount), new Money(0));
    await transaction.query(sql.unsafe`
      UPDATE chargebacks SET status = ${input.outcome}, amount_won = ${won}, decided_by = ${input.actor.userId}, decided_at = now(),
             decision_note = ${input.note}, recredit_entry_id = ${entry?.entryId ?? null}, recredited_total = ${total.toFixed()}
      WHERE id = ${chargeback.id}`);
    const currency = targets[0]?.line.currency ?? null;
    await appendAuditRecord(transaction, {
      action: 'CHARGEBACK_DECIDE', actor: input.actor.userId, targetType: 'chargeback', targetId: chargeback.id,
      amount: formatMoney(chargeback.amount, chargeback.currency), currency: chargeback.currency, reason: input.outcome, entryId: entry?.entryId ?? null,
      ip: input.actor.ip ?? null,
      details: {
        outcome: input.outcome, amountWon: won, note: input.note, role: input.actor.role, released: won,
        recreditedCount: targets.length, recreditedTotal: currency ? formatMoney(total, currency) : '0', superseded,
      },
    });
    if (chargeback.partner_id !== null) {
      await clearPartnerFlags(transaction, {
        sourceType: 'chargeback', sourceId: chargeback.id, kind: 'CHARGEBACK', actor: input.actor.userId, reason: `chargeback ${input.outcome}`,
      });
    }
    const summary = input.outcome === 'WON'
      ? 'The chargeback was won: the reversed commissions were re-credited.'
      : input.outcome === 'LOST'
        ? 'The chargeback was lost: the refund stands and the commissions stay reversed.'
        : `The chargeback was partly won (${money(won, chargeback.currency)} of ${money(chargeback.amount, chargeback.currency)}): that share of the reversed commissions was re-credited.`;
    const notices = [
      ...(chargeback.partner_id ? [{ key: 'partner', recipient: { kind: 'partner' as const, partnerId: chargeback.partner_id } }] : []),
      { key: 'admins', recipient: { kind: 'admin_role' as const, roles: chargebackManagers } },
    ];
    for (const notice of notices) {
      await enqueueNotification(transaction, {
        dedupeKey: `chargeback-decided:${chargeback.id}:${notice.key}`,
        kind: 'CHARGEBACK_DECIDED',
        recipient: notice.recipient,
        subject: `Chargeback on order ${chargeback.order_id}: ${input.outcome}`,
        text: `${summary} (chargeback ${chargeback.provider_reference}, ${money(chargeback.amount, chargeback.currency)}${currency ? `; re-credited ${money(total, currency)}` : ''}).`,
      });
    }
    return { status: input.outcome, amountWon: won, recreditedCount: targets.length, recreditedTotal: currency ? formatMoney(total, currency) : '0', entryId: entry?.entryId ?? null };
  });
}
