import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyConflictError, InsufficientFundsError, LedgerStore } from '../../modules/ledger/ledger-store.ts';
import { LedgerWriter } from '../../modules/ledger/ledger-writer.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { LedgerInputError } from '../../domain/ledger.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import type { EntryInput } from '../../domain/ledger.ts';
import { accountKeyOf, cachedBalances, historyCounts, partnerAccount, platformAccount, rejectionOf, transferEntry } from './ledger-fixtures.ts';

let database: TestDatabase;
let pool: Database;
let store: LedgerStore;
let writer: LedgerWriter;
let owner: pg.Client;

const platform = 'writer-platform';
const funding = platformAccount(platform, 'pool_funding');
const feesIncome = platformAccount(platform, 'fees_income');

beforeAll(async () => {
  database = await createTestDatabase();
  pool = await createDatabase(database.appUrl, { maximumPoolSize: 6 });
  store = new LedgerStore(pool);
  writer = new LedgerWriter(store, { concurrency: 4, maximumBatch: 200 });
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
});

afterEach(async () => {
  await writer.drain();
  await assertLedgerInvariants(owner);
});

afterAll(async () => {
  await owner?.end();
  await pool?.end();
  await database?.drop();
});

/** How many transactions wrote the entries whose keys start with the prefix (each entry row carries its xmin). */
async function transactionsOf(keyPrefix: string): Promise<number> {
  const { rows } = await owner.query<{ transactions: number }>(
    `SELECT count(DISTINCT xmin::text)::int AS transactions FROM journal_entries WHERE idempotency_key LIKE $1 || '%'`,
    [keyPrefix],
  );
  return rows[0]!.transactions;
}

