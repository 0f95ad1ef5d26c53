import pg from 'pg';
import { expect } from 'vitest';

/**
 * The ledger's invariants, checked with SQL over the whole database (docs/style.md#tests: "assert invariants after every
 * scenario"). Give it the owner URL of a test database, or a connected client (owner or application role; both
 * may read every table involved). Every failure message names the offending entries or accounts.
 *
 *   (i)   every journal entry has at least two postings and sums to zero in each currency; each posting is in
 *         its account's currency and within that currency's scale
 *   (ii)  each account's cached balance (the sum over its stripes in account_balances) equals the sum of its
 *         postings, and it has exactly `stripes` balance rows carrying the account's limits
 *   (iii) no constrained account is outside its limits (min_balance / max_balance)
 *   (iv)  the whole ledger sums to zero in each currency, over postings and over cached balances alike
 */
export async function assertLedgerInvariants(target: string | pg.ClientBase): Promise<void> {
  if (typeof target === 'string') {
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    try {
      await checkInvariants(client);
    } finally {
      await client.end();
    }
    return;
  }
  await checkInvariants(target);
}

async function checkInvariants(client: pg.ClientBase): Promise<void> {
  // One snapshot for every check, so a writer committing between two queries cannot make them disagree.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const query = async (text: string) => (await client.query(text)).rows as Record<string, unknown>[];

    // (i) Entries with fewer than two postings (a LEFT JOIN, so an entry with none is caught too).
    const thinEntries = await query(`
      SELECT e.id AS entry_id, e.idempotency_key, count(p.entry_id)::int AS postings
      FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id
      GROUP BY e.id, e.idempotency_key
      HAVING count(p.entry_id) < 2
      ORDER BY e.id`);
    expect(thinEntries, `journal entries with fewer than 2 postings: ${describe(thinEntries)}`).toEqual([]);

    // (i) Entries that do not sum to zero in some currency.
    const unbalancedEntries = await query(`
      SELECT p.entry_id, p.currency, sum(p.amount)::text AS total
      FROM postings p
      GROUP BY p.entry_id, p.currency
      HAVING sum(p.amount) <> 0
      ORDER BY p.entry_id, p.currency`);
    expect(unbalancedEntries, `journal entries not summing to zero per currency: ${describe(unbalancedEntries)}`).toEqual([]);

    // (i) Postings in another currency than their account's, or finer than the currency's scale, or zero.
    const malformedPostings = await query(`
      SELECT p.entry_id, p.line, p.account_id, p.currency, a.currency AS account_currency, p.amount::text AS amount
      FROM postings p
      JOIN accounts a ON a.id = p.account_id
      JOIN currencies c ON c.code = a.currency
      WHERE p.currency <> a.currency OR p.amount <> round(p.amount, c.scale) OR p.amount = 0
      ORDER BY p.entry_id, p.line`);
    expect(malformedPostings, `postings in the wrong currency, finer than its scale, or zero: ${describe(malformedPostings)}`).toEqual([]);

    // (ii) Cached balance = sum of postings, per account.
    const driftedAccounts = await query(`
      SELECT a.id AS account_id, concat_ws(':', a.owner_type, a.owner_id, a.bucket, a.currency) AS account,
             coalesce(b.cached, 0)::text AS cached_balance, coalesce(p.posted, 0)::text AS sum_of_postings
      FROM accounts a
      LEFT JOIN (SELECT account_id, sum(balance) AS cached FROM account_balances GROUP BY account_id) b ON b.account_id = a.id
      LEFT JOIN (SELECT account_id, sum(amount) AS posted FROM postings GROUP BY account_id) p ON p.account_id = a.id
      WHERE coalesce(b.cached, 0) <> coalesce(p.posted, 0)
      ORDER BY a.id`);
    expect(driftedAccounts, `accounts whose cached balance differs from the sum of their postings: ${describe(driftedAccounts)}`).toEqual([]);

    // (ii) Each account has one balance row per stripe, each carrying the account's limits.
    const misshapenBalances = await query(`
      SELECT a.id AS account_id, concat_ws(':', a.owner_type, a.owner_id, a.bucket, a.currency) AS account,
             a.stripes, count(b.stripe)::int AS balance_rows,
             count(*) FILTER (WHERE b.min_balance IS DISTINCT FROM a.min_balance OR b.max_balance IS DISTINCT FROM a.max_balance
                                    OR b.stripe NOT BETWEEN 0 AND a.stripes - 1)::int AS rows_with_wrong_limits_or_stripe
      FROM accounts a LEFT JOIN account_balances b ON b.account_id = a.id
      GROUP BY a.id
      HAVING count(b.stripe) <> a.stripes
          OR count(*) FILTER (WHERE b.min_balance IS DISTINCT FROM a.min_balance OR b.max_balance IS DISTINCT FROM a.max_balance
                                    OR b.stripe NOT BETWEEN 0 AND a.stripes - 1) > 0
      ORDER BY a.id`);
    expect(misshapenBalances, `accounts whose balance rows do not match their stripes or limits: ${describe(misshapenBalances)}`).toEqual([]);

    // (iii) Constrained accounts within their limits, judged on the sum of postings (the source of truth) and on
    // the cached balance.
    const outsideLimits = await query(`
      SELECT a.id AS account_id, concat_ws(':', a.owner_type, a.owner_id, a.bucket, a.currency) AS account,
             a.min_balance::text AS min_balance, a.max_balance::text AS max_balance,
             coalesce(p.posted, 0)::text AS sum_of_postings, coalesce(b.cached, 0)::text AS cached_balance
      FROM accounts a
      LEFT JOIN (SELECT account_id, sum(balance) AS cached FROM account_balances GROUP BY account_id) b ON b.account_id = a.id
      LEFT JOIN (SELECT account_id, sum(amount) AS posted FROM postings GROUP BY account_id) p ON p.account_id = a.id
      WHERE (a.min_balance IS NOT NULL AND (coalesce(p.posted, 0) < a.min_balance OR coalesce(b.cached, 0) < a.min_balance))
         OR (a.max_balance IS NOT NULL AND (coalesce(p.posted, 0) > a.max_balance OR coalesce(b.cached, 0) > a.max_balance))
      ORDER BY a.id`);
    expect(outsideLimits, `constrained accounts outside their limits: ${describe(outsideLimits)}`).toEqual([]);

    // (iv) The whole ledger sums to zero per currency: postings, and cached balances.
    const unbalancedCurrencies = await query(`
      SELECT 'postings' AS source, currency, sum(amount)::text AS total FROM postings GROUP BY currency HAVING sum(amount) <> 0
      UNION ALL
      SELECT 'account_balances', a.currency, sum(b.balance)::text
      FROM account_balances b JOIN accounts a ON a.id = b.account_id
      GROUP BY a.currency HAVING sum(b.balance) <> 0
      ORDER BY 1, 2`);
    expect(unbalancedCurrencies, `currencies in which the ledger does not sum to zero: ${describe(unbalancedCurrencies)}`).toEqual([]);
  } finally {
    await client.query('ROLLBACK');
  }
}

function describe(rows: Record<string, unknown>[]): string {
  return rows.map((row) => JSON.stringify(row)).join('; ');
}
