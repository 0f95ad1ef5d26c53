import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDisputeActivities } from '../../activities/disputes.ts';
import { Money } from '../../domain/money.ts';
import { getDisputeStateQuery } from '../../workflows/dispute-messages.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { disputeKit } from './kit.ts';

/**
 * Partner disputes (the decision tree in docs/rules.md#dispute-decision-tree) with the real API, Postgres and a Temporal worker:
 * out-of-window rejection, corrections posted to the ledger (calculation error closed, system error escalated),
 * explanation then escalation at the partner's request, goodwill within and above the limit, rejection, the payout
 * hold while a dispute is open (released at close without an admin), and a partner kept to their own disputes.
 */

let api: ApiHarness;
let kit: ReturnType<typeof disputeKit>;
let payouts: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = disputeKit(api);
  payouts = payoutKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await kit.insertRubRate();
  // Recipients of the admins' notices.
  await api.createAdmin('financial_support');
  await api.createAdmin('senior_admin');
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

const dayMs = 86_400_000;
const evidence = { text: 'my order total was 1,000 but the commission looks computed on 800' };
const pdf = Buffer.from('%PDF-1.4\n% statement\n').toString('base64');

async function underReview(token: string, body: Record<string, unknown>) {
  const dispute = await kit.opened(token, { evidence, ...body });
  workflowIds.add(dispute.workflowId);
  return kit.waitForStatus(dispute.id, 'UNDER_REVIEW');
}

const balancesOf = async (partnerId: string) => {
  const row = await kit.balances(partnerId);
  return { available: new Money(row.available).toFixed(2), debt: new Money(row.debt).negated().toFixed(2) };
};

