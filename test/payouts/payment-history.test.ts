import { randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { detailsChangedSince } from '../../modules/payouts/details-change.ts';
import type { AdminRole } from '../../domain/access.ts';
import { isTerminalPayoutStatus, type PayoutStatus } from '../../domain/payout.ts';
import { createApiHarness, errorOf, someUuid, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';

let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let adminToken: string;
const payoutIds = new Set<string>();

interface Payout {
  id: string;
  status: PayoutStatus;
  amount: string;
  detailsHash: string;
}

interface Payment {
  id: string;
  partnerId: string;
  partnerName: string;
  status: PayoutStatus;
  amount: string;
  fee: string;
  amountToTransfer: string;
  paymentDetails: Record<string, string>;
  externalReference: string | null;
  detailsChange: { changed: boolean; changedFields: string[]; previousPayoutId: string | null };
}

interface Page {
  payments: Payment[];
  nextCursor: string | null;
}

/** A partner (joined a month ago) with a session and 1,000 USD available. */
async function partner(name: string) {
  const partnerId = `p_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, ${name}, '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
  await api.dependencies.ledger.postEntry({
    idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
    kind: 'bonus',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: '-1000.00' },
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount: '1000.00' },
    ],
  });
  return { partnerId, token: await api.signIn(await api.createPartnerUser(partnerId)) };
}

async function waitForStatus(payoutId: string, expected: PayoutStatus): Promise<Payout> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const payout = (await (await api.request(`/v1/payouts/${payoutId}`, { token: adminToken })).json()) as Payout;
    if (payout.status === expected) return payout;
    if (Date.now() > deadline || isTerminalPayoutStatus(payout.status)) throw new Error(`payout ${payoutId} is ${payout.status}, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A bank-transfer payout of 100 USD by the partner, once it awaits approval. */
async function bankPayout(who: { partnerId: string; token: string }, details: Record<string, string>): Promise<Payout> {
  const response = await api.request('/v1/payouts', {
    token: who.token,
    body: { partnerId: who.partnerId, amount: '100', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: details },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const created = (await response.json()) as Payout;
  payoutIds.add(created.id);
  return waitForStatus(created.id, 'AWAITING_APPROVAL');
}

/** A decision by a newly created admin of the role, with a fresh TOTP code. */
async function decide(payoutId: string, action: string, body: Record<string, unknown> = {}, role: AdminRole = 'admin') {
  const actor = await api.createAdmin(role);
  const token = await api.signIn(actor);
  const response = await api.request(`/v1/payouts/${payoutId}/${action}`, { token, headers: { 'x-totp-code': await api.nextTotp(actor) }, body });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function history(query: string, token = adminToken): Promise<Page> {
  const response = await api.request(`/v1/payment-history${query}`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Page;
}

const ids = (page: Page) => page.payments.map((payment) => payment.id);

let anna: { partnerId: string; token: string };
let bob: { partnerId: string; token: string };
let paid: Payout;
let pending: Payout;
let bobs: Payout;

beforeAll(async () => {
  api = await createApiHarness();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
  adminToken = await api.signIn(await api.createAdmin('financial_support'));

  // Anna is paid once to one account, then asks to be paid to another; Bob has one request open.
  // The checklist holds a payout whose account holder is not the partner's KYC name.
  anna = await partner('Анна Иванова');
  bob = await partner('Bob Stone');
  paid = await bankPayout(anna, { accountName: 'Анна Иванова', accountNumber: '11112222', routingNumber: '021000021' });
  await decide(paid.id, 'approve', { amount: paid.amount, detailsHash: paid.detailsHash });
  await decide(paid.id, 'process', { externalReference: 'BANK-REF-7781' });
  await decide(paid.id, 'complete');
  await waitForStatus(paid.id, 'COMPLETED');
  pending = await bankPayout(anna, { accountName: 'Анна Иванова', accountNumber: '99990000', routingNumber: '021000021' });
  bobs = await bankPayout(bob, { accountName: 'Bob Stone', accountNumber: '11113333', routingNumber: '021000021' });
});

afterAll(async () => {
  await Promise.allSettled(
    [...payoutIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(`payout-${id}`);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

describe('changed payment details (docs/rules.md#details-changed)', () => {
  it('a payout to other details than the partner’s last completed payout names the fields that changed', async () => {
    expect(await detailsChangedSince(api.database, pending.id)).toEqual({ changedFields: ['accountNumber'], previousPayoutId: paid.id });
  });

  it('a first payout, and one whose partner was never paid, have nothing to compare with', async () => {
    expect(await detailsChangedSince(api.database, paid.id)).toEqual({ changedFields: [], previousPayoutId: null });
    expect(await detailsChangedSince(api.database, bobs.id)).toEqual({ changedFields: [], previousPayoutId: null });
  });

  it('an unknown payout is an error, not "nothing changed"', async () => {
    await expect(detailsChangedSince(api.database, someUuid())).rejects.toThrow(/does not exist/);
  });
});

describe('payments history', () => {
  it('lists payouts newest first with their own copy of the details and the change warning', async () => {
    const page = await history('');
    expect(ids(page)).toEqual([bobs.id, pending.id, paid.id]);
    const [, second, third] = page.payments;
    expect(second).toMatchObject({
      partnerId: anna.partnerId,
      partnerName: 'Анна Иванова',
      amount: '100.00',
      fee: '5.00',
      amountToTransfer: '95.00',
      paymentDetails: { accountName: 'Анна Иванова', accountNumber: '99990000', routingNumber: '021000021' },
      detailsChange: { changed: true, changedFields: ['accountNumber'], previousPayoutId: paid.id },
    });
    expect(third).toMatchObject({
      status: 'COMPLETED',
      externalReference: 'BANK-REF-7781',
      paymentDetails: { accountNumber: '11112222' },
      detailsChange: { changed: false, changedFields: [], previousPayoutId: null },
    });
  });

  it('filters by status and pages with a cursor', async () => {
    expect(ids(await history('?status=COMPLETED'))).toEqual([paid.id]);
    const first = await history('?limit=2');
    expect(ids(first)).toEqual([bobs.id, pending.id]);
    const second = await history(`?limit=2&cursor=${first.nextCursor}`);
    expect(ids(second)).toEqual([paid.id]);
    expect(second.nextCursor).toBeNull();
  });
});

describe('search by substring', () => {
  it.each([
    ['a payment detail value', '1111', () => [bobs.id, paid.id]],
    ['a reference, whatever its case', 'bank-ref-77', () => [paid.id]],
    ['the partner’s name, case-insensitively in Cyrillic too', 'иванова', () => [pending.id, paid.id]],
    ['the partner’s id', () => bob.partnerId.slice(2, 9), () => [bobs.id]],
    ['LIKE wildcards taken literally (%)', '%', () => []],
    ['LIKE wildcards taken literally (_)', 'Bob_', () => []],
    ['a detail key is not a value', 'accountNumber', () => []],
  ] as const)('finds by %s', async (_what, query, expected) => {
    const text = typeof query === 'function' ? query() : query;
    expect(ids(await history(`?q=${encodeURIComponent(text)}`))).toEqual(expected());
  });

  it('a partner searches only their own payouts, and may not ask for another’s', async () => {
    expect(ids(await history('?q=1111', anna.token))).toEqual([paid.id]);
    expect(ids(await history('', bob.token))).toEqual([bobs.id]);
    const response = await api.request(`/v1/payment-history?partnerId=${bob.partnerId}`, { token: anna.token });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).field).toBe('query.partnerId');
  });

  it('the detail search can use its trigram index', async () => {
    const plan = await api.owner.transaction(async (transaction) => {
      await transaction.query(sql.unsafe`SET LOCAL enable_seqscan = off`);
      return transaction.anyFirst(sql.type(z.object({ 'QUERY PLAN': z.string() }))`
        EXPLAIN SELECT id FROM payouts WHERE payout_search_text(payment_details, external_reference, provider_reference) ILIKE '%1111%'`);
    });
    expect(plan.join('\n')).toContain('payouts_search_trigram');
  });

  it.each([
    ['?q=%01x', 'query.q'],
    ['?q=', 'query.q'],
    ['?limit=0', 'query.limit'],
    ['?status=PAID', 'query.status'],
    ['?cursor=bm90LWEtY3Vyc29y', 'query.cursor'],
  ])('%s is a 400 naming %s', async (query, field) => {
    const response = await api.request(`/v1/payment-history${query}`, { token: adminToken });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe(field);
  });

  it('the ledger invariants hold', async () => {
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
