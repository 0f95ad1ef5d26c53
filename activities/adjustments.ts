import { ApplicationFailure } from '@temporalio/activity';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../db/pool.ts';
import {
  planBulkItemPostings,
  type AdjustmentActor,
  type BulkDirection,
  type BulkSkipReason,
} from '../domain/adjustment.ts';
import type { AccountRef, EntryInput } from '../domain/ledger.ts';
import { Money, formatMoney } from '../domain/money.ts';
import { durationMs } from '../domain/policy.ts';
import { appendAuditRecord, appendAuditRecords, type AuditRecordInput } from '../modules/audit/audit-store.ts';
import { reverseCommissions } from '../modules/commissions/reverse-commissions.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { enqueueNotification } from './notifications.ts';

/**
 * Adjustments' side effects (SPEC section 10): posting a manual commission once, recording approvals, executing a
 * bulk adjustment chunk by chunk (one transaction per chunk, every item's state checked inside it), and clawing a
 * commission back. Each writes its audit record in the transaction that moves the money.
 */

const adjustmentRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  type: z.string(),
  amount: z.string(),
  currency: z.string(),
  commission_status: z.enum(['PENDING', 'APPROVED']),
  reason: z.string(),
  status: z.enum(['AWAITING_APPROVAL', 'POSTED', 'REJECTED', 'EXPIRED']),
  commission_id: z.string().nullable(),
  entry_id: z.string().nullable(),
  policy_version: z.number(),
  created_by: z.string(),
  period: z.string().nullable(),
});

const lockedBalanceRow = z.object({ account_id: z.string(), balance: z.string() });

const partnerAccount = (partnerId: string, bucket: 'commission_pending' | 'commission_approved' | 'available' | 'debt', currency: string): AccountRef => ({
  ownerType: 'partner', ownerId: partnerId, bucket, currency,
});
const adjustmentsAccount = (currency: string): AccountRef => ({ ownerType: 'platform', ownerId: 'platform', bucket: 'adjustments', currency });

/** A refusal retrying cannot cure (the workflow lists it as non-retryable). */
export const adjustmentRefusedType = 'AdjustmentRefused';

export interface PostManualCommissionInput {
  adjustmentId: string;
  /** The policy's `adjustments.manualPendingHold` captured by the workflow: a PENDING commission's hold. */
  pendingHold: string;
  /** Who posted it: the maker (no senior approval needed) or the senior approver. */
  actor: AdjustmentActor;
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
  replayed: boolean;
}

