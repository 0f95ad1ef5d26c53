import { randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { type PayoutStatus } from '../../domain/payout.ts';
import { createNotificationActivities } from '../../activities/notifications.ts';
import { SandboxProvider } from '../../providers/sandbox/client.ts';
import { startSandboxProvider, type RunningSandboxProvider } from '../../providers/sandbox/server.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.ts';

/**
 * The partner is told when their payout is approved and when it goes to review (issue #17,
 * docs/rules.md#partner-payout-notices), through real payout lifecycles: real database, real Temporal, an in-process
 * worker, the in-process sandbox provider and a real SMTP server for delivery.
 */

const secret = 'whsec_partner_notices_test';
const from = 'ledgerflow <no-reply@ledgerflow.test>';
let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let sandbox: RunningSandboxProvider;
let served: ServedApp;
let capture: SmtpCapture;
const payoutIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness({ providerWebhookSecret: secret });
  served = await serve((request) => api.app.fetch(request));
  sandbox = await startSandboxProvider({ port: 0, secret, delayMs: 100, webhookBackoffMs: 100 });
  capture = await startSmtpCapture();
  ({ worker, connection: workerConnection } = await createInProcessWorker({
    database: api.database,
    taskQueue: api.taskQueue,
    provider: { provider: new SandboxProvider({ baseUrl: sandbox.url, timeoutMs: 5_000 }), publicUrl: served.url },
  }));
  workerRun = worker.run();
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({
    document: { ...policy, payouts: { ...policy.payouts, automatic: { maxAttempts: 3, retryBackoffSeconds: 1, resultTimeoutMinutes: 1 } } },
    effectiveFrom: new Date(),
    reason: 'partner notices test: short provider backoff',
    actor: 'test',
  });
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
  await sandbox?.stop();
  await served?.close();
  await capture?.stop();
  await api?.close();
});

interface Payout {
  id: string;
  status: PayoutStatus;
  detailsHash: string;
  provider: { attempt: number; needsReview: boolean };
}

async function partnerWithLogin(kycStatus = 'APPROVED') {
  const partnerId = `p_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, 'Jane Doe', '3', 'ACTIVE', ${kycStatus}, now() - interval '30 days')`);
  const user = await api.createPartnerUser(partnerId);
  const token = await api.signIn(user);
  await api.dependencies.ledger.postEntry({
    idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
    kind: 'bonus',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: '-5000.00' },
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount: '5000.00' },
    ],
  });
  return { partnerId, user, token };
}

async function decide(payoutId: string, action: string, role: AdminRole, body: Record<string, unknown> = {}) {
  const actor = await api.createAdmin(role);
  const token = await api.signIn(actor);
  return api.request(`/v1/payouts/${payoutId}/${action}`, { token, headers: { 'x-totp-code': await api.nextTotp(actor) }, body });
}

let reader: Promise<string> | undefined;
async function read(payoutId: string): Promise<Payout> {
  reader ??= api.createAdmin('financial_support').then((actor) => api.signIn(actor));
  const response = await api.request(`/v1/payouts/${payoutId}`, { token: await reader });
  expect(response.status).toBe(200);
  return (await response.json()) as Payout;
}

