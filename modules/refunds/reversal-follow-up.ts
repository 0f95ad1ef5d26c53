import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { Money, formatMoney } from '../../domain/money.ts';
import type { PartnerFlag } from '../../domain/partner-flags.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { raisePartnerFlag } from '../partner-flags/partner-flags-store.ts';

/**
 * What follows a reversal of commissions (a refund, an order cancelled before shipping), in the transaction that
 * posted it (docs/rules.md#debt: "Partners notified of reversal", "Debt limit reached: account flagged for review"):
 *
 *  - each partner whose commissions the entry reversed is told (COMMISSIONS_REVERSED), once per source;
 *  - a partner whose `debt` this entry increased and whose debt now reaches the policy's limit gets a DEBT_LIMIT
 *    flag (it holds their payouts through the payout checklist's NO_ACCOUNT_REVIEW check), and the partner and the
 *    finance managers are told (DEBT_LIMIT_REACHED). A partner already under an active DEBT_LIMIT flag gets no
 *    second one (clearing the one flag releases them).
 *
 * It reads what moved from the entry's own postings, so it needs nothing from the caller but the entry.
 */

export interface ReversalFollowUpInput {
  /** The reversal's ledger entry (null: nothing was reversed, nothing follows). */
  entryId: string | null;
  /** policy.debt.limit (commission currency) in force for the lifecycle. */
  debtLimit: string;
  /** 'refund' or 'order-cancel', and that thing's id: flags and notices are keyed by it (retries add nothing). */
  sourceType: string;
  sourceId: string;
  /** What happened, for the notices and the flag's reason ("refund r-1 of order o-9"). */
  description: string;
  actor: string;
}

export interface ReversalFollowUp {
  partners: { partnerId: string; currency: string; reversed: string; toDebt: string; debt: string }[];
  flags: PartnerFlag[];
}

const movedRow = z.object({ partner_id: z.string(), currency: z.string(), reversed: z.string(), to_debt: z.string(), debt: z.string() });

export async function followUpReversal(transaction: CommonQueryMethods, input: ReversalFollowUpInput): Promise<ReversalFollowUp> {
  if (input.entryId === null) return { partners: [], flags: [] };
  // Every partner posting of a reversal takes money back (pending, approved, available, or more debt).
  const moved = await transaction.any(sql.type(movedRow)`
    WITH moved AS (
      SELECT a.owner_id AS partner_id, a.currency, sum(-p.amount) AS reversed,
             sum(CASE WHEN a.bucket = 'debt' THEN -p.amount ELSE 0 END) AS to_debt
      FROM postings p JOIN accounts a ON a.id = p.account_id
      WHERE p.entry_id = ${input.entryId} AND a.owner_type = 'partner'
      GROUP BY a.owner_id, a.currency
    )
    SELECT m.partner_id, m.currency, m.reversed::text AS reversed, m.to_debt::text AS to_debt,
           coalesce((SELECT -sum(b.balance) FROM accounts d JOIN account_balances b ON b.account_id = d.id
                     WHERE d.owner_type = 'partner' AND d.owner_id = m.partner_id AND d.bucket = 'debt' AND d.currency = m.currency), 0)::text AS debt
    FROM moved m ORDER BY m.partner_id, m.currency`);

  const flags: PartnerFlag[] = [];
  for (const row of moved) {
    await enqueueNotification(transaction, {
      dedupeKey: `commissions-reversed:${input.sourceType}:${input.sourceId}:${row.partner_id}:${row.currency}`,
      kind: 'COMMISSIONS_REVERSED',
      recipient: { kind: 'partner', partnerId: row.partner_id },
      subject: `Commissions reversed: ${formatMoney(row.reversed, row.currency)} ${row.currency}`,
      text: `${formatMoney(row.reversed, row.currency)} ${row.currency} of your commissions were reversed: ${input.description}.`
        + (new Money(row.to_debt).gt(0) ? `\n${formatMoney(row.to_debt, row.currency)} ${row.currency} exceeded your available balance and is recorded as debt; later commissions repay it first.` : ''),
    });
    if (!new Money(row.to_debt).gt(0) || new Money(row.debt).lt(input.debtLimit)) continue;
    const active = await transaction.exists(sql.unsafe`
      SELECT 1 FROM partner_flags WHERE partner_id = ${row.partner_id} AND kind = 'DEBT_LIMIT' AND cleared_at IS NULL`);
    if (active) continue;
    const debt = `${formatMoney(row.debt, row.currency)} ${row.currency}`;
    const reason = `debt ${debt} reached the limit ${input.debtLimit} after ${input.description}`;
    const { flag, raised } = await raisePartnerFlag(transaction, {
      partnerId: row.partner_id, kind: 'DEBT_LIMIT', sourceType: input.sourceType, sourceId: `${input.sourceId}:${row.partner_id}`,
      reason, actor: input.actor,
    });
    if (!raised) continue;
    flags.push(flag);
    await enqueueNotification(transaction, {
      dedupeKey: `debt-limit:${flag.id}:partner`,
      kind: 'DEBT_LIMIT_REACHED',
      recipient: { kind: 'partner', partnerId: row.partner_id },
      subject: `Your debt reached ${debt}: payouts are on hold`,
      text: `Your debt is ${debt}, at or above the limit of ${input.debtLimit}. Your account is under review and your payouts are held until it is cleared. Later commissions repay the debt first.`,
    });
    await enqueueNotification(transaction, {
      dedupeKey: `debt-limit:${flag.id}:finance`,
      kind: 'DEBT_LIMIT_REACHED',
      recipient: { kind: 'admin_role', roles: ['finance_manager'] },
      subject: `Partner ${row.partner_id} reached the debt limit (${debt})`,
      text: `Partner ${row.partner_id} owes ${debt} (limit ${input.debtLimit}) after ${input.description}. A DEBT_LIMIT flag (${flag.id}) holds their payouts until a senior admin or finance manager clears it.`,
    });
  }
  return {
    partners: moved.map((row) => ({ partnerId: row.partner_id, currency: row.currency, reversed: row.reversed, toDebt: row.to_debt, debt: row.debt })),
    flags,
  };
}
