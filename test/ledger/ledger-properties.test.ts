import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IdempotencyConflictError,
  InsufficientFundsError,
  LedgerStore,
  entryInputHash,
  type PostedEntry,
} from '../../modules/ledger/ledger-store.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { LedgerInputError, partnerBuckets, type AccountRef, type EntryInput } from '../../domain/ledger.ts';
import { Money, currencyScale, formatMoney } from '../../domain/money.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { accountKeyOf, historyCounts, minorUnits, partnerAccount, platformAccount } from './ledger-fixtures.ts';

/**
 * Model-based properties of the ledger: random sequences of operations through LedgerStore, checked after every
 * step against a model kept in decimal.js and against the database-wide invariants.
 */

// Scales 2, 0 and 8: cents, whole yen, satoshi.
const currencies = ['USD', 'JPY', 'BTC'] as const;
type TestCurrency = (typeof currencies)[number];
const partnerCount = 3;

let database: TestDatabase;
let pool: Database;
let owner: pg.Client;
let application: pg.Client;
let runSequence = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  // Ten connections, so the concurrent property really runs its writers side by side.
  pool = await createDatabase(database.appUrl, { maximumPoolSize: 10 });
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  // Connected as the application role, for calls that bypass LedgerStore's client-side validation.
  application = new pg.Client({ connectionString: database.appUrl });
  await application.connect();
});

afterAll(async () => {
  await application?.end();
  await owner?.end();
  await pool?.end();
  await database?.drop();
});

// ---------------------------------------------------------------------------------------------------------------
// Accounts: a few partners' `available` (floor 0) and `debt` (ceiling 0) accounts, and two platform accounts.

type Slot = { kind: 'available' | 'debt'; partner: number } | { kind: 'platform'; bucket: 'pool_funding' | 'payout_clearing' };

interface Run {
  id: string;
  partners: string[];
  platformOwner: string;
  store: LedgerStore;
}

function newRun(): Run {
  runSequence += 1;
  const id = `run${runSequence}-${randomBytes(3).toString('hex')}`;
  return {
    id,
    partners: Array.from({ length: partnerCount }, (_, index) => `${id}-partner${index}`),
    platformOwner: `${id}-platform`,
    // A store per run, so its account id cache starts empty as a fresh process's would.
    store: new LedgerStore(pool),
  };
}

function accountOf(run: Run, slot: Slot, currency: string): AccountRef {
  if (slot.kind === 'platform') return platformAccount(run.platformOwner, slot.bucket, currency);
  return partnerAccount(run.partners[slot.partner]!, slot.kind, currency);
}

// ---------------------------------------------------------------------------------------------------------------
// The model: balances in decimal.js, the limits the specification gives each bucket, the entries it expects.

class LedgerModel {
  readonly balances = new Map<string, Money>();
  entries = 0;
  postings = 0;

  /** The accounts the entries would take past their limits if applied together (a batch is one transaction). */
  violations(entries: EntryInput[]): AccountRef[] {
    const next = new Map<string, { account: AccountRef; balance: Money }>();
    for (const posting of entries.flatMap((entry) => entry.postings)) {
      const key = accountKeyOf(posting.account);
      const current = next.get(key)?.balance ?? this.balances.get(key) ?? new Money(0);
      next.set(key, { account: posting.account, balance: current.plus(posting.amount) });
    }
    return [...next.values()]
      .filter(({ account, balance }) => {
        if (account.ownerType === 'platform') return false;
        if (account.bucket === 'debt') return balance.greaterThan(0);
        return balance.lessThan(0);
      })
      .map(({ account }) => account);
  }

  apply(entries: EntryInput[]): void {
    for (const entry of entries) {
      for (const posting of entry.postings) {
        const key = accountKeyOf(posting.account);
        this.balances.set(key, (this.balances.get(key) ?? new Money(0)).plus(posting.amount));
      }
      this.entries += 1;
      this.postings += entry.postings.length;
    }
  }

  /** Non-zero balances of one run's accounts, formatted as the store formats them. */
  expectedBalances(run: Run): Record<string, string> {
    const expected: Record<string, string> = {};
    for (const [key, balance] of [...this.balances].sort(([left], [right]) => left.localeCompare(right))) {
      if (!key.includes(`:${run.id}-`) || balance.isZero()) continue;
      expected[key] = formatMoney(balance, key.split(':')[3]!);
    }
    return expected;
  }
}