async function waitFor(payoutId: string, done: (payout: Payout) => boolean, what: string, timeoutMs = 30_000): Promise<Payout> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const payout = await read(payoutId);
    if (done(payout)) return payout;
    if (Date.now() > deadline) throw new Error(`payout ${payoutId} is ${payout.status}, expected ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function requestPayout(token: string, body: Record<string, unknown>): Promise<Payout> {
  const response = await api.request('/v1/payouts', { token, body });
  expect(response.status, await response.clone().text()).toBe(201);
  const created = (await response.json()) as Payout;
  payoutIds.add(created.id);
  return created;
}

const noticeRow = z.object({ id: z.string(), kind: z.string(), partner_id: z.string().nullable(), dedupe_key: z.string(), subject: z.string(), body: z.string(), status: z.string() });
/** The partner's notices about the payout, oldest first. */
const partnerNoticesFor = (payoutId: string) =>
  api.owner.any(sql.type(noticeRow)`
    SELECT id, kind, partner_id, dedupe_key, subject, body, status FROM notifications
    WHERE recipient_kind = 'partner' AND dedupe_key LIKE ${`%:${payoutId}%`} ORDER BY id`);

const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };

describe('partner notices of approval and review', () => {
  it('when the last approver completes the chain, the partner is told once that the payout was approved, and it is e-mailed', async () => {
    const { partnerId, user, token } = await partnerWithLogin();
    // 100 USD = 10,000 RUB: one approver.
    const created = await requestPayout(token, { partnerId, amount: '100', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    await waitFor(created.id, (payout) => payout.status === 'AWAITING_APPROVAL', 'AWAITING_APPROVAL');
    expect(await partnerNoticesFor(created.id)).toEqual([]);

    const approved = await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash });
    expect(approved.status, await approved.clone().text()).toBe(200);

    const notices = await partnerNoticesFor(created.id);
    expect(notices.map((notice) => [notice.kind, notice.partner_id, notice.dedupe_key])).toEqual([
      ['PAYOUT_APPROVED', partnerId, `payout-approved:${created.id}`],
    ]);
    expect(notices[0]!.subject).toBe('Your payout request of 100.00 USD was approved');
    expect(notices[0]!.body).toContain(`Your payout request ${created.id} of 100.00 USD by BANK_TRANSFER was approved.`);

    const delivery = createNotificationActivities({ database: api.database, smtp: { url: capture.url, from } });
    await delivery.deliverNotifications();
    const messages = capture.messages.filter((message) => message.headers.get('x-ledgerflow-notification')?.split(' ')[1] === notices[0]!.id);
    expect(messages.map((message) => [message.envelopeTo, message.subject])).toEqual([[[user.email], 'Your payout request of 100.00 USD was approved']]);

    // Processing and completing it tells the partner of the payment, not of a second approval.
    expect((await decide(created.id, 'process', 'finance_manager', { externalReference: 'BANK-REF-N1' })).status).toBe(200);
    expect((await decide(created.id, 'complete', 'finance_manager')).status).toBe(200);
    expect((await partnerNoticesFor(created.id)).map((notice) => notice.kind)).toEqual(['PAYOUT_APPROVED', 'PAYOUT_COMPLETED']);
  });

  it('a payout that needs two approvers is announced approved only after the second', async () => {
    const { partnerId, token } = await partnerWithLogin();
    // 2,500 USD = 250,000 RUB: the default chain's finance manager + senior admin tier.
    const created = await requestPayout(token, { partnerId, amount: '2500', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    await waitFor(created.id, (payout) => payout.status === 'AWAITING_APPROVAL', 'AWAITING_APPROVAL');
    const chain = ((await read(created.id)) as Payout & { requiredChain: { roles: AdminRole[] }[] }).requiredChain;
    expect(chain).toEqual([{ roles: ['finance_manager'] }, { roles: ['senior_admin'] }]);
    for (const [index, step] of chain.entries()) {
      expect(await partnerNoticesFor(created.id), `before step ${index}`).toEqual([]);
      const approved = await decide(created.id, 'approve', step.roles.at(-1)!, { amount: '2500.00', detailsHash: created.detailsHash });
      expect(approved.status, await approved.clone().text()).toBe(200);
    }
    expect((await partnerNoticesFor(created.id)).map((notice) => notice.kind)).toEqual(['PAYOUT_APPROVED']);
  });

  it('when the checklist holds the payout (KYC pending), the partner is told it is being reviewed, without the check named, and only once', async () => {
    const { partnerId, token } = await partnerWithLogin('PENDING');
    const created = await requestPayout(token, { partnerId, amount: '100', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    await waitFor(created.id, (payout) => payout.status === 'HELD', 'HELD');

    const notices = await partnerNoticesFor(created.id);
    expect(notices.map((notice) => [notice.kind, notice.partner_id, notice.dedupe_key])).toEqual([
      ['PAYOUT_IN_REVIEW', partnerId, `payout-in-review:${created.id}:held`],
    ]);
    expect(notices[0]!.subject).toBe('Your payout request of 100.00 USD is being reviewed');
    expect(notices[0]!.body).toContain('It needs a manual check before it can go to approval.');
    expect(notices[0]!.body).not.toMatch(/KYC/);

    // Released while KYC is still pending: the checklist runs again and holds again; the partner is not told twice.
    const released = await decide(created.id, 'release', 'senior_admin');
    expect([200, 409]).toContain(released.status);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await read(created.id)).status).toBe('HELD');
    expect((await partnerNoticesFor(created.id)).map((notice) => notice.kind)).toEqual(['PAYOUT_IN_REVIEW']);
  });

  it('when the provider’s attempts run out, the partner is told the payout is being reviewed (the admins get their own notice)', async () => {
    await fetch(`${sandbox.url}/control/next-response`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 500, times: 3 }),
    });
    const { partnerId, token } = await partnerWithLogin();
    const created = await requestPayout(token, { partnerId, amount: '100', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'jane@example.com' } });
    await waitFor(created.id, (payout) => payout.status === 'AWAITING_APPROVAL', 'AWAITING_APPROVAL');
    expect((await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash })).status).toBe(200);
    await waitFor(created.id, (payout) => payout.provider.needsReview, 'needsReview');

    const notices = await partnerNoticesFor(created.id);
    expect(notices.map((notice) => [notice.kind, notice.dedupe_key])).toEqual([
      ['PAYOUT_APPROVED', `payout-approved:${created.id}`],
      ['PAYOUT_IN_REVIEW', `payout-in-review:${created.id}:provider`],
    ]);
    expect(notices[1]!.body).toContain('The payment system could not pay it after several attempts');
    expect(notices[1]!.body).toContain('by PAYQUICKER');
    const adminNotices = await api.owner.anyFirst(sql.type(z.object({ kind: z.string() }))`
      SELECT kind FROM notifications WHERE recipient_kind = 'admin_role' AND dedupe_key = ${`payout-needs-review:${created.id}`}`);
    expect(adminNotices).toEqual(['PAYOUT_NEEDS_REVIEW']);
  });
});
