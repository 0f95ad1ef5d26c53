import { sql } from 'slonik';
import { z } from 'zod';
import { planBonusPostings, type BonusRequest } from '../../domain/bonus.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { partnerExists } from '../partners/partner-store.ts';

const lockedBonusRow = z.object({ status: z.string(), entry_id: z.string().nullable() });
const lockedBalanceRow = z.object({ account_id: z.string(), balance: z.string() });

/**
 * Posts the bonus and its audit record in one transaction. The bonus row is locked first, so a retry that
 * races a slow first attempt waits for it and then sees COMPLETED; the partner's `available` and `debt`
 * rows are locked before they are read, so the split between them is computed on balances nobody else
 * can change before the entry commits. A bonus or partner that does not exist is refused (not_found:
 * `bonus_not_found`, `partner_not_found`); retrying cannot cure either.
 */
export async function postBonus(ledger: LedgerStore, request: BonusRequest): Promise<{ entryId: string }> {
  const database = ledger.database;
  const partnerAccounts = (['available', 'debt'] as const).map(
    (bucket) => ({ ownerType: 'partner', ownerId: request.partnerId, bucket, currency: request.currency }) as const,
  );
  return database.transaction(async (transaction) => {
    const bonus = await transaction.maybeOne(sql.type(lockedBonusRow)`
      SELECT status, entry_id FROM bonuses WHERE id = ${request.bonusId} FOR UPDATE`);
    if (!bonus) throw new DomainError('not_found', 'bonus_not_found', `bonus ${request.bonusId} does not exist`);
    if (bonus.status === 'COMPLETED' && bonus.entry_id) return { entryId: bonus.entry_id };
    // Four eyes (docs/rules.md#four-eyes): a bonus waiting for its checker, or refused by one, never posts.
    if (bonus.status !== 'PENDING') {
      throw new DomainError('conflict', 'bonus_not_approved', `bonus ${request.bonusId} is ${bonus.status}; only an approved (PENDING) bonus posts`, 'status');
    }
    if (!(await partnerExists(transaction, request.partnerId))) {
      throw new DomainError('not_found', 'partner_not_found', `partner ${request.partnerId} does not exist`);
    }

    const accountIds = await ledger.accountIds([...partnerAccounts], transaction);
    const locked = await transaction.any(sql.type(lockedBalanceRow)`
      SELECT account_id, balance FROM lock_account_balances(${sql.array(accountIds, 'int8')})`);
    const balanceOf = (bucket: 'available' | 'debt') =>
      locked.find((row) => row.account_id === accountIds[bucket === 'available' ? 0 : 1])?.balance ?? '0';
    const before = { available: balanceOf('available'), debt: balanceOf('debt') };
    const postings = planBonusPostings(request, before);
    const posted = await ledger.postEntry(
      {
        idempotencyKey: `bonus-${request.bonusId}`,
        kind: 'bonus',
        description: request.reason,
        metadata: { bonusId: request.bonusId, partnerId: request.partnerId },
        postings,
      },
      transaction,
    );
    const delta = (bucket: string) =>
      postings.filter((posting) => posting.account.bucket === bucket).reduce((sum, posting) => sum.plus(posting.amount), new Money(0));
    await appendAuditRecord(transaction, {
      action: 'BONUS_POST',
      actor: request.actorUserId,
      targetType: 'partner',
      targetId: request.partnerId,
      amount: request.amount,
      currency: request.currency,
      balanceBefore: formatMoney(before.available, request.currency),
      balanceAfter: formatMoney(new Money(before.available).plus(delta('available')), request.currency),
      reason: request.reason,
      ip: request.ip,
      entryId: posted.entryId,
      details: {
        bonusId: request.bonusId,
        debtBefore: formatMoney(new Money(before.debt).negated(), request.currency),
        debtAfter: formatMoney(new Money(before.debt).plus(delta('debt')).negated(), request.currency),
      },
    });
    await transaction.query(sql.unsafe`
      UPDATE bonuses SET status = 'COMPLETED', entry_id = ${posted.entryId}, completed_at = now()
      WHERE id = ${request.bonusId}`);
    return { entryId: posted.entryId };
  });
}
