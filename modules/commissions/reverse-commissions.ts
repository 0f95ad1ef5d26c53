import Decimal from 'decimal.js';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { commissionPartnerAccount, commissionPlatformAccount } from '../../domain/commission.ts';
import type { PostingInput } from '../../domain/ledger.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { appendAuditRecords, type AuditRecordInput } from '../audit/audit-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';

const reversibleRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  amount: z.string(),
  currency: z.string(),
  status: z.enum(['PENDING', 'APPROVED', 'PAID', 'REVERSED']),
  source_type: z.string(),
});

/**
 * Reverses commissions at once, by status (docs/rules.md#reversal-by-status): PENDING out of `commission_pending`, APPROVED out of
 * `commission_approved`, PAID clawed back from `available` with the rest recorded as `debt`. `fraction` (refund /
 * order total) reverses part of each commission, floored to cents (ROUND_FLOOR); a partial reversal keeps the
 * commission's status. One entry for all of them, under the caller's idempotency key, in the caller's transaction.
 */
export async function reverseCommissions(
  transaction: CommonQueryMethods,
  ledger: LedgerStore,
  request: { commissionIds: string[]; idempotencyKey: string; reason: string; actor: string; fraction?: { refund: string; total: string } },
): Promise<{ entryId: string | null; count: number; total: string }> {
  if (request.commissionIds.length === 0) return { entryId: null, count: 0, total: '0' };
  const rows = await transaction.any(sql.type(reversibleRow)`
    SELECT id, partner_id, amount - reversed_amount AS amount, currency, status, source_type FROM commissions
    WHERE id = ANY(${sql.array(request.commissionIds, 'int8')}) AND status <> 'REVERSED'
    ORDER BY id FOR UPDATE`);
  // Partial: the share of the ORIGINAL amount (docs/rules.md#proportional-reversal: 1,000 × 0.25 = 250), capped by what is left.
  const originals = new Map((await transaction.any(sql.type(z.object({ id: z.string(), amount: z.string() }))`
    SELECT id, amount FROM commissions WHERE id = ANY(${sql.array(rows.map((row) => row.id), 'int8')})`)).map((row) => [row.id, row.amount]));
  const amounts = rows.map((row) =>
    request.fraction
      ? Money.min(new Money(row.amount), new Money(originals.get(row.id)!).times(request.fraction.refund).div(request.fraction.total).toDecimalPlaces(2, Decimal.ROUND_FLOOR))
      : new Money(row.amount),
  );
  const targets = rows.map((row, index) => ({ row, amount: amounts[index]! })).filter((target) => target.amount.gt(0));
  if (targets.length === 0) return { entryId: null, count: 0, total: '0' };

  // PAID commissions come back out of `available`; lock it (and debt) before reading what is there.
  const paid = targets.filter((target) => target.row.status === 'PAID');
  const available = new Map<string, Money>();
  if (paid.length > 0) {
    const keys = [...new Set(paid.map((target) => `${target.row.partner_id}|${target.row.currency}`))];
    const accounts = keys.map((key) => { const [partnerId, currency] = key.split('|') as [string, string]; return commissionPartnerAccount(partnerId, 'available', currency); });
    const ids = await ledger.accountIds(accounts, transaction);
    const locked = await transaction.any(sql.type(z.object({ account_id: z.string(), balance: z.string() }))`
      SELECT account_id, balance FROM lock_account_balances(${sql.array(ids, 'int8')})`);
    for (const [index, key] of keys.entries()) available.set(key, new Money(locked.find((row) => row.account_id === ids[index])?.balance ?? '0'));
  }

  const postings: PostingInput[] = [];
  const platformTotals = new Map<string, Money>();
  const audits: AuditRecordInput[] = [];
  for (const { row, amount } of targets) {
    const currency = row.currency;
    const text = formatMoney(amount, currency);
    const source = row.source_type === 'PORTFOLIO_YIELD' ? 'portfolio_returns' : 'commission_expense';
    platformTotals.set(`${source}|${currency}`, (platformTotals.get(`${source}|${currency}`) ?? new Money(0)).plus(amount));
    if (row.status === 'PENDING' || row.status === 'APPROVED') {
      postings.push({ account: commissionPartnerAccount(row.partner_id, row.status === 'PENDING' ? 'commission_pending' : 'commission_approved', currency), amount: formatMoney(amount.negated(), currency) });
    } else {
      const key = `${row.partner_id}|${currency}`;
      const there = available.get(key)!;
      const fromAvailable = Money.min(there, amount);
      const toDebt = amount.minus(fromAvailable);
      available.set(key, there.minus(fromAvailable));
      if (fromAvailable.gt(0)) postings.push({ account: commissionPartnerAccount(row.partner_id, 'available', currency), amount: formatMoney(fromAvailable.negated(), currency) });
      if (toDebt.gt(0)) postings.push({ account: commissionPartnerAccount(row.partner_id, 'debt', currency), amount: formatMoney(toDebt.negated(), currency) });
    }
    audits.push({
      action: row.status === 'PAID' ? 'COMMISSION_CLAWBACK' : 'COMMISSION_REVERSE', actor: request.actor,
      targetType: 'commission', targetId: row.id, amount: text, currency, reason: request.reason,
      details: { statusBefore: row.status, partial: request.fraction !== undefined },
    });
  }
  for (const [key, total] of platformTotals) {
    const [bucket, currency] = key.split('|') as ['commission_expense' | 'portfolio_returns', string];
    postings.push({ account: commissionPlatformAccount(bucket, currency), amount: formatMoney(total, currency) });
  }
  const entry = await ledger.postEntry({ idempotencyKey: request.idempotencyKey, kind: 'commission_reversal', description: request.reason, metadata: { commissionIds: targets.map((target) => target.row.id) }, postings }, transaction);
  for (const audit of audits) audit.entryId = entry.entryId;
  await appendAuditRecords(transaction, audits);
  if (!request.fraction) {
    await transaction.query(sql.unsafe`
      UPDATE commissions SET status = 'REVERSED', reversed_at = now(), reverse_entry_id = ${entry.entryId},
             reversed_amount = amount, reversal_reason = ${request.reason}
      WHERE id = ANY(${sql.array(targets.map((target) => target.row.id), 'int8')})`);
  } else {
    // A partial reversal keeps the status; what remains is what the release and the pay batch move on.
    await transaction.query(sql.unsafe`
      UPDATE commissions c SET reversed_amount = c.reversed_amount + u.amount, reversal_reason = ${request.reason}
      FROM unnest(${sql.array(targets.map((target) => target.row.id), 'int8')}, ${sql.array(targets.map((target) => target.amount.toFixed()), 'numeric')}) AS u(id, amount)
      WHERE c.id = u.id`);
  }
  const total = targets.reduce((sum, target) => sum.plus(target.amount), new Money(0));
  return { entryId: entry.entryId, count: targets.length, total: total.toFixed() };
}
