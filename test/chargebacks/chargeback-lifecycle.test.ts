import { randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createChargebackActivities } from '../../activities/chargebacks.ts';
import { CommissionRelease } from '../../modules/commissions/commission-release.ts';
import { orderRefundState } from '../../modules/refunds/order-refunds.ts';
import { partnerFlags } from '../../modules/partner-flags/partner-flags-store.ts';
import { providerActor } from '../../domain/chargeback.ts';
import { Money } from '../../domain/money.ts';
import { signatureHeaderName, signWebhook } from '../../providers/webhooks.ts';
import { chargebackWorkflowId, getChargebackStateQuery } from '../../workflows/chargeback-messages.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { adjustmentKit } from '../adjustments/kit.ts';

/**
 * Chargebacks (docs/rules.md#chargebacks) with the real API, Postgres and a Temporal worker: a provider notice (admin entry or signed
 * webhook) opens `chargeback-<id>`, which reverses the order's commissions at once and flags the seller; the
 * investigation's steps are tracked; WON re-credits what was reversed (PAID: debt repaid first, then available),
 * LOST keeps the reversal and the order's claim, PARTIAL re-credits the share won. Duplicate notices open nothing.
 */

const webhookSecret = `whsec_${randomBytes(12).toString('hex')}`;
let api: ApiHarness;
let kit: ReturnType<typeof adjustmentKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let release: CommissionRelease;
const workflowIds = new Set<string>();
const unique = () => randomBytes(4).toString('hex');
const past = () => new Date(Date.now() - 20 * 86_400_000);

