import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { createPayoutActivities } from '../../activities/payout.ts';
import { isTerminalPayoutStatus, type PayoutStatus } from '../../domain/payout.ts';
import { SandboxProvider } from '../../providers/sandbox/client.ts';
import { startSandboxProvider, type RunningSandboxProvider } from '../../providers/sandbox/server.ts';
import { signatureHeaderName, signWebhook } from '../../providers/webhooks.ts';
import { getPayoutStateQuery } from '../../workflows/payout-messages.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, repositoryRoot } from '../helpers/temporal.ts';

/**
 * AUTOMATIC payouts (PAYQUICKER) through the provider adapter, end to end: real database, real Temporal, an
 * in-process worker, the in-process sandbox provider, and the API served over HTTP so the sandbox's signed webhooks
 * reach POST /v1/webhooks/provider. A test policy version makes the `auto` backoff 1 s.
 */

const secret = 'whsec_payout_automatic_test';
let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let sandbox: RunningSandboxProvider;
let served: ServedApp;
let publicUrl: string;
const payoutIds = new Set<string>();

/** Every payout request the sandbox received for the payout: alone (POST /payouts) or as an item of a batch. */
function sendsOf(payoutId: string): string[] {
  return sandbox.requests().flatMap((request) => {
    if (request.method !== 'POST') return [];
    const keys = request.path.startsWith('/payout-batches') ? (request.itemKeys ?? []) : request.path.startsWith('/payouts') ? [request.idempotencyKey] : [];
    return keys.filter((key): key is string => key !== null && key.startsWith(payoutId));
  });
}

beforeAll(async () => {
  api = await createApiHarness({ providerWebhookSecret: secret });
  served = await serve((request) => api.app.fetch(request));
  publicUrl = served.url;
  sandbox = await startSandboxProvider({ port: 0, secret, delayMs: 100, webhookBackoffMs: 100 });
  ({ worker, connection: workerConnection } = await createInProcessWorker({
    database: api.database,
    taskQueue: api.taskQueue,
    provider: { provider: new SandboxProvider({ baseUrl: sandbox.url, timeoutMs: 5_000 }), publicUrl },
  }));
  workerRun = worker.run();
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({
    document: { ...policy, payouts: { ...policy.payouts, automatic: { maxAttempts: 3, retryBackoffSeconds: 1, resultTimeoutMinutes: 1 } } },
    effectiveFrom: new Date(),
    reason: 'automatic payout test: short backoff',
    actor: 'test',
  });
});

