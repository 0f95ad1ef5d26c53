import type { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { disputeKit } from './kit.ts';

/**
 * The decision tree's waits under a test policy with short durations: a dispute without evidence waits for it
 * (INFORMATION_REQUESTED) and goes to review when it arrives, or closes itself at policy.disputes.informationWait
 * (REJECTION, no information) — releasing the partner's HELD payout without an admin; an explanation nobody
 * escalates closes at policy.disputes.escalationWindow.
 */

const informationWaitSeconds = 6;
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
  await api.createAdmin('financial_support');
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({
    document: { ...policy, disputes: { ...policy.disputes, informationWait: `${informationWaitSeconds}s`, escalationWindow: '3s' } },
    effectiveFrom: new Date(), reason: 'dispute deadline tests', actor: 'test',
  });
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x01]).toString('base64');

describe('information requested', () => {
  it('waits for the partner’s evidence and goes to review when it arrives', async () => {
    const partner = await kit.partnerUser();
    const commissionId = await kit.commission(partner.partnerId);
    const requestedBefore = await kit.notifications('DISPUTE_INFORMATION_REQUESTED');
    const opened = await kit.opened(partner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'the amount is wrong' });
    workflowIds.add(opened.workflowId);
    const waiting = await kit.waitForStatus(opened.id, 'INFORMATION_REQUESTED');
    expect(waiting.timeline.map((step) => step.kind)).toEqual(['OPENED', 'INFORMATION_REQUESTED']);
    expect(await kit.notifications('DISPUTE_INFORMATION_REQUESTED')).toBe(requestedBefore + 1);
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(1);

    const empty = await api.request(`/v1/disputes/${opened.id}/evidence`, { token: partner.token, body: {} });
    expect(empty.status).toBe(400);
    const sent = await api.request(`/v1/disputes/${opened.id}/evidence`, {
      token: partner.token, body: { text: 'the order was 1,000 USD', file: { fileName: 'receipt.png', contentType: 'image/png', contentBase64: png } },
    });
    expect(sent.status, await sent.clone().text()).toBe(200);
    const reviewed = (await sent.json()) as Awaited<ReturnType<typeof kit.read>>;
    expect(reviewed.status).toBe('UNDER_REVIEW');
    expect(reviewed.evidence).toEqual([expect.objectContaining({ text: 'the order was 1,000 USD', file: expect.objectContaining({ fileName: 'receipt.png' }) })]);
    expect(reviewed.timeline.map((step) => step.kind)).toEqual(['OPENED', 'INFORMATION_REQUESTED', 'EVIDENCE_PROVIDED']);

    // Past the information deadline it stays under review: the evidence arrived in time.
    await new Promise((resolve) => setTimeout(resolve, (informationWaitSeconds + 1) * 1_000));
    expect((await kit.read(opened.id)).status).toBe('UNDER_REVIEW');
    const rejected = await kit.resolve(opened.id, 'financial_support', { resolution: 'REJECTION', note: 'the commission matches the order' }, { totp: false });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(0);
    await kit.recordHistory(opened.workflowId, 'dispute-information-provided');
  });

  it('closes itself at the deadline when no evidence arrives, and the held payout continues without an admin', async () => {
    const partner = await payouts.partnerWithLogin({ USD: '200.00' });
    const rank = await kit.rankChange(partner.partnerId);
    const opened = await kit.opened(partner.token, { type: 'RANK', transactionRef: rank, description: 'my rank is wrong' });
    workflowIds.add(opened.workflowId);
    await kit.waitForStatus(opened.id, 'INFORMATION_REQUESTED');

    const response = await api.request('/v1/payouts', {
      token: partner.token,
      body: { partnerId: partner.partnerId, amount: '50.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' } },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const payoutId = ((await response.json()) as { id: string }).id;
    workflowIds.add(`payout-${payoutId}`);
    await payouts.waitForStatus(payoutId, 'HELD');

    const closed = await kit.waitForStatus(opened.id, 'CLOSED', (informationWaitSeconds + 20) * 1_000);
    expect(closed).toMatchObject({ resolution: 'REJECTION', automaticReason: 'NO_INFORMATION' });
    expect(await kit.activeDisputeFlags(partner.partnerId)).toBe(0);
    expect(await kit.notifications('DISPUTE_RESOLVED', '%no information%')).toBeGreaterThanOrEqual(1);
    const moved = await payouts.waitForStatus(payoutId, 'AWAITING_APPROVAL', 15_000);
    expect(moved.status).toBe('AWAITING_APPROVAL');

    const late = await api.request(`/v1/disputes/${opened.id}/evidence`, { token: partner.token, body: { text: 'too late' } });
    expect(late.status).toBe(409);
    expect(await errorOf(late)).toMatchObject({ code: 'invalid_state' });
    expect(await kit.auditActions(opened.id)).toEqual(['DISPUTE_OPEN', 'DISPUTE_UPDATE', 'DISPUTE_RESOLVE']);
    await kit.recordHistory(opened.workflowId, 'dispute-no-information');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('after an explanation', () => {
  it('closes when the partner does not ask for escalation within the window', async () => {
    const partner = await kit.partnerUser();
    const commissionId = await kit.commission(partner.partnerId);
    const opened = await kit.opened(partner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'why so low', evidence: { text: 'see order' } });
    workflowIds.add(opened.workflowId);
    await kit.waitForStatus(opened.id, 'UNDER_REVIEW');
    const explained = await kit.resolve(opened.id, 'financial_support', { resolution: 'EXPLANATION', note: 'rank 3 earns 6 % on personal sales' }, { totp: false });
    expect(explained.status, await explained.clone().text()).toBe(200);
    const closed = await kit.waitForStatus(opened.id, 'CLOSED', 20_000);
    expect(closed.resolution).toBe('EXPLANATION');
    expect(closed.timeline.at(-1)).toMatchObject({ kind: 'CLOSED', statusAfter: 'CLOSED' });
    const late = await api.request(`/v1/disputes/${opened.id}/escalate`, { token: partner.token, body: { reason: 'late' } });
    expect(late.status).toBe(409);
    await kit.recordHistory(opened.workflowId, 'dispute-explained-closed');
  });
});
