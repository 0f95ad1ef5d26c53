import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { EntryInput } from '../../domain/ledger.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { appendAuditRecords } from '../audit/audit-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { commissionExcludedFromPayment, lockPaymentExclusionsShared } from '../ops/payment-exclusions-store.ts';

/**
 * The hold's end and the pay batch (docs/rules.md#release-and-pay-batch), as sweeps over the commissions table instead of a timer
 * per commission: a partial index finds what is due, so millions of commissions in their hold cost nothing
 * until their day. Each batch locks its rows (SKIP LOCKED, so sweeps may overlap), posts, and flips their
 * status in ONE transaction: a crash before the commit leaves the rows due for the next sweep, a crash after
 * leaves them done. Nothing is lost or moved twice, whenever and however often the sweep runs.
 */

const dueRow = z.object({ id: z.string(), partner_id: z.string(), amount: z.string(), currency: z.string() });

export interface ReleaseResult {
  approved: number;
  total: string;
  batches: number;
}

export interface PayBatchResult {
  batchId: string;
  partners: number;
  commissions: number;
  total: string;
  debtRepaid: string;
}

/** Reports progress after each committed batch; the activity adapter passes Temporal's heartbeat. */
export type ReleaseHeartbeat = (details: unknown) => void;

export class CommissionRelease {
  constructor(
    readonly database: Database,
    readonly ledger: LedgerStore,
    // Called outside an activity (a test, a benchmark) there is no one to report progress to.
    readonly heartbeat: ReleaseHeartbeat = () => {},
  ) {}

  /** PENDING → APPROVED for every commission whose hold ended at or before `asOf`. */
  async releaseDue(asOf: Date, batchSize = 2_000, actor = 'system:commission-release'): Promise<ReleaseResult> {
    let approved = 0;
    let total = new Money(0);
    let batches = 0;
    for (;;) {
      const batch = await this.database.transaction(async (transaction) => {
        const rows = await transaction.any(sql.type(dueRow)`
          SELECT id, partner_id, amount - reversed_amount AS amount, currency FROM commissions
          WHERE status = 'PENDING' AND release_at <= ${asOf.toISOString()}
          ORDER BY release_at, id LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED`);
        if (rows.length === 0) return rows;
        const moving = rows.filter((row) => new Money(row.amount).gt(0));
        const entries: EntryInput[] = moving.map((row) => ({
          idempotencyKey: `commission-approve:${row.id}`,
          kind: 'commission_approval',
          description: `hold ended for commission ${row.id}`,
          metadata: { commissionId: row.id },
          postings: [
            { account: { ownerType: 'partner', ownerId: row.partner_id, bucket: 'commission_pending', currency: row.currency }, amount: formatMoney(new Money(row.amount).negated(), row.currency) },
            { account: { ownerType: 'partner', ownerId: row.partner_id, bucket: 'commission_approved', currency: row.currency }, amount: formatMoney(row.amount, row.currency) },
          ],
        }));
        const posted = await this.ledger.postEntries(entries, transaction);
        const entryOf = new Map(moving.map((row, index) => [row.id, posted[index]!.entryId]));
        await transaction.query(sql.unsafe`
          UPDATE commissions c SET status = 'APPROVED', approved_at = now(), approve_entry_id = u.entry_id
          FROM unnest(${sql.array(rows.map((row) => row.id), 'int8')}, ${sql.array(rows.map((row) => entryOf.get(row.id) ?? null), 'int8')}) AS u(id, entry_id)
          WHERE c.id = u.id`);
        await appendAuditRecords(transaction, moving.map((row) => ({
          action: 'COMMISSION_APPROVE' as const, actor, targetType: 'commission', targetId: row.id, amount: row.amount,
          currency: row.currency, entryId: entryOf.get(row.id)!, reason: 'holding period over',
        })));
        return rows;
      });
      if (batch.length === 0) break;
      batches += 1;
      approved += batch.length;
      total = batch.reduce((sum, row) => sum.plus(row.amount), total);
      this.heartbeat({ approved });
      if (batch.length < batchSize) break;
    }
    return { approved, total: total.toFixed(), batches };
  }

