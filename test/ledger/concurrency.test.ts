import pg from 'pg';
import { createPool, sql } from 'slonik';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyConflictError, InsufficientFundsError, LedgerStore, type PostedEntry } from '../../modules/ledger/ledger-store.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { LedgerInputError } from '../../domain/ledger.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { cachedBalances, historyCounts, partnerAccount, platformAccount, rejectionOf, transferEntry } from './ledger-fixtures.ts';

let database: TestDatabase;
let pool: Database;
let store: LedgerStore;
let owner: pg.Client;

const platform = 'concurrency-platform';
const funding = platformAccount(platform, 'pool_funding');
const clearing = platformAccount(platform, 'payout_clearing');
const pidRow = z.object({ pid: z.number() });

beforeAll(async () => {
  database = await createTestDatabase();
  // More connections than the ten the scenarios below need, so their writers really are in the database at once.
  pool = await createDatabase(database.appUrl, { maximumPoolSize: 12 });
  store = new LedgerStore(pool);
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
});

afterEach(async () => {
  await assertLedgerInvariants(owner);
});

afterAll(async () => {
  await owner?.end();
  await pool?.end();
  await database?.drop();
});

/** Posts one entry on a connection of its own, noting which server process ran it (success or not) in `pids`. */
async function postOnOwnConnection(entry: Parameters<LedgerStore['postEntry']>[0], pids = new Set<number>()): Promise<{ pid: number; posted: PostedEntry }> {
  return pool.connect(async (connection) => {
    const pid = await connection.oneFirst(sql.type(pidRow)`SELECT pg_backend_pid() AS pid`);
    pids.add(pid);
    return { pid, posted: await store.postEntry(entry, connection) };
  });
}

async function availableBalance(partnerId: string, currency = 'USD'): Promise<string> {
  const balances = await store.partnerBalances(partnerId);
  return balances.find((balance) => balance.currency === currency)?.available ?? '0.00';
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('concurrent withdrawals', () => {
  it('when 50 withdrawals of 3.00 race against 100.00, exactly 33 succeed, the rest are refused for insufficient funds, and 1.00 is left (20 rounds)', async () => {
    for (let round = 0; round < 20; round += 1) {
      // Arrange: a fresh account holding 100.00, and every account created before the race.
      const partnerId = `withdrawals-${round}`;
      const available = partnerAccount(partnerId);
      await store.postEntry(transferEntry(`withdrawals:${round}:fund`, funding, available, '100.00', 'fund'));
      const [availableId] = await store.accountIds([available, clearing]);

      // Act
      const pids = new Set<number>();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, attempt) =>
          postOnOwnConnection(transferEntry(`withdrawals:${round}:${attempt}`, available, clearing, '3.00', 'withdrawal'), pids),
        ),
      );

      // Assert
      const succeeded = results.filter((result) => result.status === 'fulfilled');
      const refused = results.filter((result) => result.status === 'rejected');
      expect(succeeded, `round ${round}: withdrawals that succeeded`).toHaveLength(33);
      for (const failure of refused) {
        expect(failure.reason, `round ${round}`).toBeInstanceOf(InsufficientFundsError);
        expect((failure.reason as InsufficientFundsError).accountId, `round ${round}: the account named`).toBe(availableId);
      }
      expect(await availableBalance(partnerId), `round ${round}: balance left`).toBe('1.00');
      expect(pids.size, `round ${round}: distinct server connections the withdrawals ran on`).toBeGreaterThanOrEqual(10);
      await assertLedgerInvariants(owner);
    }
  });
});

describe('accounts created on first use', () => {
  it('when writers first use the same new accounts in opposite orders at once, none of them deadlocks', async () => {
    // Arrange: slonik silently retries a query that died in a deadlock (after PostgreSQL's 1 s deadlock_timeout);
    // with retries off, a deadlock surfaces as an error instead of as a second of latency.
    const noRetries = await createPool(database.appUrl, { maximumPoolSize: 12, queryRetryLimit: 0 });
    try {
      for (let round = 0; round < 10; round += 1) {
        const accounts = Array.from({ length: 6 }, (_, index) => partnerAccount(`first-use-${round}-${index}`));

        // Act: twelve fresh stores (empty caches, like twelve worker processes), half of them in reverse order.
        const results = await Promise.allSettled(
          Array.from({ length: 12 }, (_, writer) =>
            new LedgerStore(noRetries as Database).accountIds(writer % 2 === 0 ? accounts : [...accounts].reverse()),
          ),
        );

        // Assert
        const failures = results.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as Error).cause ?? result.reason)] : []));
        expect(failures, `round ${round}`).toEqual([]);
      }
    } finally {
      await noRetries.end();
    }
  });
});