export class ClawbackRefusal extends Error {
  constructor(
    readonly status: 404 | 409 | 422,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
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
 * Claws a commission back, fully or partly, in one transaction (source 000 "Remove Commission (Clawback)"): a
 * reversing entry through reverseCommissions (PENDING/APPROVED out of their bucket, PAID out of `available` with
 * the rest into `debt`), the original marked REVERSED when the whole remaining amount goes, an audited
 * COMMISSION_CLAWBACK, and the partner notified. The clawback row's unique key makes a retry return the first.
 */
export async function clawbackCommission(database: Database, ledger: LedgerStore, input: ClawbackInput): Promise<ClawbackResult> {
  return database.transaction(async (transaction) => {
    const existing = await transaction.maybeOne(sql.type(clawbackRow)`
      SELECT id, commission_id, amount, currency, full_clawback, status_before, entry_id FROM commission_clawbacks
      WHERE idempotency_key = ${input.idempotencyKey}`);
    if (existing) return toClawbackResult(existing, true);
    const commission = await transaction.maybeOne(sql.type(commissionRow)`
      SELECT id, partner_id, amount, reversed_amount, currency, status FROM commissions WHERE id = ${input.commissionId} FOR UPDATE`);
    if (!commission) throw new ClawbackRefusal(404, 'not_found', `no commission ${input.commissionId}`, 'params.id');
    if (commission.status === 'REVERSED') throw new ClawbackRefusal(409, 'invalid_state', `commission ${commission.id} is REVERSED already`, 'status');
    const remaining = new Money(commission.amount).minus(commission.reversed_amount);
    const amount = input.amount === undefined ? remaining : new Money(input.amount);
    if (!amount.gt(0)) throw new ClawbackRefusal(422, 'invalid_amount', 'a clawback takes a positive amount', 'body.amount');
    if (amount.gt(remaining)) {
      throw new ClawbackRefusal(422, 'amount_exceeds_commission', `at most ${formatMoney(remaining, commission.currency)} of commission ${commission.id} is left to claw back`, 'body.amount');
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
}

function toClawbackResult(row: z.infer<typeof clawbackRow>, replayed: boolean): ClawbackResult {
  return {
    clawbackId: row.id, commissionId: row.commission_id, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    full: row.full_clawback, statusBefore: row.status_before, entryId: row.entry_id, replayed,
  };
}

const itemRow = z.object({ seq: z.number(), partner_id: z.string(), amount: z.string(), status: z.string() });
const bulkRow = z.object({
  id: z.string(), direction: z.enum(['ADD', 'REMOVE']), currency: z.string(), reason: z.string(), status: z.string(),
  created_by: z.string(), created_role: z.string(), partners: z.number(), processed: z.number(), applied: z.number(),
  skipped: z.number(), applied_total: z.string(), total_impact: z.string(),
});

export interface BulkChunkResult {
  processed: number;
  applied: number;
  skipped: number;
  appliedTotal: string;
}

export function createAdjustmentActivities({ database, ledger }: { database: Database; ledger: LedgerStore }) {
  const loadAdjustment = (connection: CommonQueryMethods, id: string) => connection.maybeOne(sql.type(adjustmentRow)`
    SELECT id, partner_id, type, amount, currency, commission_status, reason, status, commission_id, entry_id, policy_version,
           created_by, period
    FROM adjustments WHERE id = ${id} FOR UPDATE`);

  return {
    /**
     * Posts the manual commission once: the adjustment row is locked first, so a retry waits for a slow first
     * attempt and then finds it POSTED. PENDING credits `commission_pending` with the policy's hold (the release
     * sweep approves it later); APPROVED credits `commission_approved` (the next pay batch pays it).
     */
    async postManualCommission(input: PostManualCommissionInput): Promise<{ commissionId: string; entryId: string }> {
      return database.transaction(async (transaction) => {
        const adjustment = await loadAdjustment(transaction, input.adjustmentId);
        if (!adjustment) throw ApplicationFailure.nonRetryable(`adjustment ${input.adjustmentId} does not exist`, adjustmentRefusedType);
        if (adjustment.status === 'POSTED') return { commissionId: adjustment.commission_id!, entryId: adjustment.entry_id! };
        if (adjustment.status !== 'AWAITING_APPROVAL') {
          throw ApplicationFailure.nonRetryable(`adjustment ${adjustment.id} is ${adjustment.status}`, adjustmentRefusedType);
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
    },

    /** Records a senior decision (or the approval window's end) on the adjustment, audited. */
    async recordAdjustmentDecision(input: { adjustmentId: string; decision: 'APPROVED' | 'REJECTED' | 'EXPIRED'; actor: AdjustmentActor | null; reason: string | null }): Promise<void> {
      await database.transaction(async (transaction) => {
        const adjustment = await loadAdjustment(transaction, input.adjustmentId);
        if (!adjustment) throw ApplicationFailure.nonRetryable(`adjustment ${input.adjustmentId} does not exist`, adjustmentRefusedType);
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
          details: { decision: input.decision, partnerId: adjustment.partner_id },
        });
      });
    },

    /** The approval: who approved, audited BULK_ADJUSTMENT_APPROVE; the adjustment is EXECUTING from here on. */
    async startBulkAdjustmentExecution(input: { bulkId: string; actor: AdjustmentActor }): Promise<void> {
      await database.transaction(async (transaction) => {
        const bulk = await transaction.one(sql.type(bulkRow)`${bulkSelect} WHERE id = ${input.bulkId} FOR UPDATE`);
        if (bulk.status !== 'AWAITING_APPROVAL') return;
        await transaction.query(sql.unsafe`
          UPDATE bulk_adjustments SET status = 'EXECUTING', decided_by = ${input.actor.userId}, decided_at = now(), started_at = now()
          WHERE id = ${input.bulkId}`);
        await appendAuditRecord(transaction, {
          action: 'BULK_ADJUSTMENT_APPROVE', actor: input.actor.userId, targetType: 'bulk_adjustment', targetId: bulk.id,
          amount: bulk.total_impact, currency: bulk.currency, reason: bulk.reason, details: { role: input.actor.role, partners: bulk.partners },
        });
      });
    },

    async closeBulkAdjustment(input: { bulkId: string; status: 'REJECTED' | 'EXPIRED'; actor: AdjustmentActor | null; reason: string | null }): Promise<void> {
      await database.transaction(async (transaction) => {
        const bulk = await transaction.one(sql.type(bulkRow)`${bulkSelect} WHERE id = ${input.bulkId} FOR UPDATE`);
        if (bulk.status !== 'AWAITING_APPROVAL') return;
        await transaction.query(sql.unsafe`
          UPDATE bulk_adjustments SET status = ${input.status}, decided_by = ${input.actor?.userId ?? null}, decided_at = now(),
                                      decision_reason = ${input.reason}, finished_at = now()
          WHERE id = ${input.bulkId}`);
        await appendAuditRecord(transaction, {
          action: 'BULK_ADJUSTMENT_REJECT', actor: input.actor?.userId ?? 'system:bulk-adjustment', targetType: 'bulk_adjustment',
          targetId: bulk.id, amount: bulk.total_impact, currency: bulk.currency,
          reason: input.reason ?? 'approval window ended', details: { decision: input.status },
        });
      });
    },

    /**
     * Executes items [fromSeq, toSeq) in ONE transaction: the items are locked and only PENDING ones move, so a
     * retry after a crash (the first attempt committed or rolled back as a whole) never applies an item twice;
     * each entry also carries the per-partner key `bulk-adjustment-<id>:<partnerId>`.
     */
    async applyBulkAdjustmentChunk(input: { bulkId: string; fromSeq: number; toSeq: number }): Promise<BulkChunkResult> {
      return database.transaction(async (transaction) => {
        const bulk = await transaction.one(sql.type(bulkRow)`${bulkSelect} WHERE id = ${input.bulkId}`);
        if (bulk.status !== 'EXECUTING') throw ApplicationFailure.nonRetryable(`bulk adjustment ${bulk.id} is ${bulk.status}`, adjustmentRefusedType);
        const items = await transaction.any(sql.type(itemRow)`
          SELECT seq, partner_id, amount, status FROM bulk_adjustment_items
          WHERE bulk_id = ${input.bulkId} AND seq >= ${input.fromSeq} AND seq < ${input.toSeq} AND status = 'PENDING'
          ORDER BY seq FOR UPDATE`);
        if (items.length === 0) return { processed: 0, applied: 0, skipped: 0, appliedTotal: '0' };
        const currency = bulk.currency;
        const direction = bulk.direction as BulkDirection;
        const partnerIds = items.map((item) => item.partner_id);
        const statuses = new Map((await transaction.any(sql.type(z.object({ id: z.string(), status: z.string() }))`
          SELECT id, status FROM partners WHERE id = ANY(${sql.array(partnerIds, 'text')})`)).map((row) => [row.id, row.status]));
        const accounts = partnerIds.flatMap((partnerId) => [partnerAccount(partnerId, 'available', currency), partnerAccount(partnerId, 'debt', currency)]);
        const accountIds = await ledger.accountIds(accounts, transaction);
        const locked = await transaction.any(sql.type(lockedBalanceRow)`
          SELECT account_id, balance FROM lock_account_balances(${sql.array(accountIds, 'int8')})`);
        const balanceOf = new Map(locked.map((row) => [row.account_id, row.balance]));

        const entries: EntryInput[] = [];
        const applied: { seq: number; partnerId: string; amount: string; before: string; after: string }[] = [];
        const skipped: { seq: number; reason: BulkSkipReason }[] = [];
        for (const [index, item] of items.entries()) {
          const available = balanceOf.get(accountIds[index * 2]!) ?? '0';
          const debt = balanceOf.get(accountIds[index * 2 + 1]!) ?? '0';
          const amount = new Money(item.amount);
          if (!amount.gt(0)) { skipped.push({ seq: item.seq, reason: 'ZERO_AMOUNT' }); continue; }
          // Decision: a terminated partner gets nothing more; a suspended one is still adjusted (money is not paid out).
          if (statuses.get(item.partner_id) === 'TERMINATED') { skipped.push({ seq: item.seq, reason: 'PARTNER_NOT_ACTIVE' }); continue; }
          if (direction === 'REMOVE' && new Money(available).lt(amount)) { skipped.push({ seq: item.seq, reason: 'INSUFFICIENT_AVAILABLE' }); continue; }
          const postings = planBulkItemPostings({ partnerId: item.partner_id, direction, amount: item.amount, currency }, { available, debt });
          entries.push({
            idempotencyKey: `bulk-adjustment-${bulk.id}:${item.partner_id}`,
            kind: 'bulk_adjustment',
            description: `bulk adjustment ${bulk.id} (${direction}): ${bulk.reason}`,
            metadata: { bulkAdjustmentId: bulk.id, partnerId: item.partner_id },
            postings,
          });
          const availableDelta = postings.filter((posting) => posting.account.ownerType === 'partner' && posting.account.bucket === 'available')
            .reduce((sum, posting) => sum.plus(posting.amount), new Money(0));
          applied.push({ seq: item.seq, partnerId: item.partner_id, amount: formatMoney(amount, currency), before: formatMoney(available, currency), after: formatMoney(new Money(available).plus(availableDelta), currency) });
        }
        const posted = await ledger.postEntries(entries, transaction);
        const total = applied.reduce((sum, item) => sum.plus(item.amount), new Money(0));
        if (applied.length > 0) {
          await transaction.query(sql.unsafe`
            UPDATE bulk_adjustment_items i SET status = 'APPLIED', applied_amount = u.amount, entry_id = u.entry_id, processed_at = now()
            FROM unnest(${sql.array(applied.map((item) => item.seq), 'int4')}, ${sql.array(applied.map((item) => item.amount), 'numeric')},
                        ${sql.array(posted.map((entry) => entry.entryId), 'int8')}) AS u(seq, amount, entry_id)
            WHERE i.bulk_id = ${bulk.id} AND i.seq = u.seq`);
        }
        if (skipped.length > 0) {
          await transaction.query(sql.unsafe`
            UPDATE bulk_adjustment_items i SET status = 'SKIPPED', skip_reason = u.reason, processed_at = now()
            FROM unnest(${sql.array(skipped.map((item) => item.seq), 'int4')}, ${sql.array(skipped.map((item) => item.reason), 'text')}) AS u(seq, reason)
            WHERE i.bulk_id = ${bulk.id} AND i.seq = u.seq`);
        }
        await transaction.query(sql.unsafe`
          UPDATE bulk_adjustments SET processed = processed + ${items.length}, applied = applied + ${applied.length},
                 skipped = skipped + ${skipped.length}, applied_total = applied_total + ${total.toFixed()}
          WHERE id = ${bulk.id}`);
        const audits: AuditRecordInput[] = applied.map((item, index) => ({
          action: 'BALANCE_ADJUST', actor: bulk.created_by, targetType: 'partner', targetId: item.partnerId,
          amount: direction === 'ADD' ? item.amount : formatMoney(new Money(item.amount).negated(), currency), currency,
          balanceBefore: item.before, balanceAfter: item.after, reason: bulk.reason, entryId: posted[index]!.entryId,
          details: { bulkAdjustmentId: bulk.id, direction },
        }));
        await appendAuditRecords(transaction, audits);
        await notifyPartners(transaction, bulk.id, direction, currency, bulk.reason, applied);
        return { processed: items.length, applied: applied.length, skipped: skipped.length, appliedTotal: total.toFixed() };
      });
    },

    /**
     * Closes the execution: COMPLETED with its totals, audited BULK_ADJUSTMENT_EXECUTE, and the maker's role told
     * that the results report is ready. Safe to repeat.
     */
    async finishBulkAdjustment(input: { bulkId: string }): Promise<BulkChunkResult> {
      return database.transaction(async (transaction) => {
        const bulk = await transaction.one(sql.type(bulkRow)`${bulkSelect} WHERE id = ${input.bulkId} FOR UPDATE`);
        const result = { processed: bulk.processed, applied: bulk.applied, skipped: bulk.skipped, appliedTotal: new Money(bulk.applied_total).toFixed() };
        if (bulk.status === 'COMPLETED') return result;
        // Items skipped at creation (zero amount) were never PENDING; count them in with the rest.
        const counts = await transaction.one(sql.type(z.object({ pending: z.number(), applied: z.number(), skipped: z.number(), total: z.string() }))`
          SELECT count(*) FILTER (WHERE status = 'PENDING')::int AS pending, count(*) FILTER (WHERE status = 'APPLIED')::int AS applied,
                 count(*) FILTER (WHERE status = 'SKIPPED')::int AS skipped, coalesce(sum(applied_amount), 0)::text AS total
          FROM bulk_adjustment_items WHERE bulk_id = ${bulk.id}`);
        if (counts.pending > 0) throw new Error(`bulk adjustment ${bulk.id} still has ${counts.pending} pending item(s)`);
        await transaction.query(sql.unsafe`
          UPDATE bulk_adjustments SET status = 'COMPLETED', finished_at = now(), processed = ${counts.applied + counts.skipped},
                 applied = ${counts.applied}, skipped = ${counts.skipped}, applied_total = ${counts.total}
          WHERE id = ${bulk.id}`);
        await appendAuditRecord(transaction, {
          action: 'BULK_ADJUSTMENT_EXECUTE', actor: 'system:bulk-adjustment', targetType: 'bulk_adjustment', targetId: bulk.id,
          amount: formatMoney(counts.total, bulk.currency), currency: bulk.currency, reason: bulk.reason,
          details: { applied: counts.applied, skipped: counts.skipped, direction: bulk.direction },
        });
        const role = bulk.created_role as AdjustmentActor['role'];
        await enqueueNotification(transaction, {
          dedupeKey: `bulk-adjustment-finished:${bulk.id}`,
          kind: 'BULK_ADJUSTMENT_FINISHED',
          recipient: { kind: 'admin_role', roles: [role] },
          subject: `Bulk adjustment ${bulk.id} finished: ${counts.applied} applied, ${counts.skipped} skipped`,
          text: `Bulk adjustment ${bulk.id} (${bulk.direction}, ${bulk.reason}) finished: ${counts.applied} partner(s) applied ` +
            `(${formatMoney(counts.total, bulk.currency)} ${bulk.currency}), ${counts.skipped} skipped.\n` +
            `Results report: GET /v1/bulk-adjustments/${bulk.id}/report`,
        });
        return { processed: counts.applied + counts.skipped, applied: counts.applied, skipped: counts.skipped, appliedTotal: new Money(counts.total).toFixed() };
      });
    },
  };
}

const bulkSelect = sql.fragment`
  SELECT id, direction, currency, reason, status, created_by::text AS created_by, created_role, partners, processed, applied,
         skipped, applied_total::text AS applied_total, total_impact::text AS total_impact
  FROM bulk_adjustments`;

/**
 * Every applied partner is told (source 000 step 9), in one statement per chunk: the outbox rows of
 * enqueueNotification's shape, addressed to the partner's active logins (none: kept as FAILED, undeliverable).
 */
async function notifyPartners(
  transaction: CommonQueryMethods,
  bulkId: string,
  direction: BulkDirection,
  currency: string,
  reason: string,
  applied: readonly { partnerId: string; amount: string }[],
): Promise<void> {
  if (applied.length === 0) return;
  const subjects = applied.map((item) => `Your balance was ${direction === 'ADD' ? 'credited' : 'debited'} ${item.amount} ${currency}`);
  const bodies = applied.map((item) => `A bulk adjustment ${direction === 'ADD' ? 'added' : 'removed'} ${item.amount} ${currency}.\nReason: ${reason}`);
  await transaction.query(sql.unsafe`
    INSERT INTO notifications (dedupe_key, kind, recipient_kind, partner_id, recipients, subject, body, status, last_error)
    SELECT 'bulk-adjustment:' || ${bulkId} || ':' || u.partner_id, 'ADJUSTMENT_POSTED', 'partner', u.partner_id,
           coalesce(e.emails, '{}'), u.subject, u.body,
           CASE WHEN e.emails IS NULL THEN 'FAILED' ELSE 'PENDING' END,
           CASE WHEN e.emails IS NULL THEN 'undeliverable: partner ' || u.partner_id || ' has no active user login with an email address' END
    FROM unnest(${sql.array(applied.map((item) => item.partnerId), 'text')}, ${sql.array(subjects, 'text')}, ${sql.array(bodies, 'text')})
         AS u(partner_id, subject, body)
    LEFT JOIN (SELECT partner_id, array_agg(email ORDER BY email) AS emails FROM users
               WHERE partner_id = ANY(${sql.array(applied.map((item) => item.partnerId), 'text')}) AND role = 'partner' AND disabled_at IS NULL
               GROUP BY partner_id) e ON e.partner_id = u.partner_id
    ON CONFLICT (dedupe_key) DO NOTHING`);
}

export type AdjustmentActivities = ReturnType<typeof createAdjustmentActivities>;