describe('the decision tree', () => {
  it('rejects a dispute filed on day 31 of its transaction at once, without holding payouts', async () => {
    const partner = await kit.partnerUser();
    const commissionId = await kit.commission(partner.partnerId, '1000.00', new Date(Date.now() - 31 * dayMs));
    const opened = await kit.opened(partner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'too old', evidence });
    workflowIds.add(opened.workflowId);
    const closed = await kit.waitForStatus(opened.id, 'CLOSED');
    expect(closed).toMatchObject({ resolution: 'REJECTION', automaticReason: 'OUT_OF_WINDOW', credited: { total: '0' } });
    expect(closed.timeline.map((step) => step.kind)).toEqual(['OPENED', 'RESOLUTION']);
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(0);
    expect(await kit.auditActions(opened.id)).toEqual(['DISPUTE_OPEN', 'DISPUTE_RESOLVE']);
    expect(await kit.notifications('DISPUTE_RESOLVED', '%outside the dispute window%')).toBeGreaterThanOrEqual(1);
    const result = await api.dependencies.temporal.workflow.getHandle(opened.workflowId).result();
    expect(result).toMatchObject({ status: 'CLOSED', resolution: 'REJECTION', automaticReason: 'OUT_OF_WINDOW' });
    await kit.recordHistory(opened.workflowId, 'dispute-out-of-window');

    // Day 29 is inside the window.
    const recent = await kit.commission(partner.partnerId, '1000.00', new Date(Date.now() - 29 * dayMs));
    const inside = await underReview(partner.token, { type: 'COMMISSION', transactionRef: recent, description: 'inside' });
    expect(inside.status).toBe('UNDER_REVIEW');
  });

  it('posts a calculation-error correction to the ledger once (credit and debit), audited with the balance before and after, and closes', async () => {
    const partner = await kit.partnerUser();
    await kit.fund(partner.partnerId, '5.00');
    const commissionId = await kit.commission(partner.partnerId);
    const dispute = await underReview(partner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'the base is wrong', evidence: { ...evidence, file: { fileName: 'statement.pdf', contentType: 'application/pdf', contentBase64: pdf } } });
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(1);
    expect(dispute.evidence).toHaveLength(1);
    const file = await api.request(dispute.evidence[0]!.file!.url, { token: partner.token });
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).toString('base64')).toBe(pdf);

    const correction = { resolution: 'CORRECTION', errorKind: 'CALCULATION', amount: '12.50', currency: 'USD', note: 'the base was 800 instead of 1,000' };
    // Step-up: without a TOTP code nothing moves.
    const noCode = await kit.resolve(dispute.id, 'financial_support', correction, { totp: false });
    expect(noCode.status).toBe(401);
    expect(await errorOf(noCode)).toMatchObject({ field: 'X-TOTP-Code' });
    expect(await kit.entryCount(`dispute-${dispute.id}:%`)).toBe(0);

    const resolved = await kit.resolve(dispute.id, 'financial_support', correction);
    expect(resolved.status, await resolved.clone().text()).toBe(200);
    const closed = (await resolved.json()) as Awaited<ReturnType<typeof kit.read>>;
    expect(closed).toMatchObject({ status: 'CLOSED', resolution: 'CORRECTION', credited: { total: '12.50', currency: 'USD' } });
    expect(await balancesOf(partner.partnerId)).toEqual({ available: '17.50', debt: '0.00' });
    expect(await kit.entryCount(`dispute-${dispute.id}:%`)).toBe(1);
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(0);
    const audit = await api.owner.one(sql.type(z.object({ amount: z.string(), balance_before: z.string(), balance_after: z.string(), entry_id: z.string() }))`
      SELECT amount::text, balance_before::text, balance_after::text, entry_id::text FROM audit_records WHERE action = 'COMMISSION_ADJUST' AND target_id = ${commissionId}`);
    expect(audit).toMatchObject({ amount: '12.50', balance_before: '5.00', balance_after: '17.50' });
    expect(await kit.auditActions(dispute.id)).toEqual(['DISPUTE_OPEN', 'DISPUTE_UPDATE', 'DISPUTE_RESOLVE']);
    const platform = await api.owner.oneFirst(sql.type(z.object({ total: z.string() }))`
      SELECT coalesce(sum(p.amount), 0)::text AS total FROM postings p JOIN accounts a ON a.id = p.account_id
      WHERE p.entry_id = ${audit.entry_id} AND a.owner_type = 'platform' AND a.bucket = 'adjustments'`);
    expect(new Money(platform).toFixed(2)).toBe('-12.50');
    const state = await api.dependencies.temporal.workflow.getHandle(dispute.workflowId).query(getDisputeStateQuery);
    expect(state).toMatchObject({ status: 'CLOSED', creditedTotal: '12.5', creditedCurrency: 'USD' });
    await kit.recordHistory(dispute.workflowId, 'dispute-correction');

    // A debit correction beyond `available` takes what is there and records the rest as debt.
    const second = await underReview(partner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'counted twice' });
    const debit = await kit.resolve(second.id, 'financial_support', { resolution: 'CORRECTION', errorKind: 'CALCULATION', amount: '-20.00', note: 'the commission was counted twice' });
    expect(debit.status, await debit.clone().text()).toBe(200);
    expect(await balancesOf(partner.partnerId)).toEqual({ available: '0.00', debt: '2.50' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('corrects a system error and escalates it to a senior admin, who closes it; financial support may not', async () => {
    const partner = await kit.partnerUser();
    const commissionId = await kit.commission(partner.partnerId);
    // A commission nothing reversed is no reversal to dispute.
    const noReversal = await kit.open(partner.token, { type: 'REVERSAL', transactionRef: commissionId, description: 'reversed twice', evidence });
    expect(noReversal.status).toBe(404);
    expect(await errorOf(noReversal)).toMatchObject({ field: 'body.transactionRef' });
    const opened = await underReview(partner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'the rate table was stale' });
    const escalatedNotices = await kit.notifications('DISPUTE_ESCALATED');
    const corrected = await kit.resolve(opened.id, 'financial_support', { resolution: 'CORRECTION', errorKind: 'SYSTEM', amount: '7.25', note: 'a stale rate table paid 5 % instead of 6 %' });
    expect(corrected.status, await corrected.clone().text()).toBe(200);
    expect(await corrected.json()).toMatchObject({ status: 'ESCALATED', resolution: 'CORRECTION', credited: { total: '7.25' } });
    expect(await kit.notifications('DISPUTE_ESCALATED')).toBe(escalatedNotices + 1);
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(1);
    expect((await balancesOf(partner.partnerId)).available).toBe('7.25');

    const notSenior = await kit.resolve(opened.id, 'financial_support', { resolution: 'EXPLANATION', note: 'fixed' }, { totp: false });
    expect(notSenior.status).toBe(403);
    expect(await errorOf(notSenior)).toMatchObject({ code: 'senior_required' });
    const senior = await kit.resolve(opened.id, 'senior_admin', { resolution: 'EXPLANATION', note: 'the rate table is fixed for everyone' }, { totp: false });
    expect(senior.status, await senior.clone().text()).toBe(200);
    const closed = (await senior.json()) as Awaited<ReturnType<typeof kit.read>>;
    expect(closed).toMatchObject({ status: 'CLOSED', resolution: 'EXPLANATION' });
    expect(closed.timeline.filter((step) => step.kind === 'RESOLUTION').map((step) => [step.resolution, step.statusAfter])).toEqual([['CORRECTION', 'ESCALATED'], ['EXPLANATION', 'CLOSED']]);
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(0);
    await kit.recordHistory(opened.workflowId, 'dispute-system-error-escalated');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('explains, and on the partner’s request escalates to a senior admin, who grants goodwill above the limit', async () => {
    const partner = await kit.partnerUser();
    const rank = await kit.rankChange(partner.partnerId, new Date(Date.now() - 3 * dayMs));
    const dispute = await underReview(partner.token, { type: 'RANK', transactionRef: rank, description: 'I qualified for rank 4' });
    const explained = await kit.resolve(dispute.id, 'financial_support', { resolution: 'EXPLANATION', note: 'the second leg had 40 % of the volume, below the 50 % rule' }, { totp: false });
    expect(explained.status, await explained.clone().text()).toBe(200);
    expect(await explained.json()).toMatchObject({ status: 'EXPLAINED', resolution: 'EXPLANATION' });
    // Answered: the hold ends while the partner decides.
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(0);

    const byAdmin = await api.request(`/v1/disputes/${dispute.id}/escalate`, { token: (await kit.admin('admin')).token, body: { reason: 'x' } });
    expect(byAdmin.status).toBe(403);
    const escalated = await api.request(`/v1/disputes/${dispute.id}/escalate`, { token: partner.token, body: { reason: 'the leg volumes are wrong' } });
    expect(escalated.status, await escalated.clone().text()).toBe(200);
    expect(await escalated.json()).toMatchObject({ status: 'ESCALATED' });
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(1);
    const again = await api.request(`/v1/disputes/${dispute.id}/escalate`, { token: partner.token, body: { reason: 'again' } });
    expect(again.status).toBe(409);

    const goodwill = await kit.resolve(dispute.id, 'senior_admin', { resolution: 'GOODWILL', amount: '80.00', currency: 'USD', note: 'a goodwill credit for the confusion' });
    expect(goodwill.status, await goodwill.clone().text()).toBe(200);
    expect(await goodwill.json()).toMatchObject({ status: 'CLOSED', resolution: 'GOODWILL', credited: { total: '80.00' } });
    expect((await balancesOf(partner.partnerId)).available).toBe('80.00');
    const adjust = await api.owner.one(sql.type(z.object({ balance_before: z.string(), balance_after: z.string() }))`
      SELECT balance_before::text, balance_after::text FROM audit_records WHERE action = 'BALANCE_ADJUST' AND target_id = ${partner.partnerId}`);
    expect(adjust).toEqual({ balance_before: '0.00', balance_after: '80.00' });
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(0);
    await kit.recordHistory(dispute.workflowId, 'dispute-explained-escalated');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('lets financial support grant goodwill up to the limit only; above it is a senior admin’s', async () => {
    const partner = await kit.partnerUser();
    const commissionId = await kit.commission(partner.partnerId);
    const dispute = await underReview(partner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'late payment' });
    const above = await kit.resolve(dispute.id, 'financial_support', { resolution: 'GOODWILL', amount: '50.01', note: 'sorry' });
    expect(above.status).toBe(403);
    expect(await errorOf(above)).toMatchObject({ code: 'senior_required', field: 'body.amount' });
    expect((await kit.read(dispute.id)).status).toBe('UNDER_REVIEW');
    expect(await kit.entryCount(`dispute-${dispute.id}:%`)).toBe(0);
    const within = await kit.resolve(dispute.id, 'financial_support', { resolution: 'GOODWILL', amount: '50.00', note: 'sorry for the delay' });
    expect(within.status, await within.clone().text()).toBe(200);
    expect(await within.json()).toMatchObject({ status: 'CLOSED', resolution: 'GOODWILL', credited: { total: '50.00' } });
    expect((await balancesOf(partner.partnerId)).available).toBe('50.00');
    await kit.recordHistory(dispute.workflowId, 'dispute-goodwill');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('holds the partner’s payout while a dispute is open and sends it on when the dispute is rejected, without an admin’s release', async () => {
    const partner = await payouts.partnerWithLogin({ USD: '300.00' });
    const rank = await kit.rankChange(partner.partnerId);
    const { admin: reviewer, token: reviewerToken } = await kit.admin('financial_support');
    const dispute = await underReview(partner.token, { type: 'RANK', transactionRef: rank, description: 'my rank' });
    const claimed = await api.request(`/v1/disputes/${dispute.id}/assign`, { token: reviewerToken, body: {} });
    expect(claimed.status, await claimed.clone().text()).toBe(200);
    expect(await claimed.json()).toMatchObject({ assigneeId: reviewer.id });
    const other = await kit.resolve(dispute.id, 'financial_support', { resolution: 'REJECTION', note: 'no' }, { totp: false });
    expect(other.status).toBe(403);
    expect(await errorOf(other)).toMatchObject({ code: 'not_assignee' });

    const response = await api.request('/v1/payouts', {
      token: partner.token,
      body: { partnerId: partner.partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' } },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const payoutId = ((await response.json()) as { id: string }).id;
    workflowIds.add(`payout-${payoutId}`);
    const held = await payouts.waitForStatus(payoutId, 'HELD');
    const checklist = (held as unknown as { checklist: { check: string; passed: boolean; action: string }[] }).checklist;
    expect(checklist.find((check) => check.check === 'NO_OPEN_DISPUTES')).toMatchObject({ passed: false, action: 'HOLD' });

    const rejected = await kit.resolve(dispute.id, reviewer, { resolution: 'REJECTION', note: 'the rank change followed the qualification rules' }, { totp: false });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(await rejected.json()).toMatchObject({ status: 'CLOSED', resolution: 'REJECTION', assigneeId: reviewer.id });
    // The re-check timer is an hour away: only the dispute's nudge moves the payout now.
    const moved = await payouts.waitForStatus(payoutId, 'AWAITING_APPROVAL', 15_000);
    expect(moved.status).toBe('AWAITING_APPROVAL');
    expect(await payouts.auditCount(payoutId, 'PAYOUT_RELEASE')).toBe(0);
    await kit.recordHistory(dispute.workflowId, 'dispute-rejected');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('escalation and retries', () => {
  it('transfers a reversal dispute to a senior admin on the reviewer’s ESCALATION, who rejects it', async () => {
    const partner = await kit.partnerUser();
    const commissionId = await kit.commission(partner.partnerId);
    await kit.cancelOrderOf(commissionId);
    const dispute = await underReview(partner.token, { type: 'REVERSAL', transactionRef: commissionId, description: 'the order was shipped' });
    expect(dispute.type).toBe('REVERSAL');
    const escalated = await kit.resolve(dispute.id, 'financial_support', { resolution: 'ESCALATION', note: 'needs the shop’s shipping records' }, { totp: false });
    expect(escalated.status, await escalated.clone().text()).toBe(200);
    expect(await escalated.json()).toMatchObject({ status: 'ESCALATED', resolution: 'ESCALATION' });
    const twice = await kit.resolve(dispute.id, 'senior_admin', { resolution: 'ESCALATION', note: 'again' }, { totp: false });
    expect(twice.status).toBe(409);
    const withAmount = await kit.resolve(dispute.id, 'senior_admin', { resolution: 'REJECTION', amount: '1.00', note: 'x' }, { totp: false });
    expect(withAmount.status).toBe(422);
    expect(await errorOf(withAmount)).toMatchObject({ field: 'body.amount' });
    const rejected = await kit.resolve(dispute.id, 'senior_admin', { resolution: 'REJECTION', note: 'the order was cancelled before shipping' }, { totp: false });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(await rejected.json()).toMatchObject({ status: 'CLOSED', resolution: 'REJECTION' });
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(0);
  });

  it('a retried resolution activity posts nothing twice, and a replayed Idempotency-Key opens nothing twice', async () => {
    const partner = await kit.partnerUser();
    const commissionId = await kit.commission(partner.partnerId);
    const body = { type: 'COMMISSION', transactionRef: commissionId, description: 'short by 3', evidence };
    const first = await api.request('/v1/disputes', { token: partner.token, headers: { 'idempotency-key': `open-${commissionId}` }, body });
    const replay = await api.request('/v1/disputes', { token: partner.token, headers: { 'idempotency-key': `open-${commissionId}` }, body });
    expect([first.status, replay.status]).toEqual([202, 202]);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const opened = (await first.json()) as { id: string; workflowId: string };
    expect(((await replay.json()) as { id: string }).id).toBe(opened.id);
    workflowIds.add(opened.workflowId);
    await kit.waitForStatus(opened.id, 'UNDER_REVIEW');
    const resolved = await kit.resolve(opened.id, 'financial_support', { resolution: 'CORRECTION', errorKind: 'CALCULATION', amount: '3.00', note: 'short by 3' });
    expect(resolved.status, await resolved.clone().text()).toBe(200);

    // The activity again with the same step key (a retry after its commit): the recorded outcome, nothing posted.
    const activities = createDisputeActivities({ database: api.database, ledger: api.dependencies.ledger });
    const reviewer = await api.createAdmin('financial_support');
    const retried = await activities.resolveDispute({
      disputeId: opened.id, stepKey: 'resolution-1', actor: { userId: reviewer.id, role: 'financial_support' }, goodwillMax: '50', ip: null,
      resolution: { resolution: 'CORRECTION', errorKind: 'CALCULATION', amount: '3.00', currency: 'USD', note: 'short by 3' },
    });
    expect(retried).toMatchObject({ status: 'CLOSED', resolution: 'CORRECTION', amount: '3.00' });
    expect(await kit.entryCount(`dispute-${opened.id}:%`)).toBe(1);
    expect((await balancesOf(partner.partnerId)).available).toBe('3.00');
    expect(await kit.auditActions(opened.id)).toEqual(['DISPUTE_OPEN', 'DISPUTE_UPDATE', 'DISPUTE_RESOLVE']);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('a partner’s own disputes', () => {
  it('cannot open a dispute on, or see a dispute of, another partner’s transactions; admins see all with filters', async () => {
    const owner = await kit.partnerUser();
    const stranger = await kit.partnerUser();
    const commissionId = await kit.commission(owner.partnerId);
    const onOthers = await kit.open(stranger.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'mine?', evidence });
    expect(onOthers.status).toBe(404);
    expect(await errorOf(onOthers)).toMatchObject({ code: 'unknown_transaction', field: 'body.transactionRef' });
    const forOther = await kit.open(stranger.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'x', partnerId: owner.partnerId });
    expect(forOther.status).toBe(403);
    const unknownPayout = await kit.open(stranger.token, { type: 'PAYOUT', transactionRef: '00000000-0000-4000-8000-000000000000', description: 'x' });
    expect(unknownPayout.status).toBe(404);

    const dispute = await underReview(owner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'mine' });
    expect((await api.request(`/v1/disputes/${dispute.id}`, { token: stranger.token })).status).toBe(404);
    expect((await api.request(`/v1/disputes/${dispute.id}/evidence`, { token: stranger.token, body: { text: 'x' } })).status).toBe(404);
    expect((await api.request(`/v1/disputes?partnerId=${owner.partnerId}`, { token: stranger.token })).status).toBe(403);
    const strangerList = await api.request('/v1/disputes', { token: stranger.token });
    expect(((await strangerList.json()) as { data: unknown[] }).data).toEqual([]);
    const ownList = await api.request('/v1/disputes', { token: owner.token });
    expect(((await ownList.json()) as { data: { id: string }[] }).data.map((row) => row.id)).toEqual([dispute.id]);
    // A partner cannot resolve their own dispute.
    expect((await api.request(`/v1/disputes/${dispute.id}/resolve`, { token: owner.token, body: { resolution: 'GOODWILL', amount: '1.00', note: 'x' } })).status).toBe(403);

    // An admin opens one on the partner's behalf and lists with filters.
    const { token: adminToken } = await kit.admin('financial_support');
    const onBehalf = await kit.opened(adminToken, { type: 'COMMISSION', transactionRef: commissionId, description: 'phoned in', partnerId: owner.partnerId });
    workflowIds.add(onBehalf.workflowId);
    await kit.waitForStatus(onBehalf.id, 'INFORMATION_REQUESTED');
    const filtered = await api.request(`/v1/disputes?partnerId=${owner.partnerId}&status=INFORMATION_REQUESTED&type=COMMISSION`, { token: adminToken });
    expect(((await filtered.json()) as { data: { id: string }[] }).data.map((row) => row.id)).toEqual([onBehalf.id]);
    const bad = await api.request('/v1/disputes?status=NOPE', { token: adminToken });
    expect(bad.status).toBe(400);
    const noPartner = await kit.open(adminToken, { type: 'COMMISSION', transactionRef: commissionId, description: 'x' });
    expect(noPartner.status).toBe(400);
    expect(await errorOf(noPartner)).toMatchObject({ field: 'body.partnerId' });
    const badFile = await kit.open(owner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'x', evidence: { file: { fileName: 'a.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('not a pdf').toString('base64') } } });
    expect(badFile.status).toBe(415);
  });
});