describe('idempotency under concurrency', () => {
  it('when 20 posts with the same idempotency key race, one entry is created and every caller gets its id', async () => {
    // Arrange
    const partnerId = 'same-key';
    const entry = transferEntry('same-key:credit', funding, partnerAccount(partnerId), '42.50', 'fund');
    await store.accountIds([funding, partnerAccount(partnerId)]);
    const before = await historyCounts(owner);

    // Act
    const results = await Promise.all(Array.from({ length: 20 }, () => postOnOwnConnection(entry)));

    // Assert
    const answers = results.map((result) => result.posted);
    expect(new Set(answers.map((answer) => answer.entryId)).size).toBe(1);
    expect(new Set(answers.map((answer) => answer.createdAt.getTime())).size).toBe(1);
    expect(answers.filter((answer) => answer.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.pid)).size, 'distinct server connections').toBeGreaterThanOrEqual(10);
    expect(await historyCounts(owner)).toEqual({ entries: before.entries + 1, postings: before.postings + 2 });
    expect(await availableBalance(partnerId)).toBe('42.50');
  });

  it('when a key is reused with a different payload, it is refused with IdempotencyConflictError and nothing changes', async () => {
    // Arrange
    const partnerId = 'reused-key';
    const original = transferEntry('reused-key:credit', funding, partnerAccount(partnerId), '10.00', 'fund');
    const first = await store.postEntry(original);
    const before = { counts: await historyCounts(owner), balances: await cachedBalances(owner, 'reused-key') };

    // Act
    const error = await rejectionOf(store.postEntry({ ...original, postings: transferEntry('x', funding, partnerAccount(partnerId), '10.01').postings }));
    const describedDifferently = await rejectionOf(store.postEntry({ ...original, description: 'another description' }));
    const replay = await store.postEntry(structuredClone(original));

    // Assert
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect((error as IdempotencyConflictError).idempotencyKey).toBe('reused-key:credit');
    expect(describedDifferently).toBeInstanceOf(IdempotencyConflictError);
    expect(replay).toEqual({ ...first, created: false });
    expect(await historyCounts(owner)).toEqual(before.counts);
    expect(await cachedBalances(owner, 'reused-key')).toEqual(before.balances);
    expect(await availableBalance(partnerId)).toBe('10.00');
  });

  it('when posts of one key with two different payloads race, one payload wins and every post of the other is refused as a conflict', async () => {
    // Arrange
    const partnerId = 'racing-payloads';
    const account = partnerAccount(partnerId);
    await store.accountIds([funding, account]);
    const payloads = [transferEntry('racing:credit', funding, account, '5.00'), transferEntry('racing:credit', funding, account, '7.00')];
    const before = await historyCounts(owner);

    // Act
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, index) => postOnOwnConnection(payloads[index % 2]!)));

    // Assert
    const succeeded = results.flatMap((result, index) => (result.status === 'fulfilled' ? [{ index, posted: result.value.posted }] : []));
    const refused = results.flatMap((result, index) => (result.status === 'rejected' ? [{ index, reason: result.reason as unknown }] : []));
    const winner = succeeded[0]!.index % 2;
    expect(succeeded.map((success) => success.index % 2), 'every success posted the winning payload').toEqual(succeeded.map(() => winner));
    expect(succeeded, 'the winning payload posted by all ten of its callers').toHaveLength(10);
    expect(succeeded.filter((success) => success.posted.created)).toHaveLength(1);
    expect(refused.map((failure) => failure.index % 2)).toEqual(refused.map(() => 1 - winner));
    for (const failure of refused) expect(failure.reason).toBeInstanceOf(IdempotencyConflictError);
    expect(await historyCounts(owner)).toEqual({ entries: before.entries + 1, postings: before.postings + 2 });
    expect(await availableBalance(partnerId)).toBe(winner === 0 ? '5.00' : '7.00');
  });
});

