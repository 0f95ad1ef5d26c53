import { randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Money } from '../../domain/money.ts';
import { CommissionRelease } from '../../modules/commissions/commission-release.ts';
import { partnerFlags } from '../../modules/partner-flags/partner-flags-store.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { adjustmentKit } from '../adjustments/kit.ts';

/**
 * Clawbacks into debt (docs/rules.md#debt) through refunds and order cancellations,
 * with the real API, Postgres and a Temporal worker: a clawback larger than `available` takes what is there and
 * records the rest as `debt`; the next commission's payment repays it first; a debt at the policy's limit
 * (default 500 USD) flags the partner (DEBT_LIMIT), which holds their next payout.
 */

let api: ApiHarness;
let kit: ReturnType<typeof adjustmentKit>;
let payouts: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let release: CommissionRelease;
const workflowIds = new Set<string>();
const unique = () => randomBytes(4).toString('hex');
const past = () => new Date(Date.now() - 20 * 86_400_000);

beforeAll(async () => {
  api = await createApiHarness();
  kit = adjustmentKit(api);
  payouts = payoutKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  release = new CommissionRelease(api.database, api.dependencies.ledger);
  await payouts.insertRubRate();
  // Someone to tell when a partner reaches the debt limit.
  await api.createAdmin('finance_manager');
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

async function partner(rank: string, sponsor: string | null = null): Promise<string> {
  const id = `p_${unique()}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
    VALUES (${id}, ${id}, ${sponsor}, ${rank}, 'ACTIVE', 'APPROVED', now() - interval '1 year')`);
  return id;
}

async function sendEvent(body: Record<string, unknown>): Promise<Response> {
  const { token } = await kit.admin('finance_manager');
  return api.request('/v1/events', { token, body: { externalId: `ev-${unique()}`, completedAt: new Date().toISOString(), ...body } });
}

async function completeOrder(seller: string, amount: string, completedAt = new Date()): Promise<string> {
  const orderId = `order-${unique()}`;
  const response = await sendEvent({ kind: 'ORDER_COMPLETED', sourceId: orderId, partnerId: seller, completedAt: completedAt.toISOString(), amount, currency: 'USD' });
  expect(response.status, await response.clone().text()).toBe(201);
  return orderId;
}

/** The partner spends `amount` of `available` (a withdrawal that left the platform). */
async function spend(partnerId: string, amount: string): Promise<void> {
  await api.dependencies.ledger.postEntry({
    idempotencyKey: `spend-${unique()}`, kind: 'test_withdrawal',
    postings: [
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount: `-${amount}` },
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'payout_clearing', currency: 'USD' }, amount },
    ],
  });
}

/** Requests a full refund of the order and approves it (two different admins), returning the processed refund. */
async function refundInFull(orderId: string): Promise<{ id: string; workflowId: string }> {
  const maker = await kit.admin('financial_support');
  const response = await api.request('/v1/refunds', { token: maker.token, body: { orderId, reason: 'PRODUCT_DEFECTIVE' } });
  expect(response.status, await response.clone().text()).toBe(202);
  const refund = (await response.json()) as { id: string; workflowId: string };
  workflowIds.add(refund.workflowId);
  const approver = await kit.admin('finance_manager');
  const approved = await api.request(`/v1/refunds/${refund.id}/approve`, { token: approver.token, headers: { 'x-totp-code': await api.nextTotp(approver.admin) }, body: {} });
  expect(approved.status, await approved.clone().text()).toBe(200);
  expect(await approved.json()).toMatchObject({ status: 'PROCESSED' });
  return refund;
}

/** The partner's balances with `debt` as what they owe (a positive amount, as GET /v1/partners/{id}/balances shows it). */
async function balances(partnerId: string) {
  const row = await kit.balances(partnerId);
  return { ...row, debt: new Money(row.debt).negated().toFixed(2) };
}

const notices = (kind: string, partnerId: string) => api.owner.any(sql.type(z.object({ recipient_kind: z.string(), subject: z.string() }))`
  SELECT recipient_kind, subject FROM notifications WHERE kind = ${kind} AND (partner_id = ${partnerId} OR subject LIKE ${`%${partnerId}%`}) ORDER BY id`);

