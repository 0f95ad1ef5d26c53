import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { adjustmentStatuses, adjustmentsAccount, manualCommissionStatuses, partnerAccount, type AdjustmentActor } from '../../domain/adjustment.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { durationMs } from '../../domain/policy.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';

/**
 * What `adjustment-<id>` does to the books (docs/rules.md#manual-commissions): posting the manual commission once and recording
 * the senior decision. Each writes its audit record in the transaction that changes the adjustment. Refusals
 * (an adjustment that does not exist, or is no longer awaiting approval) are DomainErrors retrying cannot cure.
 */

const lockedAdjustmentRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  type: z.string(),
  amount: z.string(),
  currency: z.string(),
  commission_status: z.enum(manualCommissionStatuses),
  reason: z.string(),
  status: z.enum(adjustmentStatuses),
  commission_id: z.string().nullable(),
  entry_id: z.string().nullable(),
  policy_version: z.number(),
  created_by: z.string(),
  period: z.string().nullable(),
});

async function lockAdjustment(connection: CommonQueryMethods, adjustmentId: string) {
  const adjustment = await connection.maybeOne(sql.type(lockedAdjustmentRow)`
    SELECT id, partner_id, type, amount, currency, commission_status, reason, status, commission_id, entry_id, policy_version,
           created_by, period
    FROM adjustments WHERE id = ${adjustmentId} FOR UPDATE`);
  if (!adjustment) throw new DomainError('not_found', 'not_found', `adjustment ${adjustmentId} does not exist`);
  return adjustment;
}

export interface PostManualCommissionInput {
  adjustmentId: string;
  /** The policy's `adjustments.manualPendingHold` captured by the workflow: a PENDING commission's hold. */
  pendingHold: string;
  /** Who posted it: the maker (no senior approval needed) or the senior approver. */
  actor: AdjustmentActor;
}

/**
 * Posts the manual commission once: the adjustment row is locked first, so a retry waits for a slow first
 * attempt and then finds it POSTED. PENDING credits `commission_pending` with the policy's hold (the release
 * sweep approves it later); APPROVED credits `commission_approved` (the next pay batch pays it).
 */