/** Non-zero balances of one run's accounts as LedgerStore reports them (partners) and the cached rows (platform). */
async function reportedBalances(run: Run): Promise<Record<string, string>> {
  const reported: Record<string, string> = {};
  for (const partnerId of run.partners) {
    for (const balances of await run.store.partnerBalances(partnerId)) {
      for (const bucket of partnerBuckets) {
        if (!new Money(balances[bucket]).isZero()) reported[accountKeyOf(partnerAccount(partnerId, bucket, balances.currency))] = balances[bucket];
      }
    }
  }
  const { rows } = await owner.query<{ key: string; currency: string; balance: string }>(
    `SELECT concat_ws(':', a.owner_type, a.owner_id, a.bucket, a.currency) AS key, a.currency, sum(b.balance)::text AS balance
     FROM accounts a JOIN account_balances b ON b.account_id = a.id
     WHERE a.owner_type = 'platform' AND a.owner_id = $1
     GROUP BY a.id HAVING sum(b.balance) <> 0`,
    [run.platformOwner],
  );
  for (const row of rows) reported[row.key] = formatMoney(row.balance, row.currency);
  return Object.fromEntries(Object.entries(reported).sort(([left], [right]) => left.localeCompare(right)));
}

// ---------------------------------------------------------------------------------------------------------------
// Operations.

interface Leg {
  slot: Slot;
  currency: TestCurrency;
  /** Signed, in minor units. */
  units: number;
}

type Operation =
  | { type: 'transfer'; currency: TestCurrency; from: Slot; to: Slot; units: number }
  | { type: 'multi'; legs: Leg[] }
  | { type: 'batch'; transfers: { currency: TestCurrency; from: Slot; to: Slot; units: number }[] }
  | { type: 'unbalanced'; currency: TestCurrency; from: Slot; to: Slot; units: number; offBy: 1 | -1 }
  | { type: 'misscaled'; currency: TestCurrency; from: Slot; to: Slot; units: number; extraDigit: number }
  | { type: 'zero'; currency: TestCurrency; from: Slot; to: Slot; units: number }
  | { type: 'raw'; via: 'post_entries' | 'post_entry'; variant: 'unbalanced' | 'misscaled' | 'zero' | 'single'; currency: TestCurrency; from: Slot; to: Slot; units: number }
  | { type: 'replay'; pick: number; reformat: boolean }
  | { type: 'reuseKey'; pick: number; change: 'description' | 'reverse' | 'amount' };

const slotArbitrary: fc.Arbitrary<Slot> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('available' as const), partner: fc.nat({ max: partnerCount - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('debt' as const), partner: fc.nat({ max: partnerCount - 1 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('platform' as const), bucket: fc.constantFrom('pool_funding' as const, 'payout_clearing' as const) }) },
);
const currencyArbitrary = fc.constantFrom(...currencies);
const unitsArbitrary = fc.integer({ min: 1, max: 30_000 });
const transferArbitrary = fc.record({ currency: currencyArbitrary, from: slotArbitrary, to: slotArbitrary, units: unitsArbitrary });
const legArbitrary = fc.record({
  slot: slotArbitrary,
  currency: currencyArbitrary,
  units: fc.integer({ min: -30_000, max: 30_000 }).filter((units) => units !== 0),
});

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 8, arbitrary: transferArbitrary.map((transfer) => ({ type: 'transfer' as const, ...transfer })) },
  { weight: 3, arbitrary: fc.array(legArbitrary, { minLength: 1, maxLength: 5 }).map((legs) => ({ type: 'multi' as const, legs })) },
  { weight: 2, arbitrary: fc.array(transferArbitrary, { minLength: 2, maxLength: 4 }).map((transfers) => ({ type: 'batch' as const, transfers })) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('unbalanced' as const), currency: currencyArbitrary, from: slotArbitrary, to: slotArbitrary, units: unitsArbitrary, offBy: fc.constantFrom(1 as const, -1 as const) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('misscaled' as const), currency: currencyArbitrary, from: slotArbitrary, to: slotArbitrary, units: unitsArbitrary, extraDigit: fc.integer({ min: 1, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('zero' as const), currency: currencyArbitrary, from: slotArbitrary, to: slotArbitrary, units: unitsArbitrary }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('raw' as const), via: fc.constantFrom('post_entries' as const, 'post_entry' as const), variant: fc.constantFrom('unbalanced' as const, 'misscaled' as const, 'zero' as const, 'single' as const), currency: currencyArbitrary, from: slotArbitrary, to: slotArbitrary, units: unitsArbitrary }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('replay' as const), pick: fc.nat(), reformat: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('reuseKey' as const), pick: fc.nat(), change: fc.constantFrom('description' as const, 'reverse' as const, 'amount' as const) }) },
);

