import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import type { AccountRef, EntryInput, PartnerBucket, PlatformBucket } from '../../domain/ledger.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';

let api: ApiHarness;
let ledger: LedgerStore;
let adminToken: string;

beforeAll(async () => {
  api = await createApiHarness();
  // A store of its own on the application pool, as the worker's activities would post.
  ledger = new LedgerStore(api.database);
  adminToken = await api.signIn(await api.createAdmin('financial_support'));
});

afterEach(async () => {
  await assertLedgerInvariants(api.testDatabase.ownerUrl);
});

afterAll(async () => {
  await api?.close();
});

const partnerAccount = (partnerId: string, bucket: PartnerBucket, currency = 'USD'): AccountRef => ({
  ownerType: 'partner',
  ownerId: partnerId,
  bucket,
  currency,
});
const platformAccount = (bucket: PlatformBucket, currency = 'USD'): AccountRef => ({
  ownerType: 'platform',
  ownerId: 'platform',
  bucket,
  currency,
});

let entryNumber = 0;
function entry(kind: string, postings: [AccountRef, string][]): EntryInput {
  entryNumber += 1;
  return {
    idempotencyKey: `api-test-${entryNumber}-${kind}`,
    kind,
    description: `${kind} #${entryNumber}`,
    postings: postings.map(([account, amount]) => ({ account, amount })),
  };
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

interface BalancesBody {
  balances: {
    currency: string;
    commissionPending: string;
    commissionApproved: string;
    available: string;
    payoutReserved: string;
    held: string;
    debt: string;
  }[];
  asOf: string | null;
}

describe('GET /v1/partners/:id/balances', () => {
  it('answers each bucket per currency as decimal strings, debt as the positive amount owed', async () => {
    const partnerId = await api.createPartner();
    await ledger.postEntry(entry('bonus', [[platformAccount('bonus_expense'), '-100.00'], [partnerAccount(partnerId, 'available'), '100.00']]));
    await ledger.postEntry(entry('hold', [[partnerAccount(partnerId, 'available'), '-30.00'], [partnerAccount(partnerId, 'held'), '30.00']]));
    await ledger.postEntry(entry('commission', [
      [platformAccount('commission_expense', 'USDT'), '-12.345678'],
      [partnerAccount(partnerId, 'commission_pending', 'USDT'), '12.345678'],
    ]));
    await ledger.postEntry(entry('clawback', [[partnerAccount(partnerId, 'debt'), '-5.50'], [platformAccount('adjustments'), '5.50']]));

    const response = await api.request(`/v1/partners/${partnerId}/balances`, { token: adminToken });
    expect(response.status).toBe(200);
    const body = (await response.json()) as BalancesBody;
    expect(body.asOf).toBeNull();
    expect(body.balances).toHaveLength(2);
    expect(body.balances.find((row) => row.currency === 'USD')).toEqual({
      currency: 'USD',
      commissionPending: '0.00',
      commissionApproved: '0.00',
      available: '70.00',
      payoutReserved: '0.00',
      held: '30.00',
      debt: '5.50',
    });
    expect(body.balances.find((row) => row.currency === 'USDT')).toEqual({
      currency: 'USDT',
      commissionPending: '12.345678',
      commissionApproved: '0.000000',
      available: '0.000000',
      payoutReserved: '0.000000',
      held: '0.000000',
      debt: '0.000000',
    });
  });

  it('for a partner with no postings, answers an empty list', async () => {
    const partnerId = await api.createPartner();
    const response = await api.request(`/v1/partners/${partnerId}/balances`, { token: adminToken });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ balances: [], asOf: null });
  });

  it('with asOf a past instant, answers the balances as they were then', async () => {
    const partnerId = await api.createPartner();
    const first = await ledger.postEntry(
      entry('bonus', [[platformAccount('bonus_expense'), '-40.00'], [partnerAccount(partnerId, 'available'), '40.00']]),
    );
    // Postings keep microseconds and a Date only milliseconds: the instant after the first entry's millisecond.
    const between = new Date(first.createdAt.getTime() + 1);
    await sleep(20);
    await ledger.postEntry(entry('bonus', [[platformAccount('bonus_expense'), '-2.50'], [partnerAccount(partnerId, 'available'), '2.50']]));
    await ledger.postEntry(entry('hold', [[partnerAccount(partnerId, 'available'), '-10.00'], [partnerAccount(partnerId, 'held'), '10.00']]));

    const now = (await (await api.request(`/v1/partners/${partnerId}/balances`, { token: adminToken })).json()) as BalancesBody;
    expect(now.balances).toEqual([expect.objectContaining({ currency: 'USD', available: '32.50', held: '10.00' })]);

    const response = await api.request(`/v1/partners/${partnerId}/balances?asOf=${encodeURIComponent(between.toISOString())}`, {
      token: adminToken,
    });
    expect(response.status).toBe(200);
    const then = (await response.json()) as BalancesBody;
    expect(then.asOf).toBe(between.toISOString());
    expect(then.balances).toEqual([
      {
        currency: 'USD',
        commissionPending: '0.00',
        commissionApproved: '0.00',
        available: '40.00',
        payoutReserved: '0.00',
        held: '0.00',
        debt: '0.00',
      },
    ]);

    const beforeEverything = new Date(first.createdAt.getTime() - 60_000).toISOString();
    const empty = (await (
      await api.request(`/v1/partners/${partnerId}/balances?asOf=${encodeURIComponent(beforeEverything)}`, { token: adminToken })
    ).json()) as BalancesBody;
    expect(empty.balances.every((row) => row.available === '0.00' && row.held === '0.00')).toBe(true);
  });

  it('with asOf given in another time zone offset, answers the same instant in UTC', async () => {
    const partnerId = await api.createPartner();
    const response = await api.request(`/v1/partners/${partnerId}/balances?asOf=${encodeURIComponent('2024-01-01T03:00:00+03:00')}`, {
      token: adminToken,
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as BalancesBody).asOf).toBe('2024-01-01T00:00:00.000Z');
  });
});