describe('batches', () => {
  it('when one entry of a batch would overdraw, the whole batch is refused and nothing changes', async () => {
    // Arrange
    const payer = partnerAccount('batch-payer');
    const payee = partnerAccount('batch-payee');
    await store.postEntry(transferEntry('batch:fund', funding, payer, '10.00', 'fund'));
    await store.accountIds([payee, clearing]);
    const before = { counts: await historyCounts(owner), balances: await cachedBalances(owner, 'batch-') };
    const batch = [
      transferEntry('batch:1', funding, payee, '5.00', 'fund'),
      transferEntry('batch:2', payer, clearing, '4.00', 'withdrawal'),
      transferEntry('batch:3', payer, payee, '7.00'),
    ];

    // Act
    const error = await rejectionOf(store.postEntries(batch));

    // Assert
    expect(error).toBeInstanceOf(InsufficientFundsError);
    expect((error as InsufficientFundsError).accountId).toBe((await store.accountIds([payer]))[0]);
    expect(await historyCounts(owner)).toEqual(before.counts);
    expect(await cachedBalances(owner, 'batch-')).toEqual(before.balances);
    const { rows } = await owner.query(`SELECT idempotency_key FROM journal_entries WHERE idempotency_key LIKE 'batch:_'`);
    expect(rows).toEqual([]);
  });

  it('when a batch within the limits is posted, every entry is created in order with its own id', async () => {
    // Arrange
    const payer = partnerAccount('batch-ok-payer');
    await store.postEntry(transferEntry('batch-ok:fund', funding, payer, '10.00', 'fund'));
    const batch = [transferEntry('batch-ok:1', payer, clearing, '4.00'), transferEntry('batch-ok:2', payer, clearing, '6.00')];

    // Act
    const posted = await store.postEntries(batch);

    // Assert
    expect(posted.map((entry) => entry.created)).toEqual([true, true]);
    expect(new Set(posted.map((entry) => entry.entryId)).size).toBe(2);
    const { rows } = await owner.query(`SELECT id::text, idempotency_key FROM journal_entries WHERE idempotency_key LIKE 'batch-ok:_' ORDER BY id`);
    expect(rows).toEqual([
      { id: posted[0]!.entryId, idempotency_key: 'batch-ok:1' },
      { id: posted[1]!.entryId, idempotency_key: 'batch-ok:2' },
    ]);
    expect(await availableBalance('batch-ok-payer')).toBe('0.00');
  });

  it('when a batch names the same entry twice (a retried item), the entry is posted once', async () => {
    // Arrange
    const payee = partnerAccount('batch-duplicate');
    await store.accountIds([funding, payee]);
    const entry = transferEntry('batch-duplicate:credit', funding, payee, '10.00', 'fund');
    const before = await historyCounts(owner);

    // Act
    const outcome = await store.postEntries([entry, structuredClone(entry)]).catch((error: unknown) => error);

    // Assert: either refused as malformed, or posted once; never the money moved twice under one key.
    if (outcome instanceof Error) {
      expect(outcome).toBeInstanceOf(LedgerInputError);
      expect(await historyCounts(owner)).toEqual(before);
    } else {
      expect(await availableBalance('batch-duplicate')).toBe('10.00');
      expect(await historyCounts(owner)).toEqual({ entries: before.entries + 1, postings: before.postings + 2 });
    }
  });

  it('when a batch uses one idempotency key for two different entries, it is refused and nothing changes', async () => {
    // Arrange
    const payee = partnerAccount('batch-key-clash');
    await store.accountIds([funding, payee]);
    const before = { counts: await historyCounts(owner), balances: await cachedBalances(owner, 'batch-key-clash') };

    // Act
    const error = await rejectionOf(
      store.postEntries([
        transferEntry('batch-key-clash:credit', funding, payee, '10.00', 'fund'),
        transferEntry('batch-key-clash:credit', funding, payee, '3.00', 'bonus'),
      ]),
    );

    // Assert
    expect(error instanceof LedgerInputError || error instanceof IdempotencyConflictError, String(error)).toBe(true);
    expect(await historyCounts(owner)).toEqual(before.counts);
    expect(await cachedBalances(owner, 'batch-key-clash')).toEqual(before.balances);
  });
});

describe('balances as of a past instant', () => {
  it('when more is posted after a noted instant, the balances as of that instant leave it out', async () => {
    // Arrange
    const partnerId = 'as-of';
    const available = partnerAccount(partnerId);
    const beforeAnything = new Date();
    await sleep(5);
    await store.postEntry(transferEntry('as-of:1', funding, available, '10.00', 'fund'));
    await store.postEntry(transferEntry('as-of:2', platformAccount(platform, 'pool_funding', 'JPY'), partnerAccount(partnerId, 'available', 'JPY'), '500', 'fund'));
    await sleep(5);
    const noted = new Date();
    await sleep(5);

    // Act
    await store.postEntry(transferEntry('as-of:3', funding, available, '5.25', 'fund'));
    await store.postEntry(transferEntry('as-of:4', available, clearing, '2.00', 'withdrawal'));
    const asOfNoted = await store.partnerBalancesAsOf(partnerId, noted);
    const asOfStart = await store.partnerBalancesAsOf(partnerId, beforeAnything);
    const now = await store.partnerBalances(partnerId);

    // Assert
    expect(asOfNoted.map((balance) => [balance.currency, balance.available])).toEqual([['JPY', '500'], ['USD', '10.00']]);
    expect(asOfStart.map((balance) => [balance.currency, balance.available])).toEqual([['JPY', '0'], ['USD', '0.00']]);
    expect(now.map((balance) => [balance.currency, balance.available])).toEqual([['JPY', '500'], ['USD', '13.25']]);
  });

  it("balances as of an entry's own createdAt include that entry", async () => {
    // Arrange
    const partnerId = 'as-of-created-at';

    // Act
    const posted = await store.postEntry(transferEntry('as-of-created-at:1', funding, partnerAccount(partnerId), '10.00', 'fund'));
    const asOf = await store.partnerBalancesAsOf(partnerId, posted.createdAt);

    // Assert
    expect(asOf.map((balance) => [balance.currency, balance.available])).toEqual([['USD', '10.00']]);
  });
});