/** What the model expects of one operation. */
type Expectation =
  | { outcome: 'posted'; entries: EntryInput[] }
  | { outcome: 'replayed'; entries: EntryInput[]; original: PostedEntry }
  | { outcome: 'input refused' }
  | { outcome: 'insufficient funds'; accounts: AccountRef[] }
  | { outcome: 'idempotency conflict'; key: string }
  | { outcome: 'database refused'; message: RegExp };

interface Posted {
  entry: EntryInput;
  result: PostedEntry;
}

function transferInput(run: Run, key: string, transfer: { currency: TestCurrency; from: Slot; to: Slot; units: number }): EntryInput {
  const amount = minorUnits(transfer.units, transfer.currency);
  return {
    idempotencyKey: key,
    kind: 'transfer',
    description: `step ${key}`,
    postings: [
      { account: accountOf(run, transfer.from, transfer.currency), amount: `-${amount}` },
      { account: accountOf(run, transfer.to, transfer.currency), amount },
    ],
  };
}

/** Legs plus, per currency, one closing leg so that each currency sums to zero (unless it already does). */
function multiInput(run: Run, key: string, legs: Leg[]): EntryInput {
  const postings = legs.map((leg) => ({ account: accountOf(run, leg.slot, leg.currency), amount: minorUnits(leg.units, leg.currency) }));
  for (const currency of currencies) {
    const inCurrency = legs.filter((leg) => leg.currency === currency);
    const total = inCurrency.reduce((sum, leg) => sum + leg.units, 0);
    if (total !== 0) postings.push({ account: accountOf(run, { kind: 'platform', bucket: 'pool_funding' }, currency), amount: minorUnits(-total, currency) });
  }
  // A single leg that already sums to zero cannot happen (legs are non-zero), so there are always two postings.
  return { idempotencyKey: key, kind: 'adjustment', metadata: { legs: legs.length }, postings };
}