describe('GET /v1/partners/:id/ledger', () => {
  it('pages through every posting newest first with limit and nextCursor, none lost or repeated', async () => {
    const partnerId = await api.createPartner();
    const otherPartnerId = await api.createPartner();
    // Seven entries: some posted one by one, some in one call (they share a timestamp, so the order falls to the
    // entry id), and two that touch two of the partner's buckets each (two postings in one entry).
    await ledger.postEntry(entry('bonus', [[platformAccount('bonus_expense'), '-10.00'], [partnerAccount(partnerId, 'available'), '10.00']]));
    await ledger.postEntries([
      entry('bonus', [[platformAccount('bonus_expense'), '-1.00'], [partnerAccount(partnerId, 'available'), '1.00']]),
      entry('bonus', [[platformAccount('bonus_expense'), '-2.00'], [partnerAccount(partnerId, 'available'), '2.00']]),
      entry('bonus', [[platformAccount('bonus_expense'), '-3.00'], [partnerAccount(otherPartnerId, 'available'), '3.00']]),
    ]);
    await ledger.postEntry(entry('hold', [[partnerAccount(partnerId, 'available'), '-4.00'], [partnerAccount(partnerId, 'held'), '4.00']]));
    await ledger.postEntry(entry('bonus', [[platformAccount('bonus_expense'), '-5.00'], [partnerAccount(partnerId, 'available'), '5.00']]));
    await ledger.postEntry(entry('release', [[partnerAccount(partnerId, 'held'), '-4.00'], [partnerAccount(partnerId, 'available'), '4.00']]));
    const expectedPostings = 1 + 2 + 2 + 1 + 2;

    const pages: { postings: { entryId: string; line: number; amount: string; createdAt: string; bucket: string }[]; nextCursor: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: '3', ...(cursor ? { cursor } : {}) });
      const response = await api.request(`/v1/partners/${partnerId}/ledger?${query}`, { token: adminToken });
      expect(response.status).toBe(200);
      const page = (await response.json()) as (typeof pages)[number];
      pages.push(page);
      cursor = page.nextCursor;
      expect(pages.length).toBeLessThan(10);
    } while (cursor);

    const postings = pages.flatMap((page) => page.postings);
    expect(pages.slice(0, -1).every((page) => page.postings.length === 3)).toBe(true);
    expect(postings).toHaveLength(expectedPostings);
    const keys = postings.map((posting) => `${posting.entryId}/${posting.line}`);
    expect(new Set(keys).size).toBe(expectedPostings);

    // Newest first: (createdAt, entry id, line) never increases from one posting to the next.
    for (let index = 1; index < postings.length; index += 1) {
      const previous = postings[index - 1]!;
      const current = postings[index]!;
      const order =
        Date.parse(previous.createdAt) - Date.parse(current.createdAt) ||
        Number(previous.entryId) - Number(current.entryId) ||
        previous.line - current.line;
      expect(order, `${keys[index - 1]} before ${keys[index]}`).toBeGreaterThan(0);
    }

    // The same postings as one page, in the same order.
    const whole = await api.request(`/v1/partners/${partnerId}/ledger?limit=500`, { token: adminToken });
    const all = (await whole.json()) as (typeof pages)[number];
    expect(all.nextCursor).toBeNull();
    expect(all.postings).toEqual(postings);
    expect(postings[0]).toMatchObject({ amount: '4.00', bucket: 'available' });
  });

  it('without a limit, answers up to 50 postings and no cursor when they all fit', async () => {
    const partnerId = await api.createPartner();
    await ledger.postEntry(entry('bonus', [[platformAccount('bonus_expense'), '-7.00'], [partnerAccount(partnerId, 'available'), '7.00']]));
    const response = await api.request(`/v1/partners/${partnerId}/ledger`, { token: adminToken });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      postings: [
        {
          entryId: expect.any(String),
          line: 2,
          kind: 'bonus',
          description: expect.stringMatching(/^bonus #\d+$/),
          bucket: 'available',
          currency: 'USD',
          amount: '7.00',
          createdAt: expect.any(String),
        },
      ],
      nextCursor: null,
    });
  });
});
