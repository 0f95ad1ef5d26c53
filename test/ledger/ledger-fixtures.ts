import pg from 'pg';
import type { AccountRef, EntryInput, PartnerBucket, PlatformBucket } from '../../domain/ledger.ts';
import { Money, currencyScale, formatMoney } from '../../domain/money.ts';

/** Shared arrangements for the ledger tests; not a test file itself. */

export function partnerAccount(partnerId: string, bucket: PartnerBucket = 'available', currency = 'USD'): AccountRef {
  return { ownerType: 'partner', ownerId: partnerId, bucket, currency };
}

export function platformAccount(ownerId: string, bucket: PlatformBucket, currency = 'USD'): AccountRef {
  return { ownerType: 'platform', ownerId, bucket, currency };
}

/** A two-posting entry moving `amount` from one account to another. */
export function transferEntry(
  idempotencyKey: string,
  from: AccountRef,
  to: AccountRef,
  amount: string,
  kind = 'transfer',
): EntryInput {
  return {
    idempotencyKey,
    kind,
    postings: [
      { account: from, amount: new Money(amount).negated().toFixed() },
      { account: to, amount },
    ],
  };
}

/** An amount given in the currency's minor units (cents, yen, satoshi), as a decimal string at its scale. */
export function minorUnits(units: number | bigint, currency: string): string {
  return formatMoney(new Money(units.toString()).dividedBy(new Money(10).pow(currencyScale(currency))), currency);
}

export function accountKeyOf(account: AccountRef): string {
  return `${account.ownerType}:${account.ownerId}:${account.bucket}:${account.currency}`;
}

/** The rejection of a promise that must fail; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to be refused, but it succeeded');
}

/** Counts of the append-only tables, to show a refused operation left no trace. */
export async function historyCounts(client: pg.ClientBase): Promise<{ entries: number; postings: number }> {
  const { rows } = await client.query<{ entries: number; postings: number }>(
    'SELECT (SELECT count(*) FROM journal_entries)::int AS entries, (SELECT count(*) FROM postings)::int AS postings',
  );
  return rows[0]!;
}

/** Cached balance (sum over stripes) of every account, keyed like accountKeyOf, formatted at the currency's scale. */
export async function cachedBalances(client: pg.ClientBase, ownerIdPrefix: string): Promise<Record<string, string>> {
  const { rows } = await client.query<{ key: string; currency: string; balance: string }>(
    `SELECT concat_ws(':', a.owner_type, a.owner_id, a.bucket, a.currency) AS key, a.currency, sum(b.balance)::text AS balance
     FROM accounts a JOIN account_balances b ON b.account_id = a.id
     WHERE a.owner_id LIKE $1 || '%'
     GROUP BY a.id ORDER BY 1`,
    [ownerIdPrefix],
  );
  return Object.fromEntries(rows.map((row) => [row.key, formatMoney(row.balance, row.currency)]));
}