/** The operation as store calls, and what the model says each must do. */
function plan(run: Run, model: LedgerModel, history: Posted[], key: string, operation: Operation): { call: () => Promise<unknown>; expect: Expectation } {
  const { store } = run;
  switch (operation.type) {
    case 'transfer':
    case 'multi':
    case 'batch': {
      const entries =
        operation.type === 'transfer'
          ? [transferInput(run, key, operation)]
          : operation.type === 'multi'
            ? [multiInput(run, key, operation.legs)]
            : operation.transfers.map((transfer, index) => transferInput(run, `${key}.${index}`, transfer));
      const violated = model.violations(entries);
      return {
        call: () => store.postEntries(entries),
        expect: violated.length > 0 ? { outcome: 'insufficient funds', accounts: violated } : { outcome: 'posted', entries },
      };
    }
    case 'unbalanced': {
      const entry = transferInput(run, key, operation);
      const credit = new Money(entry.postings[1]!.amount).plus(minorUnits(operation.offBy, operation.currency));
      // Off by one minor unit; when that makes the credit zero, off by one the other way.
      entry.postings[1]!.amount = (credit.isZero() ? credit.plus(minorUnits(2, operation.currency)) : credit).toFixed();
      return { call: () => store.postEntry(entry), expect: { outcome: 'input refused' } };
    }
    case 'misscaled': {
      // One decimal place finer than the currency allows: '0.001' USD, '0.5' JPY, '0.000000001' BTC.
      const finer = new Money(operation.units * 10 + operation.extraDigit).dividedBy(new Money(10).pow(currencyScale(operation.currency) + 1));
      const entry = transferInput(run, key, operation);
      entry.postings[0]!.amount = finer.negated().toFixed();
      entry.postings[1]!.amount = finer.toFixed();
      return { call: () => store.postEntry(entry), expect: { outcome: 'input refused' } };
    }
    case 'zero': {
      const entry = transferInput(run, key, operation);
      entry.postings.push({ account: accountOf(run, { kind: 'available', partner: 0 }, operation.currency), amount: '0' });
      return { call: () => store.postEntry(entry), expect: { outcome: 'input refused' } };
    }
    case 'raw': {
      // Straight to post_entries or post_entry as the application role: the database refuses what LedgerStore would have.
      const amount = minorUnits(operation.units, operation.currency);
      const finer = new Money(amount).plus(new Money(1).dividedBy(new Money(10).pow(currencyScale(operation.currency) + 1))).toFixed();
      const amounts = {
        unbalanced: [`-${amount}`, new Money(amount).plus(minorUnits(1, operation.currency)).toFixed()],
        misscaled: [`-${finer}`, finer],
        zero: [`-${amount}`, amount, '0'],
        single: [amount],
      }[operation.variant];
      const message = {
        unbalanced: /does not sum to zero/,
        // post_entries checks its input first; the commit-time check (for the owner's direct inserts) words it
        // slightly differently.
        misscaled: /finer than/,
        zero: /zero or missing amount|postings_amount_check/,
        // One non-zero posting can never sum to zero; either refusal is right.
        single: /fewer than 2 postings|at least 2 are required|does not sum to zero/,
      }[operation.variant];
      const accounts = [
        accountOf(run, { kind: 'platform', bucket: 'pool_funding' }, operation.currency),
        accountOf(run, { kind: 'platform', bucket: 'payout_clearing' }, operation.currency),
        accountOf(run, { kind: 'platform', bucket: 'payout_clearing' }, operation.currency),
      ].slice(0, amounts.length);
      return {
        call: async () => {
          const accountIds = await store.accountIds(accounts);
          if (operation.via === 'post_entries') {
            await application.query(
              `SELECT * FROM post_entries($1::text[], $2::bytea[], $3::text[], $4::text[], $5::jsonb[], $6::bigint[],
                                          $7::int[], $8::bigint[], $9::numeric[])`,
              [[key], [randomBytes(32)], ['raw'], [''], ['{}'], [null], amounts.map(() => 1), accountIds, amounts],
            );
          } else {
            await application.query(
              `SELECT * FROM post_entry($1::text, $2::bytea, $3::text, $4::text, $5::jsonb, $6::bigint, $7::bigint[], $8::numeric[])`,
              [key, randomBytes(32), 'raw', '', '{}', null, accountIds, amounts],
            );
          }
        },
        expect: { outcome: 'database refused', message },
      };
    }
    case 'replay': {
      const original = history[operation.pick % Math.max(history.length, 1)];
      if (!original) return plan(run, model, history, key, { type: 'raw', via: 'post_entry', variant: 'single', currency: 'USD', from: { kind: 'platform', bucket: 'pool_funding' }, to: { kind: 'platform', bucket: 'pool_funding' }, units: 1 });
      // The same business input, possibly written differently ('10' for '10.00'): it hashes the same.
      const entry: EntryInput = operation.reformat
        ? { ...original.entry, postings: original.entry.postings.map((posting) => ({ ...posting, amount: new Money(posting.amount).toFixed() })) }
        : structuredClone(original.entry);
      return { call: () => store.postEntry(entry), expect: { outcome: 'replayed', entries: [entry], original: original.result } };
    }
    case 'reuseKey': {
      const original = history[operation.pick % Math.max(history.length, 1)];
      if (!original) return plan(run, model, history, key, { type: 'zero', currency: 'USD', from: { kind: 'platform', bucket: 'pool_funding' }, to: { kind: 'available', partner: 0 }, units: 1 });
      const entry: EntryInput = structuredClone(original.entry);
      if (operation.change === 'description') entry.description = `${entry.description ?? ''} (changed)`;
      if (operation.change === 'reverse') entry.postings = entry.postings.map((posting) => ({ ...posting, amount: new Money(posting.amount).negated().toFixed() }));
      if (operation.change === 'amount') {
        entry.postings = entry.postings.map((posting) => ({ ...posting, amount: new Money(posting.amount).times(2).toFixed() }));
      }
      return { call: () => store.postEntry(entry), expect: { outcome: 'idempotency conflict', key: entry.idempotencyKey } };
    }
  }
}

async function settle(call: () => Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error };
  }
}

