import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { cachedBalances, historyCounts, partnerAccount, platformAccount, rejectionOf, transferEntry } from './ledger-fixtures.ts';

/**
 * The ledger's history is enforced by the database, not by LedgerStore: the application role may only read
 * and append, the owner's UPDATE/DELETE/TRUNCATE are refused by triggers, and an entry that does not balance
 * cannot commit however it was inserted.
 */

let database: TestDatabase;
let pool: Database;
let store: LedgerStore;
let owner: pg.Client;
let application: pg.Client;
let entryId: string;
let partnerAccountId: string;
let platformAccountId: string;

const partner = partnerAccount('immutable-partner');
const platform = platformAccount('immutable-platform', 'pool_funding');

beforeAll(async () => {
  database = await createTestDatabase();
  pool = await createDatabase(database.appUrl, { maximumPoolSize: 2 });
  store = new LedgerStore(pool);
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  application = new pg.Client({ connectionString: database.appUrl });
  await application.connect();
  // Arrange (shared): one posted entry for the statements below to try to change.
  entryId = (await store.postEntry(transferEntry('immutable:fund', platform, partner, '25.00', 'fund'))).entryId;
  const ids = await store.accountIds([partner, platform]);
  partnerAccountId = ids[0]!;
  platformAccountId = ids[1]!;
});

afterEach(async () => {
  // Every refused statement left the ledger as it was.
  expect(await cachedBalances(owner, 'immutable-')).toEqual({
    'partner:immutable-partner:available:USD': '25.00',
    'platform:immutable-platform:pool_funding:USD': '-25.00',
  });
  expect(await historyCounts(owner)).toEqual({ entries: 1, postings: 2 });
  await assertLedgerInvariants(owner);
});

afterAll(async () => {
  await application?.end();
  await owner?.end();
  await pool?.end();
  await database?.drop();
});

/**
 * The error the first refused statement fails with, and that statement; the client is left usable (a failed
 * transaction is rolled back).
 */
async function refusal(
  client: pg.Client,
  statements: string | string[],
  values: unknown[] = [],
): Promise<pg.DatabaseError & { statement: string }> {
  const list = Array.isArray(statements) ? statements : [statements];
  for (const statement of list) {
    try {
      await client.query(statement, statement.includes('$1') ? values : []);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      return Object.assign(error as pg.DatabaseError, { statement });
    }
  }
  throw new Error(`expected the database to refuse: ${list.join('; ')}`);
}

describe('as the application role', () => {
  it('confirms it is connected as ledgerflow_app', async () => {
    const { rows } = await application.query('SELECT current_user');
    expect(rows).toEqual([{ current_user: 'ledgerflow_app' }]);
  });

  it.each([
    ['UPDATE of a journal entry', 'journal_entries', `UPDATE journal_entries SET description = 'rewritten' WHERE id = $1`],
    ['DELETE of a journal entry', 'journal_entries', 'DELETE FROM journal_entries WHERE id = $1'],
    ['UPDATE of a posting', 'postings', 'UPDATE postings SET amount = amount * 2 WHERE entry_id = $1'],
    ['DELETE of a posting', 'postings', 'DELETE FROM postings WHERE entry_id = $1'],
    ['TRUNCATE of the postings', 'postings', 'TRUNCATE postings, journal_entries'],
  ])('%s is refused with permission denied', async (_, table, statement) => {
    // Act
    const error = await refusal(application, statement, [entryId]);

    // Assert
    expect(error.code).toBe('42501');
    expect(error.message).toBe(`permission denied for table ${table}`);
  });

  it('a direct UPDATE or DELETE of a cached balance is refused with permission denied', async () => {
    const update = await refusal(application, 'UPDATE account_balances SET balance = balance + 1000 WHERE account_id = $1', [partnerAccountId]);
    const remove = await refusal(application, 'DELETE FROM account_balances WHERE account_id = $1', [partnerAccountId]);
    const insert = await refusal(application, `INSERT INTO account_balances (account_id, stripe, balance) VALUES ($1, 7, 1000)`, [partnerAccountId]);

    for (const error of [update, remove, insert]) {
      expect(error.code).toBe('42501');
      expect(error.message).toBe('permission denied for table account_balances');
    }
  });
});

