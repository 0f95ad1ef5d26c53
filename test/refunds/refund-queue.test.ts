import { randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CommissionRelease } from '../../modules/commissions/commission-release.ts';
import { createRefundActivities } from '../../activities/refunds.ts';
import { createApiHarness, errorOf, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { adjustmentKit } from '../adjustments/kit.ts';

/**
 * The refund queue (docs/rules.md#refunds) through the real API, Postgres and a Temporal worker:
 * each refund is workflow `refund-<id>`; on approval every commission of the order, at every level, is reversed,
 * proportionally for a partial refund (docs/rules.md#proportional-reversal: 1,000 × 0.25 = 250) and by each commission's status.
 */

let api: ApiHarness;
let kit: ReturnType<typeof adjustmentKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let requester: { admin: TestAdmin; token: string };
const workflowIds = new Set<string>();
const unique = () => randomBytes(4).toString('hex');

beforeAll(async () => {
  api = await createApiHarness();
  kit = adjustmentKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  requester = await kit.admin('financial_support');
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

/** A chain, top first: each partner sponsors the next. Returns the ids top first. */
async function chain(...ranks: string[]): Promise<string[]> {
  const prefix = `c${unique()}`;
  const ids = ranks.map((_, index) => `${prefix}-${index}`);
  for (const [index, rank] of ranks.entries()) {
    await api.owner.query(sql.unsafe`
      INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
      VALUES (${ids[index]!}, ${ids[index]!}, ${index === 0 ? null : ids[index - 1]!}, ${rank}, 'ACTIVE', 'APPROVED', now() - interval '1 year')`);
  }
  return ids;
}

interface Commission { id: string; partnerId: string; level: number; amount: string }

async function completeOrder(seller: string, amount: string, completedAt = new Date()): Promise<{ orderId: string; commissions: Commission[] }> {
  const { token } = await kit.admin('finance_manager');
  const orderId = `order-${unique()}`;
  const response = await api.request('/v1/events', {
    token,
    body: { externalId: `ev-${unique()}`, kind: 'ORDER_COMPLETED', sourceId: orderId, partnerId: seller, customerId: 'customer-7', completedAt: completedAt.toISOString(), amount, currency: 'USD' },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const body = (await response.json()) as { commissions: Commission[] };
  return { orderId, commissions: body.commissions };
}

interface RefundView {
  id: string; workflowId: string; status: string; decidedBy: string | null; type: string; reversal: string; amount: string; orderTotal: string; overdue: boolean;
  partnerId: string | null; customerId: string | null;
  reversed: { entryId: string | null; count: number; total: string };
  order?: { total: string; refunded: string; refundable: string };
  reversals?: { commissionId: string; partnerId: string; level: number; statusBefore: string; amount: string }[];
}

async function requestRefund(body: Record<string, unknown>, token = requester.token): Promise<Response> {
  const response = await api.request('/v1/refunds', { token, body });
  if (response.status === 202) workflowIds.add(((await response.clone().json()) as RefundView).workflowId);
  return response;
}

async function requested(body: Record<string, unknown>): Promise<RefundView> {
  const response = await requestRefund(body);
  expect(response.status, await response.clone().text()).toBe(202);
  return (await response.json()) as RefundView;
}

async function decide(refundId: string, action: 'approve' | 'reject', body: Record<string, unknown> = {}, role: 'admin' | 'finance_manager' = 'admin'): Promise<Response> {
  const { admin, token } = await kit.admin(role);
  return api.request(`/v1/refunds/${refundId}/${action}`, { token, headers: { 'x-totp-code': await api.nextTotp(admin) }, body });
}

async function approved(refundId: string): Promise<RefundView> {
  const response = await decide(refundId, 'approve');
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as RefundView;
}

const statusOf = (ids: string[]) => api.owner.any(sql.type(z.object({ id: z.string(), status: z.string(), reversed_amount: z.string() }))`
  SELECT id::text, status, round(reversed_amount, 2)::text AS reversed_amount FROM commissions WHERE id = ANY(${sql.array(ids, 'int8')}) ORDER BY id`);

describe('a partial refund (docs/rules.md#proportional-reversal: 1,000 × 0.25 = 250) at every level of a multi-level order', () => {
  it('PARTIAL_DAMAGE of 2,500 on a 10,000 order reverses a quarter of every commission of the order, at all four levels', async () => {
    // Rank 3 seller (10 %) under ranks 5, 7 and 11: 1,000 (level 1), then the differentials 400, 300 and 300.
    const [top, third, second, seller] = await chain('11', '7', '5', '3');
    const { orderId, commissions } = await completeOrder(seller!, '10000.00');
    expect(commissions.map((line) => [line.partnerId, line.level, line.amount])).toEqual([
      [seller, 1, '1000.00'], [second, 2, '400.00'], [third, 3, '300.00'], [top, 4, '300.00'],
    ]);

    const refund = await requested({ orderId, amount: '2500.00', reason: 'PARTIAL_DAMAGE', note: 'two of eight items broken' });
    expect(refund).toMatchObject({ status: 'PENDING', type: 'PARTIAL', reversal: 'PROPORTIONAL', amount: '2500.00', orderTotal: '10000.00', partnerId: seller, customerId: 'customer-7', overdue: false });
    // Nothing moves before the decision.
    expect((await kit.balances(seller!)).commission_pending).toBe('1000.00');

    const done = await approved(refund.id);
    expect(done).toMatchObject({ status: 'PROCESSED', reversed: { count: 4, total: '500.00' }, order: { total: '10000.00', refunded: '2500.00', refundable: '7500.00' } });
    expect(done.reversals!.map((line) => [line.partnerId, line.level, line.statusBefore, line.amount])).toEqual([
      [seller, 1, 'PENDING', '250.00'], [second, 2, 'PENDING', '100.00'], [third, 3, 'PENDING', '75.00'], [top, 4, 'PENDING', '75.00'],
    ]);
    expect((await kit.balances(seller!)).commission_pending).toBe('750.00');
    expect((await kit.balances(second!)).commission_pending).toBe('300.00');
    expect((await kit.balances(third!)).commission_pending).toBe('225.00');
    expect((await kit.balances(top!)).commission_pending).toBe('225.00');
    // A partial reversal keeps each commission's status; what is left moves on through release and pay.
    expect((await statusOf(commissions.map((line) => line.id))).map((row) => [row.status, row.reversed_amount])).toEqual([
      ['PENDING', '250.00'], ['PENDING', '100.00'], ['PENDING', '75.00'], ['PENDING', '75.00'],
    ]);

    // The workflow's search attributes are current; every step is audited; each partner was told.
    const description = await api.dependencies.temporal.workflow.getHandle(refund.workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.searchAttributes).toMatchObject({ Status: ['PROCESSED'], PartnerId: [seller], Currency: ['USD'], Amount: [2500] });
    for (const action of ['REFUND_REQUEST', 'REFUND_APPROVE', 'REFUND_PROCESS']) expect(await kit.auditCount(action, refund.id)).toBe(1);
    const reverseAudits = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM audit_records WHERE action = 'COMMISSION_REVERSE' AND entry_id = ${done.reversed.entryId}`);
    expect(reverseAudits).toBe(4);
    const notified = await api.owner.anyFirst(sql.type(z.object({ partner_id: z.string() }))`
      SELECT partner_id FROM notifications WHERE kind = 'COMMISSIONS_REVERSED' AND dedupe_key LIKE ${`%:refund:${refund.id}:%`} ORDER BY partner_id`);
    expect([...notified]).toEqual([seller, second, third, top].sort());

    // A retried activity (its first attempt committed) finds its own work: no second entry, audit or decision.
    const activities = createRefundActivities({ database: api.database, ledger: api.dependencies.ledger });
    const entries = () => api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM journal_entries`);
    const entriesBefore = await entries();
    const approver = done.decidedBy!;
    expect(await activities.processRefund({ refundId: refund.id, actor: { userId: approver, role: 'admin' }, debtLimit: '500' }))
      .toMatchObject({ reversedCount: 4, reversedTotal: '500.00', entryId: done.reversed.entryId });
    expect(await activities.recordRefundDecision({ refundId: refund.id, decision: 'APPROVED', actor: { userId: approver, role: 'admin' }, reason: null })).toEqual({ status: 'PROCESSED' });
    expect(await entries()).toBe(entriesBefore);
    for (const action of ['REFUND_APPROVE', 'REFUND_PROCESS']) expect(await kit.auditCount(action, refund.id)).toBe(1);

    // A partner reads the refunds of their own orders, only their own reversal lines; not other partners'.
    const partnerUser = await api.createPartnerUser(seller!);
    const partnerToken = await api.signIn(partnerUser);
    const own = (await (await api.request(`/v1/refunds/${refund.id}`, { token: partnerToken })).json()) as RefundView;
    expect(own.reversals!.map((line) => line.partnerId)).toEqual([seller]);
    const list = await api.request('/v1/refunds', { token: partnerToken });
    expect(((await list.json()) as { data: RefundView[] }).data.map((row) => row.id)).toEqual([refund.id]);
    const upline = await api.signIn(await api.createPartnerUser(top!));
    expect((await api.request(`/v1/refunds/${refund.id}`, { token: upline })).status).toBe(403);
    expect((await api.request(`/v1/refunds?partnerId=${seller}`, { token: upline })).status).toBe(403);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('the reversal mapping by commission status', () => {
  it('PENDING is cancelled out of commission_pending, APPROVED deducted from commission_approved, PAID clawed back from available', async () => {
    const release = new CommissionRelease(api.database, api.dependencies.ledger);
    const past = new Date(Date.now() - 20 * 86_400_000);
    // PAID: released and paid by the pay batch.
    const [paidSponsor, paidSeller] = await chain('5', '2');
    const paidOrder = await completeOrder(paidSeller!, '1000.00', past);
    await release.releaseDue(new Date());
    await release.payBatch(`test-${unique()}`, new Date());
    // APPROVED: released, not yet paid.
    const [approvedSponsor, approvedSeller] = await chain('5', '2');
    const approvedOrder = await completeOrder(approvedSeller!, '1000.00', past);
    await release.releaseDue(new Date());
    // PENDING: still in its hold.
    const [pendingSponsor, pendingSeller] = await chain('5', '2');
    const pendingOrder = await completeOrder(pendingSeller!, '1000.00');

    expect(await kit.balances(paidSeller!)).toMatchObject({ available: '80.00', commission_approved: '0.00' });
    expect(await kit.balances(approvedSeller!)).toMatchObject({ commission_approved: '80.00' });
    expect(await kit.balances(pendingSeller!)).toMatchObject({ commission_pending: '80.00' });

    for (const order of [paidOrder, approvedOrder, pendingOrder]) {
      const refund = await requested({ orderId: order.orderId, reason: 'PRODUCT_DEFECTIVE' });
      expect(refund).toMatchObject({ type: 'FULL', reversal: 'FULL', amount: '1000.00' });
      const done = await approved(refund.id);
      expect(done).toMatchObject({ status: 'PROCESSED', reversed: { count: 2, total: '140.00' } });
      expect(new Set(done.reversals!.map((line) => line.statusBefore)).size).toBe(1);
      expect((await statusOf(order.commissions.map((line) => line.id))).map((row) => row.status)).toEqual(['REVERSED', 'REVERSED']);
    }
    expect(await kit.balances(paidSeller!)).toMatchObject({ available: '0.00', debt: '0.00' });
    expect(await kit.balances(paidSponsor!)).toMatchObject({ available: '0.00', debt: '0.00' });
    expect(await kit.balances(approvedSeller!)).toMatchObject({ commission_approved: '0.00' });
    expect(await kit.balances(approvedSponsor!)).toMatchObject({ commission_approved: '0.00' });
    expect(await kit.balances(pendingSeller!)).toMatchObject({ commission_pending: '0.00' });
    expect(await kit.balances(pendingSponsor!)).toMatchObject({ commission_pending: '0.00' });
    const actions = await api.owner.any(sql.type(z.object({ action: z.string(), status_before: z.string() }))`
      SELECT DISTINCT action, details->>'statusBefore' AS status_before FROM audit_records
      WHERE target_type = 'commission' AND action IN ('COMMISSION_REVERSE', 'COMMISSION_CLAWBACK')
        AND target_id = ANY(${sql.array([paidOrder, approvedOrder, pendingOrder].flatMap((order) => order.commissions.map((line) => line.id)), 'text')})
      ORDER BY 1, 2`);
    expect(actions).toEqual([
      { action: 'COMMISSION_CLAWBACK', status_before: 'PAID' },
      { action: 'COMMISSION_REVERSE', status_before: 'APPROVED' },
      { action: 'COMMISSION_REVERSE', status_before: 'PENDING' },
    ]);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('the total refunded never exceeds the order', () => {
  it('a request beyond what is left is a 409 naming amount and writes nothing; a second request for refunded money moves nothing; a rejection releases the claim', async () => {
    const [, seller] = await chain('5', '3');
    const { orderId } = await completeOrder(seller!, '10000.00');
    const first = await requested({ orderId, amount: '2500.00', reason: 'BUYER_REMORSE' });
    // A partial amount is proportional whatever the reason.
    expect(first).toMatchObject({ type: 'PARTIAL', reversal: 'PROPORTIONAL' });

    const partnerToken = await api.signIn(await api.createPartnerUser(seller!));
    const count = (table: string) => api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM ${sql.identifier([table])}`);
    const before = { refunds: await count('refunds'), audit: await count('audit_records'), entries: await count('journal_entries') };
    // 2,500 is claimed by the pending request: 8,000 more is beyond the 7,500 left.
    const beyond = await requestRefund({ orderId, amount: '8000.00', reason: 'WRONG_ITEM' });
    expect(beyond.status).toBe(409);
    expect(await errorOf(beyond)).toMatchObject({ code: 'refund_exceeds_order', field: 'body.amount' });
    const unknown = await requestRefund({ orderId: 'no-such-order', reason: 'WRONG_ITEM' });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).field).toBe('body.orderId');
    const badReason = await requestRefund({ orderId, reason: 'CHANGED_MIND' });
    expect(badReason.status).toBe(400);
    expect((await errorOf(badReason)).field).toBe('body.reason');
    const tooFine = await requestRefund({ orderId, amount: '1.005', reason: 'WRONG_ITEM' });
    expect(tooFine.status).toBe(422);
    expect((await errorOf(tooFine)).field).toBe('body.amount');
    // Partners do not request refunds.
    expect((await requestRefund({ orderId, reason: 'WRONG_ITEM' }, partnerToken)).status).toBe(403);
    expect({ refunds: await count('refunds'), audit: await count('audit_records'), entries: await count('journal_entries') }).toEqual(before);

    // The requester cannot approve their own; an approval needs a fresh TOTP code. Neither consumes the request.
    const own = await api.request(`/v1/refunds/${first.id}/approve`, { token: requester.token, headers: { 'x-totp-code': await api.nextTotp(requester.admin) }, body: {} });
    expect(own.status).toBe(403);
    expect((await errorOf(own)).code).toBe('forbidden');
    // A second pending request for 100 more claims it too (2,600 of 10,000 now claimed).
    const goodwillRequest = await requested({ orderId, amount: '100.00', reason: 'GOODWILL' });
    const supervisor = await kit.admin('admin');
    const noCode = await api.request(`/v1/refunds/${first.id}/approve`, { token: supervisor.token, body: {} });
    expect(noCode.status).toBe(401);
    expect((await errorOf(noCode)).field).toBe('X-TOTP-Code');
    const rejectedWithoutReason = await decide(first.id, 'reject', {});
    expect(rejectedWithoutReason.status).toBe(400);

    // Rejected: the claim is released, nothing was reversed, the workflow completes.
    const rejection = await decide(first.id, 'reject', { reason: 'the customer kept the goods' });
    expect(rejection.status, await rejection.clone().text()).toBe(200);
    expect(await rejection.json()).toMatchObject({ status: 'REJECTED', decisionReason: 'the customer kept the goods', reversed: { count: 0, entryId: null }, order: { refunded: '100.00', refundable: '9900.00' } });
    expect(await kit.auditCount('REFUND_REJECT', first.id)).toBe(1);
    expect((await kit.balances(seller!)).commission_pending).toBe('1000.00');
    await kit.recordHistory(first.workflowId, 'refund-rejected');
    const late = await decide(first.id, 'approve');
    expect(late.status).toBe(409);
    const goodwill = await decide(goodwillRequest.id, 'reject', { reason: 'not needed' });
    expect(goodwill.status).toBe(200);

    // The whole order (amount omitted), approved; then a second request for money already refunded moves nothing.
    const full = await requested({ orderId, reason: 'NON_DELIVERY' });
    expect(full).toMatchObject({ type: 'FULL', reversal: 'FULL', amount: '10000.00' });
    const processed = await approved(full.id);
    expect(processed).toMatchObject({ status: 'PROCESSED', reversed: { count: 2 }, order: { refunded: '10000.00', refundable: '0.00' } });
    await kit.recordHistory(full.workflowId, 'refund-approved-processed');
    const entriesAfter = await count('journal_entries');
    const again = await requestRefund({ orderId, reason: 'NON_DELIVERY' });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).field).toBe('body.amount');
    const more = await requestRefund({ orderId, amount: '0.01', reason: 'GOODWILL' });
    expect(more.status).toBe(409);
    expect((await errorOf(more)).field).toBe('body.amount');
    expect(await count('journal_entries')).toBe(entriesAfter);

    // The queue: filters and keyset paging.
    const { token: reader } = await kit.admin('financial_support');
    const byOrder = (await (await api.request(`/v1/refunds?orderId=${orderId}`, { token: reader })).json()) as { data: RefundView[] };
    expect(byOrder.data.map((row) => [row.id, row.status])).toEqual([[full.id, 'PROCESSED'], [goodwillRequest.id, 'REJECTED'], [first.id, 'REJECTED']]);
    const page1 = (await (await api.request(`/v1/refunds?orderId=${orderId}&limit=2`, { token: reader })).json()) as { data: RefundView[]; nextCursor: string };
    const page2 = (await (await api.request(`/v1/refunds?orderId=${orderId}&limit=2&cursor=${page1.nextCursor}`, { token: reader })).json()) as { data: RefundView[] };
    expect([...page1.data, ...page2.data].map((row) => row.id)).toEqual([full.id, goodwillRequest.id, first.id]);
    const rejectedOnly = (await (await api.request(`/v1/refunds?orderId=${orderId}&status=REJECTED&reason=BUYER_REMORSE`, { token: reader })).json()) as { data: RefundView[] };
    expect(rejectedOnly.data.map((row) => row.id)).toEqual([first.id]);
    expect((await api.request('/v1/refunds?cursor=garbage', { token: reader })).status).toBe(400);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('the requester of a refund cannot approve it (403 before any TOTP is consumed); another admin can', async () => {
    const [, seller] = await chain('5', '3');
    const { orderId } = await completeOrder(seller!, '200.00');
    const maker = await kit.admin('admin');
    const response = await requestRefund({ orderId, reason: 'WRONG_ITEM' }, maker.token);
    expect(response.status).toBe(202);
    const refund = (await response.json()) as RefundView;
    const own = await api.request(`/v1/refunds/${refund.id}/approve`, { token: maker.token, headers: { 'x-totp-code': await api.nextTotp(maker.admin) }, body: {} });
    expect(own.status).toBe(403);
    expect((await errorOf(own)).code).toBe('maker_checker');
    expect(await approved(refund.id)).toMatchObject({ status: 'PROCESSED' });
  });

  it('two concurrent requests for more than the order together: one is recorded, the other refused', async () => {
    const [, seller] = await chain('5', '3');
    const { orderId } = await completeOrder(seller!, '1000.00');
    const responses = await Promise.all([
      requestRefund({ orderId, amount: '600.00', reason: 'PARTIAL_DAMAGE' }),
      requestRefund({ orderId, amount: '600.00', reason: 'PARTIAL_DAMAGE' }),
    ]);
    expect(responses.map((response) => response.status).sort()).toEqual([202, 409]);
    const refunded = await api.owner.oneFirst(sql.type(z.object({ refunded: z.string() }))`
      SELECT refunded_amount::text AS refunded FROM commission_events WHERE kind = 'ORDER_COMPLETED' AND source_id = ${orderId}`);
    expect(Number(refunded)).toBe(600);
  });
});