afterAll(async () => {
  await Promise.allSettled(
    [...payoutIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(`payout-${id}`);
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await sandbox?.stop();
  await served?.close();
  await api?.close();
});

interface Payout {
  id: string;
  status: PayoutStatus;
  amount: string;
  fee: string;
  amountToTransfer: string;
  detailsHash: string;
  workflowId: string;
  failure: { code: string; reason: string | null } | null;
  settleEntryId: string | null;
  provider: { attempt: number; reference: string | null; needsReview: boolean };
  checklist: { check: string; passed: boolean; action: string }[];
}

async function partnerWithLogin(funds: string) {
  const partnerId = `p_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, 'Automatic Partner', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
  const user = await api.createPartnerUser(partnerId);
  const token = await api.signIn(user);
  await api.dependencies.ledger.postEntry({
    idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
    kind: 'bonus',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: `-${funds}` },
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount: funds },
    ],
  });
  return { partnerId, token };
}

async function balances(partnerId: string) {
  return (await api.dependencies.ledger.partnerBalances(partnerId)).find((row) => row.currency === 'USD')!;
}

async function admin(role: AdminRole = 'admin') {
  const created = await api.createAdmin(role);
  return { admin: created, token: await api.signIn(created) };
}

async function decide(payoutId: string, action: string, role: AdminRole, body: Record<string, unknown> = {}) {
  const { admin: actor, token } = await admin(role);
  return api.request(`/v1/payouts/${payoutId}/${action}`, { token, headers: { 'x-totp-code': await api.nextTotp(actor) }, body });
}

let reader: Promise<{ token: string }> | undefined;
async function read(payoutId: string): Promise<Payout> {
  reader ??= admin('financial_support');
  const response = await api.request(`/v1/payouts/${payoutId}`, { token: (await reader).token });
  expect(response.status).toBe(200);
  return (await response.json()) as Payout;
}

async function waitFor(payoutId: string, done: (payout: Payout) => boolean, what: string, timeoutMs = 30_000): Promise<Payout> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const payout = await read(payoutId);
    if (done(payout)) return payout;
    if (Date.now() > deadline) throw new Error(`payout ${payoutId} is ${payout.status} (${JSON.stringify(payout.provider)}), expected ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const waitForStatus = (payoutId: string, status: PayoutStatus) => waitFor(payoutId, (payout) => payout.status === status, status);

/** Requests 100 USD by PAYQUICKER (fee 2.00, 98.00 sent) and approves it: the workflow hands it to the provider. */
async function approvedAutomaticPayout(email = 'jane@example.com'): Promise<{ payout: Payout; partnerId: string }> {
  const { partnerId, token } = await partnerWithLogin('1000.00');
  const response = await api.request('/v1/payouts', { token, body: { partnerId, amount: '100', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email } } });
  expect(response.status, await response.clone().text()).toBe(201);
  const created = (await response.json()) as Payout;
  payoutIds.add(created.id);
  expect(created).toMatchObject({ fee: '2.00', amountToTransfer: '98.00' });
  await waitForStatus(created.id, 'AWAITING_APPROVAL');
  const approved = await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash });
  expect(approved.status, await approved.clone().text()).toBe(200);
  return { payout: created, partnerId };
}

const paymentsFor = (payoutId: string) => sandbox.ledger().filter((payment) => payment.payoutId === payoutId);