export async function postManualCommission({ database, ledger }: { database: Database; ledger: LedgerStore }, input: PostManualCommissionInput): Promise<{ commissionId: string; entryId: string }> {
  return database.transaction(async (transaction) => {
    const adjustment = await lockAdjustment(transaction, input.adjustmentId);
    if (adjustment.status === 'POSTED') return { commissionId: adjustment.commission_id!, entryId: adjustment.entry_id! };
    if (adjustment.status !== 'AWAITING_APPROVAL') {
      throw new DomainError('conflict', 'invalid_state', `adjustment ${adjustment.id} is ${adjustment.status}`, 'status');
    }
    const currency = adjustment.currency;
    const approved = adjustment.commission_status === 'APPROVED';
    const bucket = approved ? 'commission_approved' : 'commission_pending';
    const posted = await ledger.postEntry({
      idempotencyKey: `adjustment-${adjustment.id}`,
      kind: 'commission_adjustment',
      description: `manual commission (${adjustment.type}): ${adjustment.reason}`,
      metadata: { adjustmentId: adjustment.id, partnerId: adjustment.partner_id, type: adjustment.type },
      postings: [
        { account: adjustmentsAccount(currency), amount: formatMoney(new Money(adjustment.amount).negated(), currency) },
        { account: partnerAccount(adjustment.partner_id, bucket, currency), amount: formatMoney(adjustment.amount, currency) },
      ],
    }, transaction);
    const releaseAt = new Date(Date.now() + (approved ? 0 : durationMs(input.pendingHold)));
    const breakdown = {
      manual: true, type: adjustment.type, reason: adjustment.reason, period: adjustment.period, adjustmentId: adjustment.id,
      base: formatMoney(adjustment.amount, currency), rate: '1', amount: formatMoney(adjustment.amount, currency),
      text: `manual commission (${adjustment.type}) by adjustment ${adjustment.id}: ${adjustment.reason}`,
    };
    const commissionId = await transaction.oneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO commissions (adjustment_id, partner_id, income_type, level, source_type, base, rate, amount, currency, status,
                               release_at, breakdown, policy_version, approved_at, approve_entry_id)
      VALUES (${adjustment.id}, ${adjustment.partner_id}, 0, 1, 'ADJUSTMENT', ${adjustment.amount}, 1, ${adjustment.amount}, ${currency},
              ${adjustment.commission_status}, ${releaseAt.toISOString()}, ${sql.jsonb(breakdown)}, ${adjustment.policy_version},
              ${approved ? sql.fragment`now()` : null}, ${approved ? posted.entryId : null})
      RETURNING id`);
    await transaction.query(sql.unsafe`
      UPDATE adjustments SET status = 'POSTED', commission_id = ${commissionId}, entry_id = ${posted.entryId}, posted_at = now()
      WHERE id = ${adjustment.id}`);
    await appendAuditRecord(transaction, {
      action: 'COMMISSION_ADJUST', actor: input.actor.userId, targetType: 'commission', targetId: commissionId,
      amount: formatMoney(adjustment.amount, currency), currency, reason: adjustment.reason, entryId: posted.entryId,
      ip: input.actor.ip ?? null,
      details: { adjustmentId: adjustment.id, partnerId: adjustment.partner_id, type: adjustment.type, status: adjustment.commission_status, maker: adjustment.created_by },
    });
    await enqueueNotification(transaction, {
      dedupeKey: `adjustment-posted:${adjustment.id}`,
      kind: 'ADJUSTMENT_POSTED',
      recipient: { kind: 'partner', partnerId: adjustment.partner_id },
      subject: `A commission of ${formatMoney(adjustment.amount, currency)} ${currency} was added to your account`,
      text: `A manual commission (${adjustment.type}) of ${formatMoney(adjustment.amount, currency)} ${currency} was added, ` +
        `${approved ? 'approved and paid with the next pay batch' : 'pending its holding period'}.\nReason: ${adjustment.reason}`,
    });
    return { commissionId, entryId: posted.entryId };
  });
}

/** Records a senior decision (or the approval window's end) on the adjustment, audited. */
export async function recordAdjustmentDecision(database: Database, input: { adjustmentId: string; decision: 'APPROVED' | 'REJECTED' | 'EXPIRED'; actor: AdjustmentActor | null; reason: string | null }): Promise<void> {
  await database.transaction(async (transaction) => {
    const adjustment = await lockAdjustment(transaction, input.adjustmentId);
    if (adjustment.status !== 'AWAITING_APPROVAL') return;
    // An approval keeps the status (posting makes it POSTED); a retried decision finds decided_at set.
    const status = input.decision === 'APPROVED' ? 'AWAITING_APPROVAL' : input.decision;
    const updated = await transaction.query(sql.unsafe`
      UPDATE adjustments SET status = ${status}, decided_by = ${input.actor?.userId ?? null}, decided_at = now(),
                             decision_reason = ${input.reason}
      WHERE id = ${adjustment.id} AND decided_at IS NULL`);
    if (updated.rowCount === 0) return;
    await appendAuditRecord(transaction, {
      action: input.decision === 'APPROVED' ? 'ADJUSTMENT_APPROVE' : 'ADJUSTMENT_REJECT',
      actor: input.actor?.userId ?? 'system:adjustment', targetType: 'adjustment', targetId: adjustment.id,
      amount: formatMoney(adjustment.amount, adjustment.currency), currency: adjustment.currency,
      reason: input.reason ?? (input.decision === 'EXPIRED' ? 'approval window ended' : null),
      ip: input.actor?.ip ?? null,
      details: { decision: input.decision, partnerId: adjustment.partner_id },
    });
  });
}
