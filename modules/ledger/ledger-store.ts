import { createHash } from 'node:crypto';
import { sql, type CommonQueryMethods, CheckIntegrityConstraintViolationError } from 'slonik';
import { z } from 'zod';
import {
  accountKey,
  accountLimits,
  partnerBuckets,
  validateEntry,
  type AccountRef,
  type EntryInput,
  type PartnerBucket,
  LedgerInputError,
} from '../../domain/ledger.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { prepared, type Database } from '../../db/pool.ts';

export class InsufficientFundsError extends Error {
  readonly code = 'insufficient_funds';
  constructor(readonly accountId: string) {
    super(`the posting would take account ${accountId} past its limit`);
  }
}

export class IdempotencyConflictError extends Error {
  readonly code = 'idempotency_conflict';
  constructor(readonly idempotencyKey: string) {
    super(`idempotency key ${idempotencyKey} was already used with a different input`);
  }
}

export interface PostedEntry {
  entryId: string;
  /** False when the idempotency key already existed with the same input: nothing was posted this time. */
  created: boolean;
  createdAt: Date;
}

const accountRow = z.object({ id: z.string(), key: z.string() });
const postedRow = z.object({ entry_index: z.number(), entry_id: z.string(), created: z.boolean(), created_at: z.date() });
const postedEntryRow = z.object({ entry_id: z.string(), created: z.boolean(), created_at: z.date() });
const balanceRow = z.object({ currency: z.string(), bucket: z.string(), balance: z.string() });
const postingRow = z.object({
  entry_id: z.string(),
  line: z.number(),
  kind: z.string(),
  description: z.string(),
  bucket: z.string(),
  currency: z.string(),
  amount: z.string(),
  created_at: z.date(),
  /** The exact (microsecond) timestamp, for keyset pagination; a JS Date keeps only milliseconds. */
  cursor_time: z.string(),
});

export type PartnerBalances = { currency: string } & Record<PartnerBucket, string>;

/** SHA-256 of a canonical JSON form of the entry: the same business input always hashes the same. */
export function entryInputHash(entry: EntryInput): Buffer {
  const canonical = JSON.stringify([
    entry.kind,
    entry.description ?? '',
    entry.metadata ?? {},
    entry.reversesEntryId ?? null,
    entry.postings.map((posting) => [accountKey(posting.account), new Money(posting.amount).toFixed()]),
  ]);
  return createHash('sha256').update(canonical).digest();
}

/**
 * The ledger's write and read paths. Every write goes through `post_entry` (one entry, migration 023) or
 * `post_entries` (a batch, migration 001): each checks its entries before writing them, inserts the entry and its
 * postings and moves the cached balances in one call; the CHECK on the balance rows enforces the account limits.
 */
export class LedgerStore {
  /** Accounts never change once created, so their ids are cached for the life of the process. */
  readonly #accountIds = new Map<string, string>();
  /** Per caller's transaction (its connection object): the accounts this store created in it, not yet committed. */
  readonly #createdInTransaction = new WeakMap<object, Set<string>>();

  constructor(readonly database: Database) {}

