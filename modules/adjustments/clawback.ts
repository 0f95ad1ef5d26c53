import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { AdjustmentActor } from '../../domain/adjustment.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { reverseCommissions } from '../commissions/reverse-commissions.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';

/** Clawbacks of a commission (docs/rules.md#clawbacks): a senior admin's reversal of a commission, in full or in part. */

/** The commission's currency; null when there is no such commission. */
export async function commissionCurrency(connection: CommonQueryMethods, commissionId: string): Promise<string | null> {
  return connection.maybeOneFirst(sql.type(z.object({ currency: z.string() }))`SELECT currency FROM commissions WHERE id = ${commissionId}`);
}

export interface ClawbackInput {
  commissionId: string;
  /** Absent: the whole remaining amount (full clawback, the commission becomes REVERSED). */
  amount?: string;
  reason: string;
  actor: AdjustmentActor;
  ip: string | null;
  /** A business key: the same key claws back once (a retried request returns the first clawback). */
  idempotencyKey: string;
}

export interface ClawbackResult {
  clawbackId: string;
  commissionId: string;
  amount: string;
  currency: string;
  full: boolean;
  statusBefore: string;
  entryId: string;
  /** The commission's status now (REVERSED after a full clawback). */
  commissionStatus: string;
  replayed: boolean;
}

const clawbackRow = z.object({
  id: z.string(), commission_id: z.string(), amount: z.string(), currency: z.string(), full_clawback: z.boolean(),
  status_before: z.string(), entry_id: z.string(),
});
const commissionRow = z.object({
  id: z.string(), partner_id: z.string(), amount: z.string(), reversed_amount: z.string(), currency: z.string(),
  status: z.enum(['PENDING', 'APPROVED', 'PAID', 'REVERSED']),
});

/**
 * Claws a commission back, fully or partly, in one transaction (docs/rules.md#clawbacks): a
 * reversing entry through reverseCommissions (PENDING/APPROVED out of their bucket, PAID out of `available` with
 * the rest into `debt`), the original marked REVERSED when the whole remaining amount goes, an audited
 * COMMISSION_CLAWBACK, and the partner notified. The clawback row's unique key makes a retry return the first.
 * Refused: a commission that does not exist (not_found), is REVERSED already (conflict), or has less left than
 * the amount (unprocessable).
 */
export async function clawbackCommission(database: Database, ledger: LedgerStore, input: ClawbackInput): Promise<ClawbackResult> {
  const done = await database.transaction(async (transaction) => {
    const existing = await transaction.maybeOne(sql.type(clawbackRow)`
      SELECT id, commission_id, amount, currency, full_clawback, status_before, entry_id FROM commission_clawbacks
      WHERE idempotency_key = ${input.idempotencyKey}`);
    if (existing) return toClawbackResult(existing, true);
    const commission = await transaction.maybeOne(sql.type(commissionRow)`
      SELECT id, partner_id, amount, reversed_amount, currency, status FROM commissions WHERE id = ${input.commissionId} FOR UPDATE`);
    if (!commission) throw new DomainError('not_found', 'not_found', `no commission ${input.commissionId}`, 'params.id');
    if (commission.status === 'REVERSED') throw new DomainError('conflict', 'invalid_state', `commission ${commission.id} is REVERSED already`, 'status');
    const remaining = new Money(commission.amount).minus(commission.reversed_amount);
    const amount = input.amount === undefined ? remaining : new Money(input.amount);
    if (!amount.gt(0)) throw new DomainError('unprocessable', 'invalid_amount', 'a clawback takes a positive amount', 'body.amount');
    if (amount.gt(remaining)) {
      throw new DomainError('unprocessable', 'amount_exceeds_commission', `at most ${formatMoney(remaining, commission.currency)} of commission ${commission.id} is left to claw back`, 'body.amount');
    }
    const full = amount.eq(remaining);
    // The partial form: a fraction of the ORIGINAL amount (amount / original), floored to cents by the engine,
    // which gives back exactly `amount` (it has the currency's scale).
    const reversed = await reverseCommissions(transaction, ledger, {
      commissionIds: [commission.id],
      idempotencyKey: `commission-clawback:${input.idempotencyKey}`,
      reason: input.reason,
      actor: input.actor.userId,
      ...(full ? {} : { fraction: { refund: amount.toFixed(), total: commission.amount } }),
    });
    if (reversed.entryId === null || !new Money(reversed.total).eq(amount)) {
      throw new Error(`clawback of commission ${commission.id} moved ${reversed.total}, expected ${amount.toFixed()}`);
    }
    const row = await transaction.one(sql.type(clawbackRow)`
      INSERT INTO commission_clawbacks (idempotency_key, commission_id, amount, currency, full_clawback, status_before, reason, entry_id, created_by)
      VALUES (${input.idempotencyKey}, ${commission.id}, ${amount.toFixed()}, ${commission.currency}, ${full}, ${commission.status},
              ${input.reason}, ${reversed.entryId}, ${input.actor.userId})
      RETURNING id, commission_id, amount, currency, full_clawback, status_before, entry_id`);
    // reverseCommissions audits a PAID commission's reversal as COMMISSION_CLAWBACK already, and PENDING/APPROVED
    // as COMMISSION_REVERSE; those get the COMMISSION_CLAWBACK record of the decision here, so every clawback has
    // exactly one.
    if (commission.status !== 'PAID') await appendAuditRecord(transaction, {
      action: 'COMMISSION_CLAWBACK', actor: input.actor.userId, targetType: 'commission', targetId: commission.id,
      amount: formatMoney(amount, commission.currency), currency: commission.currency, reason: input.reason, ip: input.ip,
      entryId: reversed.entryId, details: { clawbackId: row.id, full, statusBefore: commission.status, partnerId: commission.partner_id },
    });
    await enqueueNotification(transaction, {
      dedupeKey: `commission-clawback:${row.id}`,
      kind: 'ADJUSTMENT_POSTED',
      recipient: { kind: 'partner', partnerId: commission.partner_id },
      subject: `A commission was clawed back: ${formatMoney(amount, commission.currency)} ${commission.currency}`,
      text: `${full ? 'The whole' : 'Part'} of commission ${commission.id} (${formatMoney(amount, commission.currency)} ${commission.currency}) was clawed back.\nReason: ${input.reason}`,
    });
    return toClawbackResult(row, false);
  });
  const commissionStatus = await database.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM commissions WHERE id = ${input.commissionId}`);
  return { ...done, commissionStatus };
}

function toClawbackResult(row: z.infer<typeof clawbackRow>, replayed: boolean): Omit<ClawbackResult, 'commissionStatus'> {
  return {
    clawbackId: row.id, commissionId: row.commission_id, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    full: row.full_clawback, statusBefore: row.status_before, entryId: row.entry_id, replayed,
  };
}