describe('ledger properties', () => {
  it('after every step of a random sequence of postings, refusals and replays, the store agrees with a decimal model and the invariants hold', async () => {
    const outcomesSeen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(operationArbitrary, { minLength: 1, maxLength: 25 }), async (operations) => {
        // Arrange: a fresh set of accounts for this run; the database keeps every earlier run's history.
        const run = newRun();
        const model = new LedgerModel();
        const history: Posted[] = [];
        const base = await historyCounts(owner);

        for (const [step, operation] of operations.entries()) {
          const key = `${run.id}:${step}`;
          const planned = plan(run, model, history, key, operation);
          const context = `step ${step}: ${JSON.stringify(operation)}`;

          // Act
          const result = await settle(planned.call);

          // Assert: the outcome the model predicts, and for a refusal the reason.
          const expectation = planned.expect;
          outcomesSeen.set(expectation.outcome, (outcomesSeen.get(expectation.outcome) ?? 0) + 1);
          if (expectation.outcome === 'posted') {
            expect(result.ok ? undefined : result.error, context).toBeUndefined();
            const posted = (result as { value: PostedEntry[] }).value;
            expect(posted.map((entry) => entry.created), context).toEqual(expectation.entries.map(() => true));
            expect(new Set(posted.map((entry) => entry.entryId)).size, `${context}: one entry id per entry`).toBe(posted.length);
            model.apply(expectation.entries);
            expectation.entries.forEach((entry, index) => history.push({ entry, result: posted[index]! }));
          } else if (expectation.outcome === 'replayed') {
            expect(result.ok ? undefined : result.error, context).toBeUndefined();
            expect(result.ok && result.value, context).toEqual({ ...expectation.original, created: false });
          } else {
            expect(result.ok, `${context}: expected ${expectation.outcome}, but it was posted`).toBe(false);
            const error = (result as { error: unknown }).error;
            if (expectation.outcome === 'input refused') expect(error, context).toBeInstanceOf(LedgerInputError);
            if (expectation.outcome === 'idempotency conflict') {
              expect(error, context).toBeInstanceOf(IdempotencyConflictError);
              expect((error as IdempotencyConflictError).idempotencyKey, context).toBe(expectation.key);
            }
            if (expectation.outcome === 'database refused') {
              expect((error as { code?: string }).code, `${context}: ${String(error)}`).toBe('23514');
              expect(String((error as Error).message), context).toMatch(expectation.message);
            }
            if (expectation.outcome === 'insufficient funds') {
              expect(error, context).toBeInstanceOf(InsufficientFundsError);
              // The error names an account the model says would be overdrawn (or pushed over its ceiling).
              const violatedIds = await run.store.accountIds(expectation.accounts);
              expect(violatedIds, context).toContain((error as InsufficientFundsError).accountId);
            }
          }

          // Assert: nothing but what the model applied is in the ledger, and the invariants hold.
          expect(await historyCounts(owner), `${context}: entries and postings`).toEqual({
            entries: base.entries + model.entries,
            postings: base.postings + model.postings,
          });
          expect(await reportedBalances(run), `${context}: balances`).toEqual(model.expectedBalances(run));
          await assertLedgerInvariants(owner);
        }
      }),
      { numRuns: 30 },
    );
    // The generator reached every kind of outcome, so the property above is not vacuous for any of them.
    expect([...outcomesSeen.keys()].sort()).toEqual(
      ['database refused', 'idempotency conflict', 'input refused', 'insufficient funds', 'posted', 'replayed'],
    );
  });

  it('when writers post at the same time on separate connections, each operation is applied whole or not at all and the balances are the sum of the ones that succeeded', async () => {
    const concurrentOperation = fc.record({
      transfer: fc.record({
        currency: fc.constantFrom('USD' as const, 'JPY' as const),
        from: fc.oneof(
          { weight: 4, arbitrary: fc.record({ kind: fc.constant('available' as const), partner: fc.nat({ max: partnerCount - 1 }) }) },
          { weight: 1, arbitrary: fc.constant({ kind: 'platform' as const, bucket: 'pool_funding' as const }) },
        ),
        to: fc.oneof(
          { weight: 2, arbitrary: fc.record({ kind: fc.constant('available' as const), partner: fc.nat({ max: partnerCount - 1 }) }) },
          { weight: 2, arbitrary: fc.constant({ kind: 'platform' as const, bucket: 'payout_clearing' as const }) },
        ),
        units: fc.integer({ min: 1, max: 6_000 }),
      }),
      // Some operations reuse the key of another one in the same burst: with the same input (a retry) or not.
      sharesKeyWith: fc.option(fc.record({ index: fc.nat(), sameInput: fc.boolean() }), { freq: 3 }),
    });

    const outcomesSeen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: partnerCount * 2, maxLength: partnerCount * 2 }),
        fc.array(concurrentOperation, { minLength: 4, maxLength: 14 }),
        async (funding, operations) => {
          // Arrange: every account exists and the partners are funded before the burst.
          const run = newRun();
          const model = new LedgerModel();
          const fundingEntries = run.partners.flatMap((_, partner) =>
            (['USD', 'JPY'] as const).map((currency, index) =>
              transferInput(run, `${run.id}:fund:${partner}:${currency}`, {
                currency,
                from: { kind: 'platform', bucket: 'pool_funding' },
                to: { kind: 'available', partner },
                units: funding[partner * 2 + index]! + 1,
              }),
            ),
          );
          await run.store.postEntries(fundingEntries);
          model.apply(fundingEntries);
          await run.store.accountIds((['USD', 'JPY'] as const).map((currency) => accountOf(run, { kind: 'platform', bucket: 'payout_clearing' }, currency)));

          const entries: EntryInput[] = [];
          for (const [index, operation] of operations.entries()) {
            const shared = operation.sharesKeyWith && index > 0 ? entries[operation.sharesKeyWith.index % index]! : undefined;
            if (shared && operation.sharesKeyWith!.sameInput) {
              entries.push(structuredClone(shared));
            } else {
              entries.push(transferInput(run, shared ? shared.idempotencyKey : `${run.id}:burst:${index}`, operation.transfer));
            }
          }

          // Act: all at once, each call on its own pool connection.
          const results = await Promise.all(entries.map((entry) => settle(() => run.store.postEntry(entry))));
          for (const result of results) {
            outcomesSeen.add(result.ok ? ((result.value as PostedEntry).created ? 'created' : 'replayed') : (result.error as Error).constructor.name);
          }

          // Assert: per idempotency key, at most one entry was created and every success names it.
          const byKey = new Map<string, number[]>();
          entries.forEach((entry, index) => byKey.set(entry.idempotencyKey, [...(byKey.get(entry.idempotencyKey) ?? []), index]));
          const applied: EntryInput[] = [];
          for (const [key, indexes] of byKey) {
            const successes = indexes.filter((index) => results[index]!.ok);
            const created = successes.filter((index) => (results[index] as { value: PostedEntry }).value.created);
            expect(created.length, `key ${key}: entries created`).toBeLessThanOrEqual(1);
            if (successes.length > 0) expect(created.length, `key ${key}: a success without a created entry`).toBe(1);
            const winner = created[0];
            for (const index of successes) {
              expect((results[index] as { value: PostedEntry }).value.entryId, `key ${key}`).toBe((results[winner!] as { value: PostedEntry }).value.entryId);
              expect(entryInputHash(entries[index]!).equals(entryInputHash(entries[winner!]!)), `key ${key}: a different input was accepted`).toBe(true);
            }
            for (const index of indexes.filter((index) => !results[index]!.ok)) {
              const error = (results[index] as { error: unknown }).error;
              if (error instanceof IdempotencyConflictError) {
                // Refused as a conflict only because an entry with other input holds the key.
                expect(winner, `key ${key}: conflict without an entry holding the key`).toBeDefined();
                expect(entryInputHash(entries[index]!).equals(entryInputHash(entries[winner!]!)), `key ${key}`).toBe(false);
              } else {
                expect(error, `operation ${index} (${key}) failed with an unexpected error`).toBeInstanceOf(InsufficientFundsError);
              }
            }
            if (winner !== undefined) applied.push(entries[winner]!);
          }
          model.apply(applied);

          expect(await reportedBalances(run), 'balances after the burst').toEqual(model.expectedBalances(run));
          await assertLedgerInvariants(owner);
        },
      ),
      { numRuns: 25 },
    );
    expect([...outcomesSeen].sort()).toEqual(['IdempotencyConflictError', 'InsufficientFundsError', 'created', 'replayed']);
  });
});