describe('LedgerWriter: entries posted on their own, committed in groups', () => {
  it('when 1,000 partners pay into one hot platform account at once, each caller gets its own entry and they commit in far fewer transactions', async () => {
    // Arrange: 1,000 funded partners (funded through the store, one batch).
    const partners = Array.from({ length: 1_000 }, (_, index) => partnerAccount(`writer-hot-${String(index).padStart(4, '0')}`));
    await store.postEntries(partners.map((account, index) => transferEntry(`writer-hot:fund:${index}`, funding, account, '10.00', 'fund')));

    // Act: every payment at once, each awaited by its own caller.
    const posted = await Promise.all(
      partners.map((account, index) => writer.post(transferEntry(`writer-hot:pay:${index}`, account, feesIncome, '1.25', 'fee'))),
    );

    // Assert: one new entry per caller, no two the same, and fewer commits than entries.
    expect(posted.every((entry) => entry.created)).toBe(true);
    expect(new Set(posted.map((entry) => entry.entryId)).size).toBe(1_000);
    const transactions = await transactionsOf('writer-hot:pay:');
    expect(transactions).toBeLessThan(1_000);
    expect(transactions).toBeGreaterThanOrEqual(1);
    const balances = await cachedBalances(owner, 'writer-hot-');
    expect(Object.values(balances).every((balance) => balance === '8.75')).toBe(true);
    const platformBalances = await cachedBalances(owner, platform);
    expect(platformBalances[`platform:${platform}:fees_income:USD`]).toBe('1250.00');
  });

  it('when 50 withdrawals of 3.00 race against 100.00 through the writer, exactly 33 succeed, the others are refused for insufficient funds alone, and 1.00 is left (10 rounds)', async () => {
    const clearing = platformAccount(platform, 'payout_clearing');
    for (let round = 0; round < 10; round += 1) {
      // Arrange
      const available = partnerAccount(`writer-withdrawals-${round}`);
      await store.postEntry(transferEntry(`writer-withdrawals:${round}:fund`, funding, available, '100.00', 'fund'));
      const [availableId] = await store.accountIds([available]);

      // Act
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, attempt) =>
          writer.post(transferEntry(`writer-withdrawals:${round}:${attempt}`, available, clearing, '3.00', 'withdrawal'))),
      );

      // Assert
      const refused = results.filter((result) => result.status === 'rejected');
      expect(results.filter((result) => result.status === 'fulfilled'), `round ${round}`).toHaveLength(33);
      for (const failure of refused) {
        expect(failure.reason, `round ${round}`).toBeInstanceOf(InsufficientFundsError);
        expect((failure.reason as InsufficientFundsError).accountId).toBe(availableId);
      }
      expect((await cachedBalances(owner, `writer-withdrawals-${round}`))[`partner:writer-withdrawals-${round}:available:USD`]).toBe('1.00');
      const { rows } = await owner.query<{ entries: number }>(
        `SELECT count(*)::int AS entries FROM journal_entries WHERE idempotency_key LIKE $1`,
        [`writer-withdrawals:${round}:%`],
      );
      expect(rows[0]!.entries, `round ${round}: the funding entry and the 33 withdrawals`).toBe(34);
    }
  });

  it('a refused entry does not take its batch neighbours with it: overdrafts among 200 payments are refused, every other payment is posted', async () => {
    // Arrange: 100 partners with 5.00 each.
    const partners = Array.from({ length: 100 }, (_, index) => partnerAccount(`writer-mixed-${String(index).padStart(3, '0')}`));
    await store.postEntries(partners.map((account, index) => transferEntry(`writer-mixed:fund:${index}`, funding, account, '5.00', 'fund')));

    // Act: each partner pays 2.00 (fits) and, at the same time, every tenth one also 9.00 (never fits).
    const payments = partners.flatMap((account, index) => [
      { key: `writer-mixed:fits:${index}`, entry: transferEntry(`writer-mixed:fits:${index}`, account, feesIncome, '2.00', 'fee'), fits: true },
      ...(index % 10 === 0
        ? [{ key: `writer-mixed:overdraft:${index}`, entry: transferEntry(`writer-mixed:overdraft:${index}`, account, feesIncome, '9.00', 'fee'), fits: false }]
        : []),
    ]);
    const results = await Promise.allSettled(payments.map((payment) => writer.post(payment.entry)));

    // Assert
    results.forEach((result, index) => {
      const payment = payments[index]!;
      if (payment.fits) expect(result.status, payment.key).toBe('fulfilled');
      else expect(result.status === 'rejected' && result.reason instanceof InsufficientFundsError, payment.key).toBe(true);
    });
    const balances = await cachedBalances(owner, 'writer-mixed-');
    expect(Object.values(balances).every((balance) => balance === '3.00')).toBe(true);
  });

  it('20 callers with one idempotency key get one entry and the same answer; other input under that key is refused while the rest of the wave posts', async () => {
    // Arrange
    const partner = partnerAccount('writer-idempotent');
    await store.postEntry(transferEntry('writer-idempotent:fund', funding, partner, '50.00', 'fund'));
    const entry = transferEntry('writer-idempotent:pay', partner, feesIncome, '4.00', 'fee');
    const others = Array.from({ length: 30 }, (_, index) => transferEntry(`writer-idempotent:other:${index}`, funding, partner, '1.00', 'fund'));

    // Act: the twenty with thirty other entries; then other input under the key, again among others.
    const [same, rest] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => writer.post(structuredClone(entry)))),
      Promise.all(others.slice(0, 15).map((other) => writer.post(other))),
    ]);
    const [conflicting, later] = await Promise.all([
      rejectionOf(writer.post(transferEntry('writer-idempotent:pay', partner, feesIncome, '5.00', 'fee'))),
      Promise.all(others.slice(15).map((other) => writer.post(other))),
    ]);

    // Assert: one entry, created once, the same id for every caller; the conflict refused alone.
    expect(new Set(same.map((posted) => posted.entryId)).size).toBe(1);
    expect(same.filter((posted) => posted.created)).toHaveLength(1);
    expect(conflicting).toBeInstanceOf(IdempotencyConflictError);
    expect([...rest, ...later].every((posted) => posted.created)).toBe(true);
    const balance = (await cachedBalances(owner, 'writer-idempotent'))['partner:writer-idempotent:available:USD'];
    expect(balance, 'funded 50.00 and 30 × 1.00, paid 4.00 once').toBe('76.00');
  });

  it('never runs two batches that share a partner account at the same time, yet runs batches side by side and posts every entry', async () => {
    // Arrange: the real store, watched: which partner accounts each call in flight posts to.
    class WatchedStore extends LedgerStore {
      readonly inFlight: Set<string>[] = [];
      sharedWhileRunning = 0;
      mostAtOnce = 0;
      override async postEntries(entries: EntryInput[], connection?: Parameters<LedgerStore['postEntries']>[1]) {
        const partners = new Set(entries.flatMap((entry) =>
          entry.postings.filter((posting) => posting.account.ownerType === 'partner').map((posting) => accountKeyOf(posting.account))));
        if (this.inFlight.some((running) => [...partners].some((partner) => running.has(partner)))) this.sharedWhileRunning += 1;
        this.inFlight.push(partners);
        this.mostAtOnce = Math.max(this.mostAtOnce, this.inFlight.length);
        try {
          return await super.postEntries(entries, connection);
        } finally {
          this.inFlight.splice(this.inFlight.indexOf(partners), 1);
        }
      }
    }
    const watched = new WatchedStore(pool);
    const watchedWriter = new LedgerWriter(watched, { concurrency: 4, maximumBatch: 25 });
    const partners = Array.from({ length: 20 }, (_, index) => partnerAccount(`writer-disjoint-${String(index).padStart(2, '0')}`));
    await store.postEntries(partners.map((account, index) => transferEntry(`writer-disjoint:fund:${index}`, funding, account, '100.00', 'fund')));

    // Act: 400 payments, 20 from each partner, interleaved.
    const posted = await Promise.all(Array.from({ length: 400 }, (_, index) =>
      watchedWriter.post(transferEntry(`writer-disjoint:pay:${index}`, partners[index % 20]!, feesIncome, '0.50', 'fee'))));

    // Assert
    expect(watched.sharedWhileRunning).toBe(0);
    expect(watched.mostAtOnce).toBeGreaterThan(1);
    expect(posted.every((entry) => entry.created)).toBe(true);
    const balances = await cachedBalances(owner, 'writer-disjoint-');
    expect(Object.values(balances).every((balance) => balance === '90.00')).toBe(true);
  });

  it('refuses bad input at once, naming the field, and writes nothing', async () => {
    // Arrange
    const before = await historyCounts(owner);
    const entry = transferEntry('writer-bad:1', funding, partnerAccount('writer-bad'), '1.00');
    entry.postings[1]!.amount = '1.001';

    // Act
    const error = await rejectionOf(writer.post(entry));

    // Assert
    expect(error).toBeInstanceOf(LedgerInputError);
    expect((error as LedgerInputError).field).toBe('postings.1.amount');
    expect(await historyCounts(owner)).toEqual(before);
  });
});