describe('as the owner', () => {
  it.each([
    ['UPDATE of a journal entry', `UPDATE journal_entries SET description = 'rewritten' WHERE id = $1`, /^UPDATE of journal_entries is not allowed: ledger history is append-only$/],
    ['DELETE of a journal entry', 'DELETE FROM journal_entries WHERE id = $1', /^DELETE of journal_entries is not allowed: ledger history is append-only$/],
    ['UPDATE of a posting', 'UPDATE postings SET amount = amount * 2 WHERE entry_id = $1', /^UPDATE of postings is not allowed: ledger history is append-only$/],
    ['DELETE of a posting', 'DELETE FROM postings WHERE entry_id = $1', /^DELETE of postings is not allowed: ledger history is append-only$/],
    ['TRUNCATE of the postings', 'TRUNCATE postings', /^TRUNCATE of postings is not allowed: ledger history is append-only$/],
    // CASCADE reaches postings and audit_records too; whichever table's trigger fires first refuses it.
    ['TRUNCATE of the journal entries', 'TRUNCATE journal_entries CASCADE', /^TRUNCATE of \w+ is not allowed: ledger history is append-only$/],
  ])('%s is refused by the append-only trigger', async (_, statement, message) => {
    // Act
    const error = await refusal(owner, statement, [entryId]);

    // Assert
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(message);
  });
});

describe('the application role writes the ledger only through post_entry and post_entries', () => {
  it.each([
    ['a journal entry', `INSERT INTO journal_entries (idempotency_key, input_hash, kind) VALUES ('app:direct', '\\x00', 'direct')`],
    ['a posting', `INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at) SELECT id, 9, 1, 'USD', 1, now() FROM journal_entries LIMIT 1`],
  ])('inserting %s directly is refused with permission denied', async (_, statement) => {
    const error = await refusal(application, statement);

    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/permission denied/);
  });
});

// The commit-time check holds even for the owner, who may INSERT where the application may not.
describe.each([['the owner', () => owner]] as const)('entries inserted with SQL by %s, bypassing post_entries', (_, connectedAs) => {
  /** BEGIN; INSERT an entry; INSERT the given postings (account, currency, amount); COMMIT — as the application. */
  function directEntry(key: string, postings: [accountId: string, currency: string, amount: string][]): string[] {
    const entry = `(SELECT id FROM journal_entries WHERE idempotency_key = '${key}')`;
    return [
      'BEGIN',
      `INSERT INTO journal_entries (idempotency_key, input_hash, kind) VALUES ('${key}', '\\x00', 'direct')`,
      ...postings.map(
        ([accountId, currency, amount], index) =>
          `INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at) VALUES (${entry}, ${index + 1}, ${accountId}, '${currency}', ${amount}, now())`,
      ),
      'COMMIT',
    ];
  }

  it('an entry with a single posting is refused at commit', async () => {
    // Act
    const error = await refusal(connectedAs(), directEntry('direct:single', [[partnerAccountId, 'USD', '5.00']]));

    // Assert: the statements were accepted one by one; the deferred check refused the commit.
    expect(error.statement).toBe('COMMIT');
    expect(error.code).toBe('23514');
    expect(error.constraint).toBe('journal_entry_balanced');
    expect(error.message).toMatch(/at least 2 are required|does not sum to zero/);
  });

  it('an entry with no postings at all is refused at commit', async () => {
    const error = await refusal(connectedAs(), directEntry('direct:empty', []));

    expect(error.statement).toBe('COMMIT');
    expect(error.code).toBe('23514');
    expect(error.message).toMatch(/has 0 posting\(s\); at least 2 are required/);
  });

  it('an entry of two postings that do not sum to zero is refused at commit', async () => {
    const error = await refusal(connectedAs(), directEntry('direct:unbalanced', [
      [platformAccountId, 'USD', '-4.00'],
      [partnerAccountId, 'USD', '5.00'],
    ]));

    expect(error.statement).toBe('COMMIT');
    expect(error.code).toBe('23514');
    expect(error.message).toMatch(/does not sum to zero in USD/);
  });

  it('an entry posting another currency to an account is refused at commit', async () => {
    const error = await refusal(connectedAs(), directEntry('direct:currency', [
      [platformAccountId, 'EUR', '-4.00'],
      [partnerAccountId, 'EUR', '4.00'],
    ]));

    expect(error.statement).toBe('COMMIT');
    expect(error.code).toBe('23514');
    expect(error.message).toMatch(/to an account of another currency/);
  });

  it('an entry with an amount finer than the currency allows is refused at commit', async () => {
    const error = await refusal(connectedAs(), directEntry('direct:scale', [
      [platformAccountId, 'USD', '-0.001'],
      [partnerAccountId, 'USD', '0.001'],
    ]));

    expect(error.statement).toBe('COMMIT');
    expect(error.code).toBe('23514');
    expect(error.message).toMatch(/finer than the scale of USD/);
  });

});

