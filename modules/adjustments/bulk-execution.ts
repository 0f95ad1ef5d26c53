import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import {
  bulkDirections,
  partnerAccount,
  planBulkItemPostings,
  type AdjustmentActor,
  type BulkDirection,
  type BulkSkipReason,
} from '../../domain/adjustment.ts';
import { DomainError } from '../../domain/errors.ts';
import type { EntryInput } from '../../domain/ledger.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { appendAuditRecord, appendAuditRecords, type AuditRecordInput } from '../audit/audit-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { enqueueNotification, enqueuePartnerNotifications } from '../notifications/outbox.ts';

/**
 * What `bulk-adjustment-<id>` does to the books (docs/rules.md#bulk-adjustments): the approval, the rejection or expiry, the
 * execution chunk by chunk (one transaction per chunk, every item's state checked inside it) and its close. Each
 * writes its audit record in the transaction that changes the bulk adjustment.
 */

const lockedBalanceRow = z.object({ account_id: z.string(), balance: z.string() });
const itemRow = z.object({ seq: z.number(), partner_id: z.string(), amount: z.string(), status: z.string() });
const bulkRow = z.object({
  id: z.string(), direction: z.enum(bulkDirections), currency: z.string(), reason: z.string(), status: z.string(),
  created_by: z.string(), created_role: z.string(), partners: z.number(), processed: z.number(), applied: z.number(),
  skipped: z.number(), applied_total: z.string(), total_impact: z.string(),
});

export interface BulkChunkResult {
  processed: number;
  applied: number;
  skipped: number;
  appliedTotal: string;
}

const bulkSelect = sql.fragment`
  SELECT id, direction, currency, reason, status, created_by::text AS created_by, created_role, partners, processed, applied,
         skipped, applied_total::text AS applied_total, total_impact::text AS total_impact
  FROM bulk_adjustments`;

/** The approval: who approved, audited BULK_ADJUSTMENT_APPROVE; the adjustment is EXECUTING from here on. */
export async function startBulkAdjustmentExecution(database: Database, input: { bulkId: string; actor: AdjustmentActor }): Promise<void> {
  await database.transaction(async (transaction) => {
    const bulk = await transaction.one(sql.type(bulkRow)`${bulkSelect} WHERE id = ${input.bulkId} FOR UPDATE`);
    if (bulk.status !== 'AWAITING_APPROVAL') return;
    await transaction.query(sql.unsafe`
      UPDATE bulk_adjustments SET status = 'EXECUTING', decided_by = ${input.actor.userId}, decided_at = now(), started_at = now()
      WHERE id = ${input.bulkId}`);
    await appendAuditRecord(transaction, {
      action: 'BULK_ADJUSTMENT_APPROVE', actor: input.actor.userId, targetType: 'bulk_adjustment', targetId: bulk.id, ip: input.actor.ip ?? null,
      amount: bulk.total_impact, currency: bulk.currency, reason: bulk.reason, details: { role: input.actor.role, partners: bulk.partners },
    });
  });
}

export async function closeBulkAdjustment(database: Database, input: { bulkId: string; status: 'REJECTED' | 'EXPIRED'; actor: AdjustmentActor | null; reason: string | null }): Promise<void> {
  await database.transaction(async (transaction) => {
    const bulk = await transaction.one(sql.type(bulkRow)`${bulkSelect} WHERE id = ${input.bulkId} FOR UPDATE`);
    if (bulk.status !== 'AWAITING_APPROVAL') return;
    await transaction.query(sql.unsafe`
      UPDATE bulk_adjustments SET status = ${input.status}, decided_by = ${input.actor?.userId ?? null}, decided_at = now(),
                                  decision_reason = ${input.reason}, finished_at = now()
      WHERE id = ${input.bulkId}`);
    await appendAuditRecord(transaction, {
      action: 'BULK_ADJUSTMENT_REJECT', actor: input.actor?.userId ?? 'system:bulk-adjustment', targetType: 'bulk_adjustment', ip: input.actor?.ip ?? null,
      targetId: bulk.id, amount: bulk.total_impact, currency: bulk.currency,
      reason: input.reason ?? 'approval window ended', details: { decision: input.status },
    });
  });
}

/**
 * Executes items [fromSeq, toSeq) in ONE transaction: the items are locked and only PENDING ones move, so a
 * retry after a crash (the first attempt committed or rolled back as a whole) never applies an item twice;
 * each entry also carries the per-partner key `bulk-adjustment-<id>:<partnerId>`.
 */
export async function applyBulkAdjustmentChunk({ database, ledger }: { database: Database; ledger: LedgerStore }, input: { bulkId: string; fromSeq: number; toSeq: number; ip?: string | null }): Promise<BulkChunkResult> {
  return database.transaction(async (transaction) => {
    const bulk = await transaction.one(sql.type(bulkRow)`${bulkSelect} WHERE id = ${input.bulkId}`);
    if (bulk.status !== 'EXECUTING') throw new DomainError('conflict', 'invalid_state', `bulk adjustment ${bulk.id} is ${bulk.status}`, 'status');
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
      balanceBefore: item.before, balanceAfter: item.after, reason: bulk.reason, entryId: posted[index]!.entryId, ip: input.ip ?? null,
      details: { bulkAdjustmentId: bulk.id, direction },
    }));
    await appendAuditRecords(transaction, audits);
    // Every applied partner is told (docs/rules.md#bulk-adjustments), in one statement per chunk.
    await enqueuePartnerNotifications(transaction, 'ADJUSTMENT_POSTED', applied.map((item) => ({
      dedupeKey: `bulk-adjustment:${bulk.id}:${item.partnerId}`,
      partnerId: item.partnerId,
      subject: `Your balance was ${direction === 'ADD' ? 'credited' : 'debited'} ${item.amount} ${currency}`,
      text: `A bulk adjustment ${direction === 'ADD' ? 'added' : 'removed'} ${item.amount} ${currency}.\nReason: ${bulk.reason}`,
    })));
    return { processed: items.length, applied: applied.length, skipped: skipped.length, appliedTotal: total.toFixed() };
  });
}

/**
 * Closes the execution: COMPLETED with its totals, audited BULK_ADJUSTMENT_EXECUTE, and the maker's role told
 * that the results report is ready. Safe to repeat.
 */
export async function finishBulkAdjustment(database: Database, input: { bulkId: string }): Promise<BulkChunkResult> {
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
}