describe('a striped hot account', () => {
  /** Stripes of the account holding a non-zero part of its balance. */
  async function stripesInUse(account: ReturnType<typeof platformAccount>): Promise<number> {
    const [accountId] = await store.accountIds([account]);
    const { rows } = await owner.query<{ stripes: number }>(
      'SELECT count(*)::int AS stripes FROM account_balances WHERE account_id = $1 AND balance <> 0',
      [accountId],
    );
    return rows[0]!.stripes;
  }

  it('takes one batch on one of its balance rows, so concurrent batches can pass each other; single entries spread over its rows', async () => {
    // Arrange
    const batched = platformAccount('writer-stripes-batch', 'fees_income');
    const single = platformAccount('writer-stripes-single', 'fees_income');

    // Act: 60 entries in one call; 60 entries one call each.
    await store.postEntries(Array.from({ length: 60 }, (_, index) => transferEntry(`writer-stripes:batch:${index}`, funding, batched, '1.00')));
    for (let index = 0; index < 60; index += 1) {
      await store.postEntry(transferEntry(`writer-stripes:single:${index}`, funding, single, '1.00'));
    }

    // Assert: the batch moved one row; 60 random picks among 16 rows landing on one would be a 16^-59 chance.
    expect(await stripesInUse(batched)).toBe(1);
    expect(await stripesInUse(single)).toBeGreaterThan(1);
    expect((await cachedBalances(owner, 'writer-stripes-batch'))['platform:writer-stripes-batch:fees_income:USD']).toBe('60.00');
  });
});

describe('the single-entry post', () => {
  it('is one statement prepared on its connection and reused by every later post there', async () => {
    const partner = partnerAccount('writer-prepared');
    const preparedRow = z.object({ name: z.string(), statement: z.string() });
    await pool.connect(async (connection) => {
      // Act
      await store.postEntry(transferEntry('writer-prepared:1', funding, partner, '1.00'), connection);
      await store.postEntry(transferEntry('writer-prepared:2', funding, partner, '2.00'), connection);

      // Assert: the server holds one named statement for both posts (pg refuses a name reused for other text).
      const statements = await connection.any(sql.type(preparedRow)`
        SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'lf\_%'`);
      expect(statements).toHaveLength(1);
      expect(statements[0]!.statement).toContain('FROM post_entry(');
    });
    expect((await cachedBalances(owner, 'writer-prepared'))['partner:writer-prepared:available:USD']).toBe('3.00');
  });
});