  /**
   * APPROVED → PAID: per partner, the sum moves from `commission_approved` to `available`, repaying outstanding
   * `debt` first (the decision in docs/rules.md#debt). `key` names the run (its workflow id): a retried activity carries
   * on with the same batch.
   */
  async payBatch(key: string, asOf: Date, partnersPerTransaction = 500, actor = 'system:pay-batch'): Promise<PayBatchResult> {
    const batchId = await this.database.oneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO pay_batches (key, as_of, started_by) VALUES (${key}, ${asOf.toISOString()}, ${actor})
      ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
      RETURNING id`);
    for (;;) {
      const done = await this.database.transaction(async (transaction) => {
        // docs/rules.md#payment-exclusions: commissions covered by an active payments exclusion stay APPROVED; both queries skip them, so
        // a partner with nothing else approved is not picked again and the loop ends.
        await lockPaymentExclusionsShared(transaction);
        const partners = await transaction.anyFirst(sql.type(z.object({ partner_id: z.string() }))`
          SELECT DISTINCT partner_id FROM commissions
          WHERE status = 'APPROVED' AND approved_at <= ${asOf.toISOString()}
            AND NOT ${commissionExcludedFromPayment('commissions')}
          ORDER BY partner_id LIMIT ${partnersPerTransaction}`);
        if (partners.length === 0) return true;
        const rows = await transaction.any(sql.type(dueRow)`
          SELECT id, partner_id, amount - reversed_amount AS amount, currency FROM commissions
          WHERE status = 'APPROVED' AND approved_at <= ${asOf.toISOString()}
            AND partner_id = ANY(${sql.array([...partners], 'text')})
            AND NOT ${commissionExcludedFromPayment('commissions')}
          ORDER BY id FOR UPDATE SKIP LOCKED`);
        if (rows.length === 0) return true;
        const groups = new Map<string, (typeof rows)[number][]>();
        for (const row of rows) {
          const group = groups.get(`${row.partner_id}|${row.currency}`) ?? [];
          group.push(row);
          groups.set(`${row.partner_id}|${row.currency}`, group);
        }
        const keys = [...groups.keys()];
        const debtAccounts = keys.map((groupKey) => {
          const [partnerId, currency] = groupKey.split('|') as [string, string];
          return { ownerType: 'partner' as const, ownerId: partnerId, bucket: 'debt' as const, currency };
        });
        const debtIds = await this.ledger.accountIds(debtAccounts, transaction);
        const locked = await transaction.any(sql.type(z.object({ account_id: z.string(), balance: z.string() }))`
          SELECT account_id, balance FROM lock_account_balances(${sql.array(debtIds, 'int8')})`);
        const debtOf = new Map(locked.map((row) => [row.account_id, new Money(row.balance)]));

        const entries: EntryInput[] = [];
        const summaries: { partnerId: string; currency: string; total: Money; repaid: Money; ids: string[] }[] = [];
        for (const [index, groupKey] of keys.entries()) {
          const [partnerId, currency] = groupKey.split('|') as [string, string];
          const group = groups.get(groupKey)!;
          const total = group.reduce((sum, row) => sum.plus(row.amount), new Money(0));
          const owed = (debtOf.get(debtIds[index]!) ?? new Money(0)).negated();
          const repaid = Money.min(owed, total);
          const toAvailable = total.minus(repaid);
          if (total.lte(0)) {
            summaries.push({ partnerId, currency, total, repaid, ids: group.map((row) => row.id) });
            continue;
          }
          entries.push({
            idempotencyKey: `commission-pay:${batchId}:${partnerId}:${currency}:${group[0]!.id}`,
            kind: 'commission_payment',
            description: `pay batch ${batchId}: ${group.length} commission(s)`,
            metadata: { payBatchId: batchId, commissionIds: group.map((row) => row.id) },
            postings: [
              { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'commission_approved', currency }, amount: formatMoney(total.negated(), currency) },
              ...(repaid.gt(0) ? [{ account: { ownerType: 'partner' as const, ownerId: partnerId, bucket: 'debt' as const, currency }, amount: formatMoney(repaid, currency) }] : []),
              ...(toAvailable.gt(0) ? [{ account: { ownerType: 'partner' as const, ownerId: partnerId, bucket: 'available' as const, currency }, amount: formatMoney(toAvailable, currency) }] : []),
            ],
          });
          summaries.push({ partnerId, currency, total, repaid, ids: group.map((row) => row.id) });
        }
        const posted = await this.ledger.postEntries(entries, transaction);
        const entryByPartner = new Map<string, string>();
        let position = 0;
        for (const summary of summaries) if (summary.total.gt(0)) entryByPartner.set(`${summary.partnerId}|${summary.currency}`, posted[position++]!.entryId);
        const ids = summaries.flatMap((summary) => summary.ids);
        const entryIds = summaries.flatMap((summary) => summary.ids.map(() => entryByPartner.get(`${summary.partnerId}|${summary.currency}`) ?? null));
        await transaction.query(sql.unsafe`
          UPDATE commissions c SET status = 'PAID', paid_at = now(), pay_batch_id = ${batchId}, pay_entry_id = u.entry_id
          FROM unnest(${sql.array(ids, 'int8')}, ${sql.array(entryIds, 'int8')}) AS u(id, entry_id)
          WHERE c.id = u.id`);
        await appendAuditRecords(transaction, summaries.filter((summary) => summary.total.gt(0)).map((summary) => ({
          action: 'COMMISSION_PAY' as const, actor, targetType: 'partner', targetId: summary.partnerId,
          amount: formatMoney(summary.total, summary.currency), currency: summary.currency,
          entryId: entryByPartner.get(`${summary.partnerId}|${summary.currency}`)!,
          reason: `pay batch ${batchId}`,
          details: { commissions: summary.ids.length, debtRepaid: formatMoney(summary.repaid, summary.currency) },
        })));
        const total = summaries.reduce((sum, summary) => sum.plus(summary.total), new Money(0));
        const repaid = summaries.reduce((sum, summary) => sum.plus(summary.repaid), new Money(0));
        await transaction.query(sql.unsafe`
          UPDATE pay_batches SET partners = partners + ${summaries.length}, commissions = commissions + ${ids.length},
                 total = total + ${total.toFixed()}, debt_repaid = debt_repaid + ${repaid.toFixed()}
          WHERE id = ${batchId}`);
        this.heartbeat({ batchId });
        return false;
      });
      if (done) break;
    }
    const summary = await this.database.one(sql.type(z.object({ partners: z.number(), commissions: z.number(), total: z.string(), debt_repaid: z.string() }))`
      UPDATE pay_batches SET finished_at = coalesce(finished_at, now()) WHERE id = ${batchId}
      RETURNING partners, commissions, total, debt_repaid`);
    return { batchId, partners: summary.partners, commissions: summary.commissions, total: summary.total, debtRepaid: summary.debt_repaid };
  }
}