describe('entries inserted with SQL, bypassing post_entries', () => {
  it('a balanced entry the owner inserts directly leaves the cached balances behind, and reconciliation names the drift', async () => {
    // Arrange: a database of its own, so the entry does not disturb the shared one's expected balances.
    const scratch = await createTestDatabase();
    const client = new pg.Client({ connectionString: scratch.ownerUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO accounts (owner_type, owner_id, bucket, currency, min_balance, stripes)
         VALUES ('platform', 'p', 'pool_funding', 'USD', NULL, 16), ('partner', 'a', 'available', 'USD', 0, 1) RETURNING id`,
      );

      // Act
      await client.query('BEGIN');
      const entry = await client.query<{ id: string }>(`INSERT INTO journal_entries (idempotency_key, input_hash, kind) VALUES ('k', '\\x00', 'direct') RETURNING id`);
      await client.query(
        `INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at) VALUES ($1, 1, $2, 'USD', -3.50, now()), ($1, 2, $3, 'USD', 3.50, now())`,
        [entry.rows[0]!.id, rows[0]!.id, rows[1]!.id],
      );
      await client.query('COMMIT');

      // Assert: only post_entries moves cached balances; the invariant check (reconciliation) finds the gap.
      expect(await cachedBalances(client, '')).toEqual({ 'partner:a:available:USD': '0.00', 'platform:p:pool_funding:USD': '0.00' });
      await expect(assertLedgerInvariants(client)).rejects.toThrow(/cached balance/);
    } finally {
      await client.end();
      await scratch.drop();
    }
  });
});

/** A fresh database holding one committed, balanced entry between a platform and a partner account. */
async function withCommittedEntry(
  action: (context: { client: pg.Client; ownerClient: pg.Client; entryId: string; partnerId: string; platformId: string }) => Promise<void>,
): Promise<void> {
  const scratch = await createTestDatabase();
  const scratchPool = await createDatabase(scratch.appUrl, { maximumPoolSize: 1 });
  const client = new pg.Client({ connectionString: scratch.appUrl });
  await client.connect();
  const ownerClient = new pg.Client({ connectionString: scratch.ownerUrl });
  await ownerClient.connect();
  try {
    const scratchStore = new LedgerStore(scratchPool);
    const posted = await scratchStore.postEntry(transferEntry('hole:fund', platform, partner, '10.00', 'fund'));
    const [partnerId, platformId] = await scratchStore.accountIds([partner, platform]);
    await action({ client, ownerClient, entryId: posted.entryId, partnerId: partnerId!, platformId: platformId! });
  } finally {
    await ownerClient.end();
    await client.end();
    await scratchPool.end();
    await scratch.drop();
  }
}

describe('what the database must refuse besides a new unbalanced entry', () => {
  it('a posting appended by the application to an entry committed earlier is refused', async () => {
    await withCommittedEntry(async ({ client, entryId, partnerId }) => {
      // Act: one more posting for an existing entry, in a transaction of its own.
      const outcome = await client
        .query(`INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at) VALUES ($1, 3, $2, 'USD', 7.00, now())`, [entryId, partnerId])
        .then(
          () => 'committed',
          (error: pg.DatabaseError) => error.code,
        );

      // Assert: refused, and the entry still balances.
      await assertLedgerInvariants(client);
      expect(outcome).not.toBe('committed');
    });
  });

  it('a posting in a currency code the ledger does not know is refused, even from the owner', async () => {
    await withCommittedEntry(async ({ ownerClient: client, partnerId, platformId }) => {
      // Act: a balanced USD entry, plus one posting in 'ZZZ' to the same USD account.
      const outcome = await (async () => {
        await client.query('BEGIN');
        const entry = await client.query<{ id: string }>(`INSERT INTO journal_entries (idempotency_key, input_hash, kind) VALUES ('zzz', '\\x00', 'direct') RETURNING id`);
        await client.query(
          `INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at)
           VALUES ($1, 1, $2, 'USD', -5, now()), ($1, 2, $3, 'USD', 5, now()), ($1, 3, $3, 'ZZZ', 7, now())`,
          [entry.rows[0]!.id, platformId, partnerId],
        );
        await client.query('COMMIT');
        return 'committed';
      })().catch(async (error: pg.DatabaseError) => {
        await client.query('ROLLBACK');
        return error.code;
      });

      // Assert: refused (by a foreign key, a check, or the commit-time trigger), and the ledger still balances.
      await assertLedgerInvariants(client);
      expect(outcome).toMatch(/^23/);
    });
  });
});

describe('what postings name must exist and stay, and the owner’s postings keep their entry balanced (migration 021)', () => {
  /** Runs the statements in one transaction on the client; answers 'committed' or the refusal. */
  async function attempt(client: pg.Client, statements: () => Promise<void>): Promise<'committed' | pg.DatabaseError> {
    await client.query('BEGIN');
    try {
      await statements();
      await client.query('COMMIT');
      return 'committed';
    } catch (error) {
      await client.query('ROLLBACK');
      return error as pg.DatabaseError;
    }
  }

  it('an owner’s balanced entry naming an account that does not exist is refused', async () => {
    await withCommittedEntry(async ({ ownerClient: client, platformId }) => {
      const outcome = await attempt(client, async () => {
        const entry = await client.query<{ id: string }>(`INSERT INTO journal_entries (idempotency_key, input_hash, kind) VALUES ('ghost', '\\x00', 'direct') RETURNING id`);
        await client.query(
          `INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at) VALUES ($1, 1, $2, 'USD', -5, now()), ($1, 2, 987654321, 'USD', 5, now())`,
          [entry.rows[0]!.id, platformId],
        );
      });

      expect(outcome).not.toBe('committed');
      expect((outcome as pg.DatabaseError).code).toBe('23503');
      expect((outcome as pg.DatabaseError).constraint).toBe('postings_account_id_fkey');
      await assertLedgerInvariants(client);
    });
  });

  it('an owner’s posting appended to an entry committed earlier is refused at commit: the entry would no longer balance', async () => {
    await withCommittedEntry(async ({ ownerClient: client, entryId, partnerId }) => {
      const outcome = await attempt(client, async () => {
        await client.query(`INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at) VALUES ($1, 3, $2, 'USD', 7.00, now())`, [entryId, partnerId]);
      });

      expect(outcome).not.toBe('committed');
      expect((outcome as pg.DatabaseError).code).toBe('23514');
      expect((outcome as pg.DatabaseError).message).toMatch(/does not sum to zero in USD/);
      await assertLedgerInvariants(client);
    });
  });

  it.each([
    ['DELETE of an account', 'DELETE FROM accounts WHERE id = $1', /^DELETE of accounts is not allowed/],
    ['a change of an account’s currency', `UPDATE accounts SET currency = 'EUR' WHERE id = $1`, /^UPDATE of accounts is not allowed/],
    ['DELETE of an account’s balance row', 'DELETE FROM account_balances WHERE account_id = $1', /^DELETE of account_balances is not allowed/],
  ])('%s is refused even for the owner', async (_, statement, message) => {
    await withCommittedEntry(async ({ ownerClient: client, partnerId }) => {
      const outcome = await attempt(client, async () => {
        await client.query(statement, [partnerId]);
      });

      expect(outcome).not.toBe('committed');
      expect((outcome as pg.DatabaseError).code).toBe('42501');
      expect((outcome as pg.DatabaseError).message).toMatch(message);
    });
  });
});

describe('the invariant check itself', () => {
  it('names the account whose cached balance the owner edited behind the ledger’s back', async () => {
    // Arrange: a database of its own with one entry; the owner may UPDATE account_balances (no trigger stops it).
    const scratch = await createTestDatabase();
    const scratchPool = await createDatabase(scratch.appUrl, { maximumPoolSize: 1 });
    const client = new pg.Client({ connectionString: scratch.ownerUrl });
    await client.connect();
    try {
      const scratchStore = new LedgerStore(scratchPool);
      await scratchStore.postEntry(transferEntry('drift:fund', platform, partner, '10.00', 'fund'));
      const [partnerId] = await scratchStore.accountIds([partner]);
      await client.query('UPDATE account_balances SET balance = balance + 1 WHERE account_id = $1', [partnerId]);

      // Act
      const error = await rejectionOf(assertLedgerInvariants(client));

      // Assert
      expect(String((error as Error).message)).toContain('cached balance differs from the sum of their postings');
      expect(String((error as Error).message)).toContain(`"account_id":"${partnerId}"`);
    } finally {
      await client.end();
      await scratchPool.end();
      await scratch.drop();
    }
  });
});