  /**
   * Ids of the accounts, creating the missing ones on the given connection. Inside a caller's transaction an
   * account created there may still roll back, so only ids that were already committed are cached.
   */
  async accountIds(accounts: AccountRef[], connection: CommonQueryMethods = this.database): Promise<string[]> {
    const missing = [
      ...new Map(
        accounts.filter((account) => !this.#accountIds.has(accountKey(account))).map((account) => [accountKey(account), account]),
      ).values(),
    ].sort((left, right) => (accountKey(left) < accountKey(right) ? -1 : 1));
    // Sorted: writers creating the same new accounts take their index locks in one order and cannot deadlock.
    if (missing.length > 0) {
      const limits = missing.map(accountLimits);
      const created = await connection.any(sql.type(accountRow)`
        INSERT INTO accounts (owner_type, owner_id, bucket, currency, min_balance, max_balance, stripes)
        SELECT * FROM unnest(
          ${sql.array(missing.map((account) => account.ownerType), 'text')},
          ${sql.array(missing.map((account) => account.ownerId), 'text')},
          ${sql.array(missing.map((account) => account.bucket), 'text')},
          ${sql.array(missing.map((account) => account.currency), 'text')},
          ${sql.array(limits.map((limit) => limit.minBalance), 'numeric')},
          ${sql.array(limits.map((limit) => limit.maxBalance), 'numeric')},
          ${sql.array(limits.map((limit) => limit.stripes), 'int2')}
        )
        ON CONFLICT (owner_type, owner_id, bucket, currency) DO NOTHING
        RETURNING id, concat_ws(':', owner_type, owner_id, bucket, currency) AS key`);
      // Those the INSERT did not return existed already (or a concurrent writer just made them): read them.
      const createdKeys = new Set(created.map((row) => row.key));
      const existing = missing.filter((account) => !createdKeys.has(accountKey(account)));
      const rows = existing.length === 0 ? created : [...created, ...(await connection.many(sql.type(accountRow)`
        SELECT id, concat_ws(':', owner_type, owner_id, bucket, currency) AS key
        FROM accounts
        WHERE (owner_type, owner_id, bucket, currency) IN (
          SELECT * FROM unnest(
            ${sql.array(existing.map((account) => account.ownerType), 'text')},
            ${sql.array(existing.map((account) => account.ownerId), 'text')},
            ${sql.array(existing.map((account) => account.bucket), 'text')},
            ${sql.array(existing.map((account) => account.currency), 'text')}
          )
        )`))];
      // Accounts this store created inside a caller's transaction stay out of the cache until a later lookup sees
      // them committed: the transaction may roll back. That includes a later lookup in the same transaction, which
      // finds them through its SELECT (a cached id of a rolled-back account would fail every later request).
      let uncommitted = new Set<string>();
      if (connection !== this.database) {
        uncommitted = this.#createdInTransaction.get(connection) ?? uncommitted;
        for (const row of created) uncommitted.add(row.key);
        this.#createdInTransaction.set(connection, uncommitted);
      }
      const found = new Map(rows.map((row) => [row.key, row.id]));
      for (const [key, id] of found) if (!uncommitted.has(key)) this.#accountIds.set(key, id);
      return accounts.map((account) => {
        const id = this.#accountIds.get(accountKey(account)) ?? found.get(accountKey(account));
        if (id === undefined) throw new Error(`account ${accountKey(account)} was not created`);
        return id;
      });
    }
    return accounts.map((account) => this.#accountIds.get(accountKey(account))!);
  }

  async postEntry(entry: EntryInput, connection?: CommonQueryMethods): Promise<PostedEntry> {
    const [posted] = await this.postEntries([entry], connection);
    return posted!;
  }

  /** Posts entries atomically: all of them, or none when one breaks a limit or reuses a key with other input. */
  async postEntries(entries: EntryInput[], connection: CommonQueryMethods = this.database): Promise<PostedEntry[]> {
    if (entries.length === 0) return [];
    const keys = new Set<string>();
    for (const entry of entries) {
      validateEntry(entry);
      if (keys.has(entry.idempotencyKey)) {
        throw new LedgerInputError(`idempotency key ${entry.idempotencyKey} appears twice in one batch`, 'idempotencyKey');
      }
      keys.add(entry.idempotencyKey);
    }
    const accountIds = await this.accountIds(
      entries.flatMap((entry) => entry.postings.map((posting) => posting.account)),
      connection,
    );
    const postingAmounts = entries.flatMap((entry) => entry.postings.map((posting) => posting.amount));
    try {
      if (entries.length === 1) {
        // One entry: the single-entry function, the same rules at a fraction of the batch statement's cost.
        const entry = entries[0]!;
        const row = await connection.one(sql.type(postedEntryRow)`${prepared}
          SELECT entry_id, created, created_at FROM post_entry(
            ${entry.idempotencyKey}::text,
            ${sql.binary(entryInputHash(entry))}::bytea,
            ${entry.kind}::text,
            ${entry.description ?? ''}::text,
            ${JSON.stringify(entry.metadata ?? {})}::jsonb,
            ${entry.reversesEntryId ?? null}::int8,
            ${sql.array(accountIds, 'int8')},
            ${sql.array(postingAmounts, 'numeric')}
          )`);
        return [{ entryId: row.entry_id, created: row.created, createdAt: row.created_at }];
      }
      const postingEntryIndex = entries.flatMap((entry, index) => entry.postings.map(() => index + 1));
      const rows = await connection.many(sql.type(postedRow)`
        SELECT entry_index, entry_id, created, created_at FROM post_entries(
          ${sql.array(entries.map((entry) => entry.idempotencyKey), 'text')},
          ${sql.array(entries.map((entry) => entryInputHash(entry)), 'bytea')},
          ${sql.array(entries.map((entry) => entry.kind), 'text')},
          ${sql.array(entries.map((entry) => entry.description ?? ''), 'text')},
          ${sql.array(entries.map((entry) => JSON.stringify(entry.metadata ?? {})), 'jsonb')},
          ${sql.array(entries.map((entry) => entry.reversesEntryId ?? null), 'int8')},
          ${sql.array(postingEntryIndex, 'int4')},
          ${sql.array(accountIds, 'int8')},
          ${sql.array(postingAmounts, 'numeric')}
        )`);
      return rows.map((row) => ({ entryId: row.entry_id, created: row.created, createdAt: row.created_at }));
    } catch (error) {
      throw translateLedgerError(error);
    }
  }

  /** Balances of one partner per currency, from the cached balance rows. */
  async partnerBalances(partnerId: string, connection: CommonQueryMethods = this.database): Promise<PartnerBalances[]> {
    const rows = await connection.any(sql.type(balanceRow)`
      SELECT a.currency, a.bucket, sum(b.balance)::text AS balance
      FROM accounts a JOIN account_balances b ON b.account_id = a.id
      WHERE a.owner_type = 'partner' AND a.owner_id = ${partnerId}
      GROUP BY a.currency, a.bucket
      ORDER BY a.currency`);
    return shapeBalances(rows);
  }

  /** Balances as of a past instant, summed from the postings themselves. */
  async partnerBalancesAsOf(partnerId: string, at: Date, connection: CommonQueryMethods = this.database): Promise<PartnerBalances[]> {
    const rows = await connection.any(sql.type(balanceRow)`
      SELECT a.currency, a.bucket, coalesce(sum(p.amount), 0)::text AS balance
      FROM accounts a
      LEFT JOIN postings p ON p.account_id = a.id
        -- Postgres keeps microseconds, a JS Date milliseconds: "as of 12:00:00.123" includes 12:00:00.123999.
        AND p.created_at < ${sql.timestamp(at)} + interval '1 millisecond'
      WHERE a.owner_type = 'partner' AND a.owner_id = ${partnerId}
      GROUP BY a.currency, a.bucket
      ORDER BY a.currency`);
    return shapeBalances(rows);
  }

  /** One partner's postings, newest first, keyset-paginated by (created_at, entry_id, line). */
  async partnerPostings(
    partnerId: string,
    page: { limit: number; before?: { cursorTime: string; entryId: string; line: number } },
    connection: CommonQueryMethods = this.database,
  ) {
    const before = page.before
      ? sql.fragment`AND (p.created_at, p.entry_id, p.line) < (${page.before.cursorTime}::timestamptz, ${page.before.entryId}, ${page.before.line})`
      : sql.fragment``;
    return connection.any(sql.type(postingRow)`
      SELECT p.entry_id, p.line, e.kind, e.description, a.bucket, p.currency, p.amount, p.created_at,
             to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time
      FROM accounts a
      JOIN postings p ON p.account_id = a.id
      JOIN journal_entries e ON e.id = p.entry_id
      WHERE a.owner_type = 'partner' AND a.owner_id = ${partnerId} ${before}
      ORDER BY p.created_at DESC, p.entry_id DESC, p.line DESC
      LIMIT ${page.limit}`);
  }
}

function shapeBalances(rows: readonly z.infer<typeof balanceRow>[]): PartnerBalances[] {
  const byCurrency = new Map<string, PartnerBalances>();
  for (const row of rows) {
    let balances = byCurrency.get(row.currency);
    if (!balances) {
      balances = { currency: row.currency } as PartnerBalances;
      for (const bucket of partnerBuckets) balances[bucket] = formatMoney('0', row.currency);
      byCurrency.set(row.currency, balances);
    }
    if ((partnerBuckets as readonly string[]).includes(row.bucket)) {
      balances[row.bucket as PartnerBucket] = formatMoney(row.balance, row.currency);
    }
  }
  return [...byCurrency.values()];
}

/** Maps the database's refusals to the errors callers act on. */
export function translateLedgerError(error: unknown): unknown {
  if (error instanceof CheckIntegrityConstraintViolationError && error.constraint === 'account_balance_within_limits') {
    const match = /Failing row contains \((\d+),/.exec(String((error.cause as { detail?: string } | undefined)?.detail ?? ''));
    return new InsufficientFundsError(match?.[1] ?? 'unknown');
  }
  // Slonik passes some driver errors through unwrapped and wraps others; look at both.
  for (const candidate of [error, (error as { cause?: unknown }).cause]) {
    const databaseError = candidate as { code?: string; detail?: string } | undefined;
    if (databaseError?.code === 'LF409') return new IdempotencyConflictError(databaseError.detail ?? '');
  }
  return error;
}