describe('a clawback beyond available becomes debt, repaid by the next commission', () => {
  it('a refund of a paid commission takes the 30.00 left in available and records 70.00 as debt; the next commission repays it first', async () => {
    const seller = await partner('3');
    await completeOrder(seller, '1000.00', past()).then(async (orderId) => {
      await release.releaseDue(new Date());
      await release.payBatch(`test-${unique()}`, new Date());
      expect(await balances(seller)).toMatchObject({ available: '100.00', debt: '0.00' });
      await spend(seller, '70.00');
      await refundInFull(orderId);
    });
    expect(await balances(seller)).toMatchObject({ available: '0.00', debt: '70.00' });
    const clawback = await api.owner.one(sql.type(z.object({ action: z.string(), amount: z.string() }))`
      SELECT a.action, a.amount::text FROM audit_records a JOIN commissions c ON a.target_id = c.id::text
      WHERE c.partner_id = ${seller} AND a.action = 'COMMISSION_CLAWBACK'`);
    expect(clawback).toEqual({ action: 'COMMISSION_CLAWBACK', amount: '100.00' });
    // 70.00 is below the limit (500): no flag.
    expect(await partnerFlags(api.database, seller, { activeOnly: true })).toEqual([]);
    expect(await notices('COMMISSIONS_REVERSED', seller)).toHaveLength(1);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);

    // The next commission (100.00, released and paid) repays the 70.00 first; 30.00 reaches available.
    await completeOrder(seller, '1000.00', past());
    await release.releaseDue(new Date());
    const paid = await release.payBatch(`test-${unique()}`, new Date());
    expect(Number(paid.debtRepaid)).toBeGreaterThanOrEqual(70);
    expect(await balances(seller)).toMatchObject({ available: '30.00', debt: '0.00', commission_approved: '0.00' });
    const payAudit = await api.owner.one(sql.type(z.object({ amount: z.string(), repaid: z.string() }))`
      SELECT amount::text, details->>'debtRepaid' AS repaid FROM audit_records WHERE action = 'COMMISSION_PAY' AND target_id = ${seller}
      ORDER BY id DESC LIMIT 1`);
    expect(payAudit).toEqual({ amount: '100.00', repaid: '70.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('the debt limit', () => {
  it('a refund that takes a partner’s debt to the limit flags them (DEBT_LIMIT), tells them and finance, and their next payout is HELD', async () => {
    const seller = await payouts.partnerWithLogin();
    const orderId = await completeOrder(seller.partnerId, '10000.00', past());
    await release.releaseDue(new Date());
    await release.payBatch(`test-${unique()}`, new Date());
    expect(await balances(seller.partnerId)).toMatchObject({ available: '1000.00' });
    await spend(seller.partnerId, '1000.00');

    const refund = await refundInFull(orderId);
    expect(await balances(seller.partnerId)).toMatchObject({ available: '0.00', debt: '1000.00' });
    const flags = await partnerFlags(api.database, seller.partnerId, { activeOnly: true });
    expect(flags).toEqual([expect.objectContaining({ kind: 'DEBT_LIMIT', holdsPayouts: true, sourceType: 'refund', sourceId: `${refund.id}:${seller.partnerId}` })]);
    expect(flags[0]!.reason).toMatch(/^debt 1000\.00 USD reached the limit 500 after refund/);
    const debtNotices = await notices('DEBT_LIMIT_REACHED', seller.partnerId);
    expect(debtNotices.map((notice) => notice.recipient_kind).sort()).toEqual(['admin_role', 'partner']);
    const flagAudit = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM audit_records WHERE action = 'PARTNER_FLAG' AND target_id = ${seller.partnerId}`);
    expect(flagAudit).toBe(1);

    // Money arrives (a bonus), the partner asks for a payout: the checklist holds it on the account review.
    await payouts.fund(seller.partnerId, '200.00', 'USD');
    const response = await api.request('/v1/payouts', {
      token: seller.token,
      body: { partnerId: seller.partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' } },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const payoutId = ((await response.json()) as { id: string }).id;
    workflowIds.add(`payout-${payoutId}`);
    const held = (await payouts.waitForStatus(payoutId, 'HELD')) as unknown as { checklist: { check: string; passed: boolean; action: string; detail: string }[] };
    expect(held.checklist.find((check) => check.check === 'NO_ACCOUNT_REVIEW')).toMatchObject({ passed: false, action: 'HOLD' });
    expect(held.checklist.find((check) => check.check === 'NO_ACCOUNT_REVIEW')!.detail).toMatch(/^DEBT_LIMIT: debt 1000\.00 USD/);

    // A further clawback while the flag is active raises no second flag.
    const again = await completeOrder(seller.partnerId, '100.00', past());
    await release.releaseDue(new Date());
    await release.payBatch(`test-${unique()}`, new Date());
    await refundInFull(again);
    expect(await partnerFlags(api.database, seller.partnerId, { activeOnly: true })).toHaveLength(1);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('an order cancelled before shipping (ORDER_CANCELLED) reverses at once', () => {
  it('every commission of the order is reversed without a refund request; a refund of the cancelled order is refused', async () => {
    const sponsor = await partner('5');
    const seller = await partner('2', sponsor);
    const orderId = await completeOrder(seller, '5000.00');
    expect(await balances(sponsor)).toMatchObject({ commission_pending: '300.00' });
    const cancelled = await sendEvent({ kind: 'ORDER_CANCELLED', sourceId: orderId, partnerId: null });
    expect(cancelled.status).toBe(201);
    expect(await cancelled.json()).toMatchObject({ reversed: 2 });
    expect(await balances(sponsor)).toMatchObject({ commission_pending: '0.00' });
    expect(await balances(seller)).toMatchObject({ commission_pending: '0.00' });
    expect(await notices('COMMISSIONS_REVERSED', sponsor)).toHaveLength(1);

    const { token } = await kit.admin('financial_support');
    const refused = await api.request('/v1/refunds', { token, body: { orderId, reason: 'NON_DELIVERY' } });
    expect(refused.status).toBe(409);
    expect(await errorOf(refused)).toMatchObject({ code: 'order_cancelled', field: 'body.orderId' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('a cancellation that claws a paid commission back into debt beyond the limit flags the partner (source order-cancel)', async () => {
    const seller = await partner('3');
    const orderId = await completeOrder(seller, '6000.00', past());
    await release.releaseDue(new Date());
    await release.payBatch(`test-${unique()}`, new Date());
    expect(await balances(seller)).toMatchObject({ available: '600.00' });
    await spend(seller, '550.00');
    const cancelled = await sendEvent({ kind: 'ORDER_CANCELLED', sourceId: orderId, partnerId: null });
    expect(cancelled.status).toBe(201);
    const { eventId } = (await cancelled.json()) as { eventId: string };
    expect(await balances(seller)).toMatchObject({ available: '0.00', debt: '550.00' });
    const flags = await partnerFlags(api.database, seller, { activeOnly: true });
    expect(flags).toEqual([expect.objectContaining({ kind: 'DEBT_LIMIT', sourceType: 'order-cancel', sourceId: `${eventId}:${seller}` })]);
    expect((await notices('DEBT_LIMIT_REACHED', seller)).length).toBe(2);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