beforeAll(async () => {
  api = await createApiHarness({ providerWebhookSecret: webhookSecret });
  kit = adjustmentKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  release = new CommissionRelease(api.database, api.dependencies.ledger);
  // The admins who hear of chargebacks.
  await api.createAdmin('admin');
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

async function partner(rank: string, sponsor: string | null = null): Promise<string> {
  const id = `p_${unique()}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
    VALUES (${id}, ${id}, ${sponsor}, ${rank}, 'ACTIVE', 'APPROVED', now() - interval '1 year')`);
  return id;
}

async function completeOrder(seller: string, amount: string, completedAt = new Date()): Promise<string> {
  const orderId = `order-${unique()}`;
  const { token } = await kit.admin('finance_manager');
  const response = await api.request('/v1/events', {
    token, body: { externalId: `ev-${unique()}`, kind: 'ORDER_COMPLETED', sourceId: orderId, partnerId: seller, completedAt: completedAt.toISOString(), amount, currency: 'USD' },
  });
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

/** Balances with `debt` as what the partner owes (a positive amount). */
async function balances(partnerId: string) {
  const row = await kit.balances(partnerId);
  const shown = (value: string) => new Money(value).toFixed(2);
  return {
    commission_pending: shown(row.commission_pending), commission_approved: shown(row.commission_approved), available: shown(row.available),
    debt: new Money(row.debt).negated().toFixed(2),
  };
}

interface ChargebackView {
  id: string; workflowId: string; status: string; amount: string; partnerId: string | null; partnerChargebackCount: number | null; duplicate?: boolean;
  reversed: { count: number; total: string; entryId: string | null };
  decision: { outcome: string; amountWon: string; recreditedTotal: string; decidedBy: string } | null;
  steps: { sequence: number; step: string; note: string | null; recordedBy: string }[];
  reversals: { commissionId: string; partnerId: string; statusBefore: string; amount: string; recredited: string; recreditStatus: string | null }[];
  order: { refunded: string; refundable: string };
}

async function openByAdmin(body: Record<string, unknown>): Promise<Response> {
  const { token } = await kit.admin('admin');
  return api.request('/v1/chargebacks', { token, body: { currency: 'USD', reasonCode: '10.4', providerReference: `cb-${unique()}`, ...body } });
}

async function read(id: string): Promise<ChargebackView> {
  const { token } = await kit.admin('financial_support');
  const response = await api.request(`/v1/chargebacks/${id}`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as ChargebackView;
}

/** Waits until the workflow has reversed the commissions and applied the penalty (the opening steps). */
async function opened(id: string): Promise<ChargebackView> {
  await kit.poll(() => api.owner.maybeOneFirst(sql.type(z.object({ applied: z.boolean() }))`
    SELECT penalty_applied_at IS NOT NULL AS applied FROM chargebacks WHERE id = ${id}`), (applied) => applied === true, `chargeback ${id} opened`);
  return read(id);
}

async function decide(id: string, body: Record<string, unknown>): Promise<Response> {
  return kit.asNew('finance_manager', `/v1/chargebacks/${id}/decision`, body);
}

const commissionsOf = async (orderId: string) => (await api.owner.any(sql.type(z.object({ partner_id: z.string(), status: z.string(), amount: z.string(), reversed_amount: z.string() }))`
  SELECT c.partner_id, c.status, c.amount::text AS amount, c.reversed_amount::text AS reversed_amount
  FROM commissions c JOIN commission_events e ON e.id = c.event_id WHERE e.source_id = ${orderId} ORDER BY c.level`))
  .map((row) => ({ ...row, amount: new Money(row.amount).toFixed(2), reversed_amount: new Money(row.reversed_amount).toFixed(2) }));

const activeKinds = async (partnerId: string) => (await partnerFlags(api.database, partnerId, { activeOnly: true })).map((flag) => flag.kind).sort();

function signed(body: unknown, secret = webhookSecret) {
  const raw = JSON.stringify(body);
  return api.request('/v1/webhooks/chargebacks', { body: raw, headers: { [signatureHeaderName]: signWebhook(raw, secret) } });
}

describe('a chargeback WON', () => {
  it('reverses every commission at open (PAID: available, then debt), tracks the investigation, and re-credits them in full when won', async () => {
    const sponsor = await partner('5');
    const seller = await partner('2', sponsor);
    const orderId = await completeOrder(seller, '5000.00', past());
    await release.releaseDue(new Date());
    await release.payBatch(`test-${unique()}`, new Date());
    await spend(seller, '350.00');
    const sellerBefore = await balances(seller);
    const sponsorBefore = await balances(sponsor);
    expect(sellerBefore).toEqual({ commission_pending: '0.00', commission_approved: '0.00', available: '50.00', debt: '0.00' });
    expect(sponsorBefore).toEqual({ commission_pending: '0.00', commission_approved: '0.00', available: '300.00', debt: '0.00' });

    const response = await openByAdmin({ orderId, amount: '5000.00', note: 'card holder says: not received' });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = (await response.json()) as ChargebackView;
    workflowIds.add(created.workflowId);
    expect(created).toMatchObject({ status: 'OPEN', partnerId: seller, partnerChargebackCount: 1, duplicate: false });

    const open = await opened(created.id);
    expect(open.reversed).toMatchObject({ count: 2, total: '700.00' });
    expect(open.order).toMatchObject({ refunded: '5000.00', refundable: '0.00' });
    // Seller: 50.00 of the 400.00 clawback from available, 350.00 as debt; sponsor: 300.00 from available.
    expect(await balances(seller)).toEqual({ commission_pending: '0.00', commission_approved: '0.00', available: '0.00', debt: '350.00' });
    expect(await balances(sponsor)).toEqual({ commission_pending: '0.00', commission_approved: '0.00', available: '0.00', debt: '0.00' });
    expect((await commissionsOf(orderId)).map((row) => row.status)).toEqual(['REVERSED', 'REVERSED']);
    expect(await activeKinds(seller)).toEqual(['CHARGEBACK', 'CHARGEBACK_WARNING']);
    expect(await kit.auditCount('CHARGEBACK_OPEN', created.id)).toBe(1);
    const openedNotices = await api.owner.anyFirst(sql.type(z.object({ subject: z.string() }))`
      SELECT subject FROM notifications WHERE kind = 'CHARGEBACK_OPENED' AND dedupe_key = ${`chargeback-opened:${created.id}`}`);
    expect(openedNotices).toEqual([`Chargeback of 5000.00 USD on order ${orderId}`]);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);

    // The investigation, step by step, with who and when; queryable on the workflow too.
    for (const step of ['EVIDENCE_GATHERED', 'SUBMITTED_TO_PROVIDER', 'AWAITING_DECISION']) {
      const { admin, token } = await kit.admin('senior_admin');
      const stepped = await api.request(`/v1/chargebacks/${created.id}/steps`, { token, body: { step, note: `${step.toLowerCase()} by ${admin.email}` } });
      expect(stepped.status, await stepped.clone().text()).toBe(200);
      expect(((await stepped.json()) as ChargebackView).steps.at(-1)).toMatchObject({ step, recordedBy: admin.id });
    }
    const behind = await api.request(`/v1/chargebacks/${created.id}/steps`, { token: (await kit.admin('admin')).token, body: { step: 'EVIDENCE_GATHERED' } });
    expect(behind.status).toBe(409);
    expect(await errorOf(behind)).toMatchObject({ code: 'invalid_step', field: 'body.step' });
    const state = await api.dependencies.temporal.workflow.getHandle(created.workflowId).query(getChargebackStateQuery);
    expect(state).toMatchObject({ status: 'AWAITING_DECISION', penalty: 'WARNING', partnerSequence: 1 });
    expect(state.steps.map((step) => step.step)).toEqual(['EVIDENCE_GATHERED', 'SUBMITTED_TO_PROVIDER', 'AWAITING_DECISION']);

    // A decision needs a fresh TOTP code.
    const { token } = await kit.admin('finance_manager');
    const withoutTotp = await api.request(`/v1/chargebacks/${created.id}/decision`, { token, body: { outcome: 'WON' } });
    expect(withoutTotp.status).toBe(401);
    const won = await decide(created.id, { outcome: 'WON', note: 'provider ruled for the merchant' });
    expect(won.status, await won.clone().text()).toBe(200);
    const decided = (await won.json()) as ChargebackView;
    expect(decided).toMatchObject({ status: 'WON', decision: { outcome: 'WON', amountWon: '5000.00', recreditedTotal: '700.00' } });
    expect(decided.reversals.map((line) => [line.partnerId, line.statusBefore, line.amount, line.recredited, line.recreditStatus])).toEqual([
      [seller, 'PAID', '400.00', '400.00', 'PAID'], [sponsor, 'PAID', '300.00', '300.00', 'PAID'],
    ]);
    expect(decided.order).toMatchObject({ refunded: '0.00', refundable: '5000.00' });
    // Money back where it came from: the seller's debt repaid first, the rest to available; balances as before.
    expect(await balances(seller)).toEqual(sellerBefore);
    expect(await balances(sponsor)).toEqual(sponsorBefore);
    expect(await commissionsOf(orderId)).toEqual([
      { partner_id: seller, status: 'PAID', amount: '400.00', reversed_amount: '0.00' },
      { partner_id: sponsor, status: 'PAID', amount: '300.00', reversed_amount: '0.00' },
    ]);
    // The CHARGEBACK flag is cleared; the penalty (a warning) stays: the chargeback still counts.
    expect(await activeKinds(seller)).toEqual(['CHARGEBACK_WARNING']);
    expect(await kit.auditCount('CHARGEBACK_DECIDE', created.id)).toBe(1);
    expect(await kit.entryCount(`chargeback-recredit:${created.id}`)).toBe(1);
    const decidedNotices = await api.owner.anyFirst(sql.type(z.object({ recipient_kind: z.string() }))`
      SELECT recipient_kind FROM notifications WHERE kind = 'CHARGEBACK_DECIDED' AND dedupe_key LIKE ${`chargeback-decided:${created.id}:%`} ORDER BY recipient_kind`);
    expect(decidedNotices).toEqual(['admin_role', 'partner']);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);

    const again = await decide(created.id, { outcome: 'LOST' });
    expect(again.status).toBe(409);
    await kit.recordHistory(created.workflowId, 'chargeback-won');
  });
});

describe('a chargeback LOST', () => {
  it('keeps the reversal of PENDING commissions and the order claim, and clears the CHARGEBACK flag', async () => {
    const sponsor = await partner('5');
    const seller = await partner('2', sponsor);
    const orderId = await completeOrder(seller, '1000.00');
    expect(await balances(seller)).toMatchObject({ commission_pending: '80.00' });
    expect(await balances(sponsor)).toMatchObject({ commission_pending: '60.00' });

    const response = await openByAdmin({ orderId, amount: '1000.00' });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = (await response.json()) as ChargebackView;
    workflowIds.add(created.workflowId);
    await opened(created.id);
    expect(await balances(seller)).toMatchObject({ commission_pending: '0.00', available: '0.00', debt: '0.00' });
    expect(await balances(sponsor)).toMatchObject({ commission_pending: '0.00' });
    expect(await activeKinds(seller)).toEqual(['CHARGEBACK', 'CHARGEBACK_WARNING']);

    const lost = await decide(created.id, { outcome: 'LOST', note: 'provider ruled for the card holder' });
    expect(lost.status, await lost.clone().text()).toBe(200);
    const decided = (await lost.json()) as ChargebackView;
    expect(decided).toMatchObject({ status: 'LOST', decision: { outcome: 'LOST', amountWon: '0.00', recreditedTotal: '0.00' } });
    expect(decided.order).toMatchObject({ refunded: '1000.00', refundable: '0.00' });
    expect(await balances(seller)).toMatchObject({ commission_pending: '0.00', available: '0.00', debt: '0.00' });
    expect(await balances(sponsor)).toMatchObject({ commission_pending: '0.00' });
    expect((await commissionsOf(orderId)).map((row) => row.status)).toEqual(['REVERSED', 'REVERSED']);
    expect(await activeKinds(seller)).toEqual(['CHARGEBACK_WARNING']);
    expect(await kit.entryCount(`chargeback-recredit:${created.id}`)).toBe(0);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await kit.recordHistory(created.workflowId, 'chargeback-lost');
  });
});

describe('a chargeback by the provider’s signed webhook, decided PARTIAL', () => {
  it('reverses APPROVED commissions proportionally and re-credits the share won into commission_approved', async () => {
    const sponsor = await partner('5');
    const seller = await partner('2', sponsor);
    const orderId = await completeOrder(seller, '1000.00', past());
    await release.releaseDue(new Date());
    expect(await balances(seller)).toMatchObject({ commission_approved: '80.00' });
    expect(await balances(sponsor)).toMatchObject({ commission_approved: '60.00' });
    const providerReference = `cb-${unique()}`;

    const notice = { type: 'chargeback.opened', eventId: `evt-${unique()}`, orderId, amount: '400.00', currency: 'USD', providerReference, reasonCode: '13.1' };
    const received = await signed(notice);
    expect(received.status, await received.clone().text()).toBe(200);
    const { chargebackId, duplicate } = (await received.json()) as { chargebackId: string; duplicate: boolean };
    expect(duplicate).toBe(false);
    workflowIds.add(chargebackWorkflowId(chargebackId));
    const open = await opened(chargebackId);
    // 400 / 1,000 of each commission: 32.00 and 24.00.
    expect(open.reversed).toMatchObject({ count: 2, total: '56.00' });
    expect(await balances(seller)).toMatchObject({ commission_approved: '48.00' });
    expect(await balances(sponsor)).toMatchObject({ commission_approved: '36.00' });

    // The same notice delivered again opens nothing.
    const redelivered = await signed({ ...notice, eventId: `evt-${unique()}` });
    expect(await redelivered.json()).toEqual({ received: true, chargebackId, duplicate: true });

    const decision = await signed({ type: 'chargeback.decided', eventId: `evt-${unique()}`, providerReference, outcome: 'PARTIAL', amountWon: '100.00' });
    expect(decision.status, await decision.clone().text()).toBe(200);
    const decided = await read(chargebackId);
    // 100 / 400 of each reversal comes back: 8.00 and 6.00; the claim keeps the 300.00 lost.
    expect(decided).toMatchObject({ status: 'PARTIAL', decision: { outcome: 'PARTIAL', amountWon: '100.00', recreditedTotal: '14.00', decidedBy: 'system:provider-webhook' } });
    expect(decided.order).toMatchObject({ refunded: '300.00', refundable: '700.00' });
    expect(await balances(seller)).toMatchObject({ commission_approved: '56.00' });
    expect(await balances(sponsor)).toMatchObject({ commission_approved: '42.00' });
    expect(await commissionsOf(orderId)).toEqual([
      { partner_id: seller, status: 'APPROVED', amount: '80.00', reversed_amount: '24.00' },
      { partner_id: sponsor, status: 'APPROVED', amount: '60.00', reversed_amount: '18.00' },
    ]);
    expect(await activeKinds(seller)).toEqual(['CHARGEBACK_WARNING']);
    // The decision delivered again changes nothing.
    const again = await signed({ type: 'chargeback.decided', eventId: `evt-${unique()}`, providerReference, outcome: 'PARTIAL', amountWon: '100.00' });
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect(await kit.entryCount(`chargeback-recredit:${chargebackId}`)).toBe(1);

    // Retried activities (as Temporal retries them after a lost answer) post nothing twice.
    const activities = createChargebackActivities({ database: api.database, ledger: api.dependencies.ledger });
    expect(await activities.openChargeback({ chargebackId, debtLimit: '500' })).toMatchObject({ reversedCount: 2, reversedTotal: '56.00' });
    const { policy } = await api.dependencies.policies.active();
    expect(await activities.applyChargebackPenalty({ chargebackId, penalties: policy.chargebacks.penalties, monitoringPeriod: '30d' })).toMatchObject({ penalty: 'WARNING' });
    expect(await activities.decideChargeback({ chargebackId, outcome: 'PARTIAL', amountWon: '100.00', note: null, actor: providerActor })).toMatchObject({ status: 'PARTIAL' });
    await expect(activities.decideChargeback({ chargebackId, outcome: 'WON', amountWon: null, note: null, actor: providerActor })).rejects.toThrow(/is PARTIAL/);
    expect(await kit.entryCount(`chargeback-reverse:${chargebackId}`)).toBe(1);
    expect(await kit.entryCount(`chargeback-recredit:${chargebackId}`)).toBe(1);
    expect(await kit.auditCount('CHARGEBACK_PENALTY', seller)).toBe(1);
    expect(await kit.auditCount('CHARGEBACK_DECIDE', chargebackId)).toBe(1);
    expect(await balances(seller)).toMatchObject({ commission_approved: '56.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await kit.recordHistory(chargebackWorkflowId(chargebackId), 'chargeback-partial-webhook');
  });
});

describe('notices that open nothing', () => {
  it('a duplicate admin entry (same provider reference) answers the first chargeback and claims nothing more', async () => {
    const seller = await partner('3');
    const orderId = await completeOrder(seller, '200.00');
    const providerReference = `cb-${unique()}`;
    const first = await openByAdmin({ orderId, amount: '50.00', providerReference });
    expect(first.status).toBe(201);
    const created = (await first.json()) as ChargebackView;
    workflowIds.add(created.workflowId);
    const second = await openByAdmin({ orderId, amount: '50.00', providerReference });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ id: created.id, duplicate: true });
    const count = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM chargebacks WHERE provider_reference = ${providerReference}`);
    expect(count).toBe(1);
    expect(new Money((await orderRefundState(api.database, orderId)).refunded).toFixed(2)).toBe('50.00');
    await opened(created.id);
    expect(await kit.auditCount('CHARGEBACK_OPEN', created.id)).toBe(1);
    // The same reference for another order is a conflict naming it.
    const otherOrder = await completeOrder(seller, '10.00');
    const conflict = await openByAdmin({ orderId: otherOrder, amount: '5.00', providerReference });
    expect(conflict.status).toBe(409);
    expect(await errorOf(conflict)).toMatchObject({ field: 'body.providerReference' });
  });

  it('a chargeback beyond what is left of the order is refused naming the amount, and writes nothing', async () => {
    const seller = await partner('3');
    const orderId = await completeOrder(seller, '100.00');
    const { token } = await kit.admin('admin');
    const post = (body: Record<string, unknown>) => api.request('/v1/chargebacks', { token, body: { currency: 'USD', reasonCode: '10.4', providerReference: `cb-${unique()}`, ...body } });
    const before = await api.countRows();
    const response = await post({ orderId, amount: '100.01' });
    expect(response.status).toBe(409);
    expect(await errorOf(response)).toMatchObject({ code: 'chargeback_exceeds_order', field: 'body.amount' });
    const unknown = await post({ orderId: `order-${unique()}`, amount: '1.00' });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ field: 'body.orderId' });
    expect(await api.countRows()).toEqual(before);
  });

  it('a webhook with a wrong signature is refused (401) and opens nothing', async () => {
    const seller = await partner('3');
    const orderId = await completeOrder(seller, '100.00');
    const providerReference = `cb-${unique()}`;
    const body = { type: 'chargeback.opened', eventId: `evt-${unique()}`, orderId, amount: '10.00', currency: 'USD', providerReference, reasonCode: '4837' };
    const forged = await signed(body, 'not-the-secret');
    expect(forged.status).toBe(401);
    expect(await errorOf(forged)).toMatchObject({ code: 'invalid_signature', field: signatureHeaderName });
    const unsigned = await api.request('/v1/webhooks/chargebacks', { body });
    expect(unsigned.status).toBe(401);
    expect(await api.owner.maybeOne(sql.unsafe`SELECT id FROM chargebacks WHERE provider_reference = ${providerReference}`)).toBeNull();
    expect(new Money((await orderRefundState(api.database, orderId)).refunded).toFixed(2)).toBe('0.00');
  });

  it('a partner reads only the chargebacks on their own orders; a partner cannot open one', async () => {
    const seller = await partner('3');
    const orderId = await completeOrder(seller, '100.00');
    const response = await openByAdmin({ orderId, amount: '10.00' });
    const created = (await response.json()) as ChargebackView;
    workflowIds.add(created.workflowId);
    const own = await api.signIn(await api.createPartnerUser(seller));
    const other = await api.signIn(await api.createPartnerUser());
    expect((await api.request(`/v1/chargebacks/${created.id}`, { token: own })).status).toBe(200);
    expect((await api.request(`/v1/chargebacks/${created.id}`, { token: other })).status).toBe(403);
    const list = (await (await api.request('/v1/chargebacks', { token: own })).json()) as { data: { id: string }[] };
    expect(list.data.map((row) => row.id)).toEqual([created.id]);
    const byPartner = await api.request('/v1/chargebacks', { token: own, body: { orderId, amount: '1.00', currency: 'USD', providerReference: `cb-${unique()}`, reasonCode: 'x' } });
    expect(byPartner.status).toBe(403);
  });
});