async function recordHistory(workflowId: string, name: string) {
  if (process.env.LEDGERFLOW_RECORD_HISTORIES !== '1') return;
  await api.dependencies.temporal.workflow.getHandle(workflowId).result();
  const { stdout } = await promisify(execFile)(
    inject('temporalCli'),
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', inject('temporalAddress'), '--namespace', 'default'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  await writeFile(path.join(repositoryRoot, 'test', 'histories', `${name}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
}

describe('automatic payouts through the provider', () => {
  it('when an automatic payout is approved, the provider pays it once, its webhook completes it and the money reaches clearing and fees', async () => {
    const { payout, partnerId } = await approvedAutomaticPayout();
    const done = await waitFor(payout.id, (row) => isTerminalPayoutStatus(row.status), 'COMPLETED');
    expect(done).toMatchObject({ status: 'COMPLETED', provider: { attempt: 1, needsReview: false } });
    expect(done.provider.reference).toMatch(/\S/);
    expect(await balances(partnerId)).toMatchObject({ available: '900.00', payout_reserved: '0.00' });
    // It went to the provider as an item of a PAYQUICKER batch, recorded with the provider's answer.
    const items = await api.owner.any(sql.type(z.object({ method_id: z.string(), status: z.string(), outcome: z.string().nullable(), provider_reference: z.string().nullable(), amount: z.string(), totals: z.record(z.string()) }))`
      SELECT b.method_id, b.status, i.outcome, i.provider_reference, i.amount::text AS amount, b.totals
      FROM payout_batch_items i JOIN payout_batches b ON b.id = i.batch_id WHERE i.payout_id = ${payout.id}`);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ method_id: 'PAYQUICKER', status: 'SENT', outcome: 'ACCEPTED', provider_reference: done.provider.reference, amount: done.amountToTransfer });
    expect(items[0]!.totals.USD).toBeDefined();
    // Ops read it through the API: the batch, and this payout as one of its items with the provider's answer.
    const { token } = await (reader ??= admin('financial_support'));
    const listed = await api.request('/v1/payout-batches?methodId=PAYQUICKER', { token });
    expect(listed.status).toBe(200);
    const batches = ((await listed.json()) as { batches: { id: string; status: string }[] }).batches;
    const found = await Promise.all(
      batches.map(async (batch) => (await (await api.request(`/v1/payout-batches/${batch.id}`, { token })).json()) as { status: string; items: { payoutId: string; outcome: string; amount: string }[] }),
    );
    expect(found.flatMap((batch) => batch.items).filter((item) => item.payoutId === payout.id)).toEqual([
      expect.objectContaining({ outcome: 'ACCEPTED', amount: '98.00', providerReference: done.provider.reference }),
    ]);
    expect((await api.request('/v1/payout-batches', { token: (await partnerWithLogin('1.00')).token })).status).toBe(403);
    const postings = await api.owner.any(sql.type(z.object({ bucket: z.string(), amount: z.string() }))`
      SELECT a.bucket, p.amount::text AS amount FROM postings p JOIN accounts a ON a.id = p.account_id
      WHERE p.entry_id = ${done.settleEntryId} ORDER BY p.line`);
    expect(postings.map((row) => [row.bucket, row.amount])).toEqual([
      ['payout_reserved', '-100.00'],
      ['payout_clearing', '98.00'],
      ['fees_income', '2.00'],
    ]);
    const payments = paymentsFor(payout.id);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ idempotencyKey: `${payout.id}:1`, amount: '98.00', currency: 'USD', method: 'PAYQUICKER' });
    // The sandbox's own ledger, over HTTP, says the same.
    const ledger = (await (await fetch(`${sandbox.url}/control/ledger`)).json()) as { payments: { payoutId: string }[] };
    expect(ledger.payments.filter((payment) => payment.payoutId === payout.id)).toHaveLength(1);
    const state = await api.dependencies.temporal.workflow.getHandle(payout.workflowId).query(getPayoutStateQuery);
    expect(state).toMatchObject({ status: 'COMPLETED', attempt: 1, needsReview: false });

    // A worker that died after sending runs the activity again: it finds the attempt at the provider, sends nothing.
    const posts = () => sendsOf(payout.id).length;
    expect(posts()).toBe(1);
    const activities = createPayoutActivities({ ledger: api.dependencies.ledger, provider: { provider: new SandboxProvider({ baseUrl: sandbox.url }), publicUrl } });
    expect(await activities.sendPayoutToProvider({ payoutId: payout.id, attempt: 1 })).toMatchObject({ outcome: 'COMPLETED', attempt: 1 });
    expect(posts()).toBe(1);
    expect(paymentsFor(payout.id)).toHaveLength(1);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await recordHistory(payout.workflowId, 'payout-automatic-completed-lean');
  });

  it('an automatic payout with one approver records at most 30 history events: only the provider is an activity, the database steps are local (docs/rules.md#payout-lean-lifecycle)', async () => {
    const { payout } = await approvedAutomaticPayout();
    const done = await waitFor(payout.id, (row) => isTerminalPayoutStatus(row.status), 'COMPLETED');
    expect(done.status).toBe('COMPLETED');
    const handle = api.dependencies.temporal.workflow.getHandle(payout.workflowId);
    expect(await handle.result()).toMatchObject({ status: 'COMPLETED', attempt: 1 });
    const events = (await handle.fetchHistory()).events ?? [];
    const markers = events.flatMap((event) => (event.markerRecordedEventAttributes?.markerName ? [event.markerRecordedEventAttributes.markerName] : []));
    const activities = events.flatMap((event) => (event.activityTaskScheduledEventAttributes?.activityType?.name ? [event.activityTaskScheduledEventAttributes.activityType.name] : []));
    // One patch marker (the lean patch), then checklist, approval-and-start and completion as local activity markers.
    expect(markers).toEqual(['core_patch', 'core_local_activity', 'core_local_activity', 'core_local_activity']);
    expect(activities).toEqual(['sendPayoutToProvider']);
    expect(events.length, `${events.length} events`).toBeLessThanOrEqual(30);
    // The chain's approval and the start of processing were one transaction: one PAYOUT_APPROVE, one PAYOUT_PROCESS.
    const audits = await api.owner.any(sql.type(z.object({ action: z.string() }))`
      SELECT action FROM audit_records WHERE target_type = 'payout' AND target_id = ${payout.id} ORDER BY id`);
    expect(audits.map((row) => row.action)).toEqual(['PAYOUT_REQUEST', 'PAYOUT_APPROVE', 'PAYOUT_PROCESS', 'PAYOUT_COMPLETE']);
  });

  it('the lean steps run twice (a local activity whose workflow task was lost after the commit) decide once: one approval, one start, the checklist as recorded', async () => {
    const { partnerId, token } = await partnerWithLogin('1000.00');
    const response = await api.request('/v1/payouts', { token, body: { partnerId, amount: '100', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'twice@example.com' } } });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = (await response.json()) as Payout;
    payoutIds.add(created.id);
    const awaiting = await waitForStatus(created.id, 'AWAITING_APPROVAL');
    // The workflow is stopped so only the steps below act; they are what a re-run local activity would do.
    await api.dependencies.temporal.workflow.getHandle(created.workflowId).terminate('the test runs the steps itself');
    const steps = createPayoutActivities({ ledger: api.dependencies.ledger });
    const { policy } = await api.dependencies.policies.active();
    // The partner's KYC lapsed after the checklist passed: a re-run answers what was decided, not a HOLD.
    await api.owner.query(sql.unsafe`UPDATE partners SET kyc_status = 'PENDING' WHERE id = ${partnerId}`);
    const rerun = await steps.runPayoutChecklist({ payoutId: created.id, checklist: policy.payouts.checklist });
    expect(rerun).toMatchObject({ outcome: 'PASS', rejectionCode: null });
    expect(rerun.checks.map((check) => [check.check, check.passed])).toEqual(awaiting.checklist.map((check) => [check.check, check.passed]));
    await api.owner.query(sql.unsafe`UPDATE partners SET kyc_status = 'APPROVED' WHERE id = ${partnerId}`);

    const approver = await api.createAdmin('admin');
    const approval = { payoutId: created.id, actor: { userId: approver.id, role: 'admin' as const }, step: 0, amountSeen: '100.00', detailsHashSeen: created.detailsHash, completesChain: true };
    const first = await steps.approvePayoutAndStartProcessing(approval);
    const second = await steps.approvePayoutAndStartProcessing(approval);
    expect(first).toMatchObject({ start: { started: true } });
    expect(second).toEqual({ at: first.at, start: { started: true, switches: null } });
    expect((await read(created.id)).status).toBe('PROCESSING');
    const audits = await api.owner.any(sql.type(z.object({ action: z.string() }))`
      SELECT action FROM audit_records WHERE target_type = 'payout' AND target_id = ${created.id} ORDER BY id`);
    expect(audits.map((row) => row.action)).toEqual(['PAYOUT_REQUEST', 'PAYOUT_APPROVE', 'PAYOUT_PROCESS']);
    const approvals = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM payout_approvals WHERE payout_id = ${created.id}`);
    expect(approvals).toBe(1);
  });

  it('when the provider fails it with INVALID_ACCOUNT (retry class none), it fails after one attempt and the amount returns to available', async () => {
    const { payout, partnerId } = await approvedAutomaticPayout('FAIL_INVALID_ACCOUNT@example.com');
    const done = await waitFor(payout.id, (row) => isTerminalPayoutStatus(row.status), 'FAILED');
    expect(done).toMatchObject({ status: 'FAILED', failure: { code: 'INVALID_ACCOUNT' }, provider: { attempt: 1 } });
    expect(await balances(partnerId)).toMatchObject({ available: '1000.00', payout_reserved: '0.00' });
    expect(paymentsFor(payout.id)).toHaveLength(0);
    expect(sendsOf(payout.id)).toHaveLength(1);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await recordHistory(payout.workflowId, 'payout-automatic-failed-lean');
  });

  it('when the provider answers PROVIDER_ERROR twice, the third attempt (after the backoff) pays it, once', async () => {
    const queued = await fetch(`${sandbox.url}/control/next-response`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 500, times: 2 }),
    });
    expect(queued.status).toBe(200);
    const { payout, partnerId } = await approvedAutomaticPayout();
    const done = await waitFor(payout.id, (row) => isTerminalPayoutStatus(row.status), 'COMPLETED');
    expect(done).toMatchObject({ status: 'COMPLETED', provider: { attempt: 3 } });
    expect(paymentsFor(payout.id).map((payment) => payment.idempotencyKey)).toEqual([`${payout.id}:3`]);
    expect(await balances(partnerId)).toMatchObject({ available: '900.00', payout_reserved: '0.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await recordHistory(payout.workflowId, 'payout-automatic-retried-completed-lean');
  });

  it('when the provider accepts the payout but the answer is lost, it is still paid exactly once', async () => {
    await fetch(`${sandbox.url}/control/next-response`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 500, afterAccepting: true }),
    });
    const { payout, partnerId } = await approvedAutomaticPayout();
    const done = await waitFor(payout.id, (row) => isTerminalPayoutStatus(row.status), 'COMPLETED');
    // The lost answer was found by asking the provider about the same key: no second attempt.
    expect(done).toMatchObject({ status: 'COMPLETED', provider: { attempt: 1 } });
    // Let any (wrong) further attempt reach the provider before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(paymentsFor(payout.id)).toHaveLength(1);
    expect(await balances(partnerId)).toMatchObject({ available: '900.00', payout_reserved: '0.00' });
  });

  it('when every attempt fails with PROVIDER_ERROR, it stays PROCESSING in the review queue until an admin fails it', async () => {
    await fetch(`${sandbox.url}/control/next-response`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 500, times: 3 }),
    });
    const { payout, partnerId } = await approvedAutomaticPayout();
    const review = await waitFor(payout.id, (row) => row.provider.needsReview, 'needsReview');
    expect(review).toMatchObject({ status: 'PROCESSING', provider: { attempt: 3, needsReview: true }, failure: { code: 'PROVIDER_ERROR' } });
    const { token } = await admin('financial_support');
    const queue = (await (await api.request('/v1/payouts?needsReview=true', { token })).json()) as { payouts: Payout[] };
    expect(queue.payouts.map((row) => row.id)).toContain(payout.id);
    expect(paymentsFor(payout.id)).toHaveLength(0);

    const failed = await decide(payout.id, 'fail', 'finance_manager', { failureCode: 'PROVIDER_ERROR', reason: 'provider down for days' });
    expect(failed.status, await failed.clone().text()).toBe(200);
    expect(await failed.json()).toMatchObject({ status: 'FAILED' });
    expect(await balances(partnerId)).toMatchObject({ available: '1000.00', payout_reserved: '0.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('while the provider works on it, an admin cannot complete it (409 provider_in_progress)', async () => {
    // No webhook reaches this payout's attempt before its settlement delay, so the admin is early.
    const { payout } = await approvedAutomaticPayout();
    await waitFor(payout.id, (row) => row.status === 'PROCESSING' || isTerminalPayoutStatus(row.status), 'PROCESSING');
    const early = await decide(payout.id, 'complete', 'finance_manager');
    if ((await read(payout.id)).status === 'PROCESSING') {
      expect(early.status).toBe(409);
      expect(await errorOf(early)).toMatchObject({ code: 'provider_in_progress' });
    }
    await waitFor(payout.id, (row) => isTerminalPayoutStatus(row.status), 'COMPLETED');
    expect(paymentsFor(payout.id)).toHaveLength(1);
  });
});

describe('POST /v1/webhooks/provider', () => {
  const event = (payoutId: string) =>
    JSON.stringify({
      eventId: `evt_forged_${randomBytes(4).toString('hex')}`,
      providerReference: 'psb_forged',
      idempotencyKey: `${payoutId}:1`,
      payoutId,
      status: 'COMPLETED',
      occurredAt: new Date().toISOString(),
    });
  const deliver = (body: string, signature: string | null) =>
    fetch(`${publicUrl}/v1/webhooks/provider`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature === null ? {} : { [signatureHeaderName]: signature }) },
      body,
    });

  it('a forged, stale or unsigned webhook is refused with 401 naming X-Sandbox-Signature, and nothing changes', async () => {
    const { partnerId, token } = await partnerWithLogin('500.00');
    const response = await api.request('/v1/payouts', { token, body: { partnerId, amount: '100', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'jane@example.com' } } });
    const created = (await response.json()) as Payout;
    payoutIds.add(created.id);
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
    const body = event(created.id);
    for (const signature of [signWebhook(body, 'not-the-secret'), signWebhook(body, secret, Math.floor(Date.now() / 1000) - 3_600), null]) {
      const answer = await deliver(body, signature);
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'invalid_signature', field: signatureHeaderName });
    }
    // A valid signature over another body is a forgery too.
    const tampered = await deliver(body.replace('COMPLETED', 'FAILED'), signWebhook(body, secret));
    expect(tampered.status).toBe(401);
    const after = await read(created.id);
    expect(after).toMatchObject({ status: 'AWAITING_APPROVAL', provider: { attempt: 0, reference: null } });
    expect(await balances(partnerId)).toMatchObject({ available: '400.00', payout_reserved: '100.00' });
  });

  it('a correctly signed result for an attempt the payout has not sent is accepted (200) and ignored', async () => {
    const { partnerId, token } = await partnerWithLogin('500.00');
    const response = await api.request('/v1/payouts', { token, body: { partnerId, amount: '100', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'jane@example.com' } } });
    const created = (await response.json()) as Payout;
    payoutIds.add(created.id);
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
    const body = event(created.id);
    const answer = await deliver(body, signWebhook(body, secret));
    expect(answer.status).toBe(200);
    // Approving now sends attempt 1 for real: the early "COMPLETED" must not have been kept for it.
    const approved = await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash });
    expect(approved.status).toBe(200);
    const done = await waitFor(created.id, (row) => isTerminalPayoutStatus(row.status), 'COMPLETED');
    expect(done.provider.reference).not.toBe('psb_forged');
    expect(paymentsFor(created.id)).toHaveLength(1);
  });
});

describe('emergency switches (docs/rules.md#emergency-switches)', () => {
  /** Sets a switch through the ops API as a fresh finance manager with a fresh TOTP code. */
  async function ops(method: 'PUT' | 'POST', path: string, body: Record<string, unknown>) {
    const { admin: actor, token } = await admin('finance_manager');
    const response = await api.request(path, { method, token, headers: { 'x-totp-code': await api.nextTotp(actor) }, body });
    expect(response.status, await response.clone().text()).toBe(200);
  }
  const stateOf = (payout: Payout) => api.dependencies.temporal.workflow.getHandle(payout.workflowId).query(getPayoutStateQuery);
  async function waitForState(payout: Payout, done: (state: Awaited<ReturnType<typeof stateOf>>) => boolean, what: string) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const state = await stateOf(payout);
      if (done(state)) return state;
      if (Date.now() > deadline) throw new Error(`payout ${payout.id}: ${JSON.stringify(state)}, expected ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('while processing is paused, an approved payout waits and says why, a manual one cannot start; resumed, both go on and the provider pays once', async () => {
    await ops('PUT', '/v1/ops/switches/processing', { paused: true, reason: 'incident 42: ledger check running' });
    try {
      const { payout } = await approvedAutomaticPayout();
      const waiting = await waitForState(payout, (state) => (state.waitingFor ?? []).length > 0, 'waiting on the pause');
      expect(waiting.status).toBe('APPROVED');
      expect(waiting.waitingFor![0]).toContain('incident 42');
      expect(sendsOf(payout.id)).toEqual([]);

      // A manual payout of the same partner kind: approved, but "processing" is refused while paused.
      const { partnerId, token } = await partnerWithLogin('500.00');
      const manual = await api.request('/v1/payouts', {
        token,
        body: { partnerId, amount: '100', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: { accountName: 'Automatic Partner', accountNumber: '12345678', routingNumber: '021000021' } },
      });
      expect(manual.status, await manual.clone().text()).toBe(201);
      const bank = (await manual.json()) as Payout;
      payoutIds.add(bank.id);
      await waitForStatus(bank.id, 'AWAITING_APPROVAL');
      expect((await decide(bank.id, 'approve', 'admin', { amount: '100.00', detailsHash: bank.detailsHash })).status).toBe(200);
      const refused = await decide(bank.id, 'process', 'finance_manager', { externalReference: 'BANK-PAUSED' });
      expect(refused.status).toBe(409);
      expect(await errorOf(refused)).toMatchObject({ code: 'processing_stopped' });
      expect((await read(bank.id)).status).toBe('APPROVED');

      await ops('PUT', '/v1/ops/switches/processing', { paused: false, reason: 'incident 42 closed' });
      // An admin's release looks at once instead of at the next re-check.
      expect((await decide(payout.id, 'release', 'admin')).status).toBe(200);
      const done = await waitFor(payout.id, (row) => isTerminalPayoutStatus(row.status), 'COMPLETED');
      expect(done.status).toBe('COMPLETED');
      expect(paymentsFor(payout.id)).toHaveLength(1);
      expect((await decide(bank.id, 'process', 'finance_manager', { externalReference: 'BANK-RESUMED' })).status).toBe(200);
      await assertLedgerInvariants(api.testDatabase.ownerUrl);
      await recordHistory(payout.workflowId, 'payout-automatic-paused-resumed-lean');
    } finally {
      await ops('PUT', '/v1/ops/switches/processing', { paused: false, reason: 'test cleanup' });
    }
  });

  it('when the provider is out and its method is switched to manual, an approved payout is processed by hand and the provider gets nothing', async () => {
    await ops('PUT', '/v1/ops/switches/methods/PAYQUICKER', { forceManual: true, reason: 'provider outage' });
    try {
      const { payout, partnerId } = await approvedAutomaticPayout();
      await waitForState(payout, (state) => state.processing === 'MANUAL', 'switched to manual');
      const processing = await decide(payout.id, 'process', 'finance_manager', { externalReference: 'PQ-PORTAL-7' });
      expect(processing.status, await processing.clone().text()).toBe(200);
      const completed = await decide(payout.id, 'complete', 'finance_manager');
      expect(completed.status, await completed.clone().text()).toBe(200);
      expect(await completed.json()).toMatchObject({ status: 'COMPLETED', externalReference: 'PQ-PORTAL-7' });
      expect(sendsOf(payout.id)).toEqual([]);
      expect(paymentsFor(payout.id)).toEqual([]);
      expect(await balances(partnerId)).toMatchObject({ available: '900.00', payout_reserved: '0.00' });
      await assertLedgerInvariants(api.testDatabase.ownerUrl);
      await recordHistory(payout.workflowId, 'payout-automatic-switched-manual-lean');
    } finally {
      await ops('PUT', '/v1/ops/switches/methods/PAYQUICKER', { forceManual: false, reason: 'provider back' });
    }
  });

  it('a frozen partner’s payout is HELD by the checklist; unfrozen and released, it goes on to approval', async () => {
    const { partnerId, token } = await partnerWithLogin('300.00');
    await ops('POST', `/v1/ops/partners/${partnerId}/freeze`, { kind: 'FRAUD_SUSPECTED', reason: 'card testing pattern' });
    const response = await api.request('/v1/payouts', { token, body: { partnerId, amount: '100', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'frozen@example.com' } } });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = (await response.json()) as Payout;
    payoutIds.add(created.id);
    const held = await waitForStatus(created.id, 'HELD');
    expect(held.checklist.filter((check) => !check.passed).map((check) => check.check)).toEqual(['NOT_FROZEN']);
    expect(await balances(partnerId)).toMatchObject({ available: '200.00', payout_reserved: '100.00' });

    await ops('POST', `/v1/ops/partners/${partnerId}/unfreeze`, { reason: 'cleared by the risk team' });
    expect((await decide(created.id, 'release', 'admin')).status).toBe(200);
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
  });
});
