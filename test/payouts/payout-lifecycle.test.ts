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
import { isTerminalPayoutStatus, type PayoutStatus } from '../../domain/payout.ts';
import { getPayoutStateQuery } from '../../workflows/payout-messages.ts';
import { payoutStatusKey, priorityKey, methodKey } from '../../workflows/search-attributes.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, repositoryRoot } from '../helpers/temporal.ts';

let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const payoutIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  // 100 RUB per USD: 1 RUB is worth 0.01 USD.
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
});

afterAll(async () => {
  // Payouts the tests left open would wait for decisions forever.
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
  await api?.close();
});

const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };

interface Payout {
  id: string;
  status: PayoutStatus;
  amount: string;
  fee: string;
  amountToTransfer: string;
  amountRub: string | null;
  detailsHash: string;
  requiredChain: { roles: string[] }[];
  approvals: { userId: string; role: string; decision: string }[];
  checklist: { check: string; passed: boolean; action: string }[];
  rejection: { code: string; reason: string | null } | null;
  settleEntryId: string | null;
  workflowId: string;
  priority: string;
}

/** A partner who joined a month ago (past the 7-day checklist minimum), with a signed-in partner user. */
async function partnerWithLogin(input: { kycStatus?: string; status?: string; joinedDaysAgo?: number; funds?: string } = {}) {
  const partnerId = `p_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, 'Jane Doe', '3', ${input.status ?? 'ACTIVE'}, ${input.kycStatus ?? 'APPROVED'},
            now() - make_interval(days => ${input.joinedDaysAgo ?? 30}))`);
  const user = await api.createPartnerUser(partnerId);
  const token = await api.signIn(user);
  if (input.funds) await fund(partnerId, input.funds);
  return { partnerId, user, token };
}

async function fund(partnerId: string, amount: string, currency = 'USD') {
  await api.dependencies.ledger.postEntry({
    idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
    kind: 'bonus',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency }, amount: `-${amount}` },
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency }, amount },
    ],
  });
}

async function balances(partnerId: string, currency = 'USD') {
  const all = await api.dependencies.ledger.partnerBalances(partnerId);
  return all.find((row) => row.currency === currency)!;
}

/** A freshly signed-in admin of the role; each has one unused TOTP step left for a step-up without waiting. */
async function admin(role: AdminRole = 'admin') {
  const created = await api.createAdmin(role);
  return { admin: created, token: await api.signIn(created) };
}

async function requestPayout(token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await api.request('/v1/payouts', { token, headers, body });
  if (response.status === 201) payoutIds.add(((await response.clone().json()) as Payout).id);
  return response;
}

async function createdPayout(token: string, body: Record<string, unknown>): Promise<Payout> {
  const response = await requestPayout(token, body);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Payout;
}

/** Sends a decision as a fresh admin of the role, with a fresh TOTP code. */
async function decide(payoutId: string, action: string, role: AdminRole, body: Record<string, unknown> = {}) {
  const { admin: actor, token } = await admin(role);
  return api.request(`/v1/payouts/${payoutId}/${action}`, { token, headers: { 'x-totp-code': await api.nextTotp(actor) }, body });
}

async function read(payoutId: string): Promise<Payout> {
  const { token } = await readerToken();
  const response = await api.request(`/v1/payouts/${payoutId}`, { token });
  expect(response.status).toBe(200);
  return (await response.json()) as Payout;
}

let reader: Promise<{ token: string }> | undefined;
function readerToken() {
  reader ??= admin('financial_support');
  return reader;
}

/** The checklist runs in the workflow after creation: wait until it has moved the payout on. */
async function waitForStatus(payoutId: string, expected: PayoutStatus): Promise<Payout> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const payout = await read(payoutId);
    if (payout.status === expected) return payout;
    if (Date.now() > deadline || isTerminalPayoutStatus(payout.status)) throw new Error(`payout ${payoutId} is ${payout.status}, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * With LEDGERFLOW_RECORD_HISTORIES=1, writes the finished workflow's history to test/histories/<name>.json, which
 * test/workflows/replay.test.ts replays against the current code from then on.
 */
async function recordHistory(workflowId: string, name: string) {
  if (process.env.LEDGERFLOW_RECORD_HISTORIES !== '1') return;
  await api.dependencies.temporal.workflow.getHandle(workflowId).result();
  // The format test/histories keeps: `temporal workflow show --output json`, as test/histories/record.ts writes it.
  const { stdout } = await promisify(execFile)(
    inject('temporalCli'),
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', inject('temporalAddress'), '--namespace', 'default'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  await writeFile(path.join(repositoryRoot, 'test', 'histories', `${name}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
}

const countSchema = z.object({ count: z.number() });
/** The notices the payout put in the outbox, oldest first: kind, who (partner or roles) and subject. */
const noticesFor = (payoutId: string) =>
  api.owner.any(sql.type(z.object({ kind: z.string(), partner_id: z.string().nullable(), recipient_roles: z.array(z.string()).nullable(), subject: z.string(), body: z.string() }))`
    SELECT kind, partner_id, recipient_roles, subject, body FROM notifications WHERE dedupe_key LIKE ${`%:${payoutId}%`} ORDER BY id`);
const auditCount = (payoutId: string, action: string) =>
  api.owner.oneFirst(sql.type(countSchema)`
    SELECT count(*)::int AS count FROM audit_records WHERE target_type = 'payout' AND target_id = ${payoutId} AND action = ${action}`);

describe('payout happy path', () => {
  it('when a partner requests 100 USD by bank transfer and an admin approves, processes and completes it, the money reaches clearing and fees', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '1000.00' });
    const created = await createdPayout(token, { partnerId, amount: '100', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    // fee = max(1 % of 100.00, 5.00 minimum) = 5.00
    expect(created).toMatchObject({ status: 'REQUESTED', amount: '100.00', fee: '5.00', amountToTransfer: '95.00', amountRub: '10000.00', priority: 'NORMAL' });
    expect(created.requiredChain).toEqual([{ roles: ['admin', 'senior_admin', 'finance_manager', 'finance_director'] }]);
    expect(await balances(partnerId)).toMatchObject({ available: '900.00', payout_reserved: '100.00' });

    const awaiting = await waitForStatus(created.id, 'AWAITING_APPROVAL');
    expect(awaiting.checklist.map((check) => [check.check, check.passed])).toEqual([
      ['KYC_APPROVED', true], ['PARTNER_ACTIVE', true], ['ACCOUNT_AGE', true], ['PER_REQUEST_LIMIT', true],
      ['NOT_FROZEN', true], ['DAILY_CAP', true], ['VELOCITY', true], ['NAME_MATCHES_KYC', true],
      ['NO_OPEN_DISPUTES', true], ['NO_ACCOUNT_REVIEW', true], ['NO_CHARGEBACK_FLAGS', true],
    ]);

    const approved = await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash });
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'APPROVED', approvals: [{ role: 'admin', decision: 'APPROVE' }] });

    const processing = await decide(created.id, 'process', 'finance_manager', { externalReference: 'BANK-REF-1' });
    expect(processing.status, await processing.clone().text()).toBe(200);
    expect(await processing.json()).toMatchObject({ status: 'PROCESSING', externalReference: 'BANK-REF-1' });

    const completed = await decide(created.id, 'complete', 'finance_manager');
    expect(completed.status, await completed.clone().text()).toBe(200);
    const done = (await completed.json()) as Payout;
    expect(done.status).toBe('COMPLETED');

    expect(await balances(partnerId)).toMatchObject({ available: '900.00', payout_reserved: '0.00' });
    const postings = await api.owner.any(sql.type(z.object({ owner_type: z.string(), bucket: z.string(), amount: z.string() }))`
      SELECT a.owner_type, a.bucket, p.amount::text AS amount FROM postings p JOIN accounts a ON a.id = p.account_id
      WHERE p.entry_id = ${done.settleEntryId} ORDER BY p.line`);
    expect(postings.map((row) => [row.owner_type, row.bucket, row.amount])).toEqual([
      ['partner', 'payout_reserved', '-100.00'],
      ['platform', 'payout_clearing', '95.00'],
      ['platform', 'fees_income', '5.00'],
    ]);
    for (const action of ['PAYOUT_REQUEST', 'PAYOUT_APPROVE', 'PAYOUT_PROCESS', 'PAYOUT_COMPLETE']) {
      expect(await auditCount(created.id, action), action).toBe(1);
    }
    // The approving admins were asked, and the partner told when it was paid (docs/rules.md#notifications).
    expect((await noticesFor(created.id)).map((notice) => [notice.kind, notice.partner_id ?? notice.recipient_roles])).toEqual([
      ['APPROVAL_REQUESTED', ['admin', 'senior_admin', 'finance_manager', 'finance_director']],
      ['PAYOUT_COMPLETED', partnerId],
    ]);

    const handle = api.dependencies.temporal.workflow.getHandle(created.workflowId);
    expect(await handle.result()).toMatchObject({ status: 'COMPLETED', policyVersion: 1 });
    expect((await handle.query(getPayoutStateQuery)).status).toBe('COMPLETED');
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(payoutStatusKey)).toBe('COMPLETED');
    expect(attributes.get(methodKey)).toBe('BANK_TRANSFER');
    expect(attributes.get(priorityKey)).toBe('NORMAL');
    // docs/rules.md#payout-lean-lifecycle: checklist, approval, processing and completion are local activities, one
    // marker each, and the update's workflow task records them: 50 events before, at most 30 now.
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((event) => event.activityTaskScheduledEventAttributes)).toEqual([]);
    expect(events.length, `${events.length} events`).toBeLessThanOrEqual(30);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await recordHistory(created.workflowId, 'payout-completed-lean');
  });

  it('when a partner asks for a non-regular payout below the method’s minimum, it is made at the surcharge, which the platform keeps', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '1000.00' });
    const before = await api.countRows();
    const refused = await requestPayout(token, { partnerId, amount: '40.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    expect(refused.status).toBe(422);
    expect(await errorOf(refused)).toMatchObject({ code: 'below_minimum', field: 'body.amount', message: expect.stringContaining('non-regular') });
    expect(await api.countRows()).toEqual(before);

    // fee = max(1 % of 40.00, 5.00) = 5.00, plus the 5 % surcharge = 2.00: 7.00 kept, 33.00 transferred.
    const created = await createdPayout(token, { partnerId, amount: '40.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails, nonRegular: true });
    expect(created).toMatchObject({ nonRegular: true, surcharge: '2.00', fee: '7.00', amountToTransfer: '33.00' });
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
    expect((await decide(created.id, 'approve', 'admin', { amount: '40.00', detailsHash: created.detailsHash })).status).toBe(200);
    expect((await decide(created.id, 'process', 'finance_manager', { externalReference: 'BANK-REF-NR' })).status).toBe(200);
    const completed = await decide(created.id, 'complete', 'finance_manager');
    const done = (await completed.json()) as Payout;
    expect(done).toMatchObject({ status: 'COMPLETED', nonRegular: true, surcharge: '2.00' });
    const postings = await api.owner.any(sql.type(z.object({ owner_type: z.string(), bucket: z.string(), amount: z.string() }))`
      SELECT a.owner_type, a.bucket, p.amount::text AS amount FROM postings p JOIN accounts a ON a.id = p.account_id
      WHERE p.entry_id = ${done.settleEntryId} ORDER BY p.line`);
    expect(postings.map((row) => [row.owner_type, row.bucket, row.amount])).toEqual([
      ['partner', 'payout_reserved', '-40.00'],
      ['platform', 'payout_clearing', '33.00'],
      ['platform', 'fees_income', '7.00'],
    ]);
    const audit = await api.owner.oneFirst(sql.type(z.object({ details: z.record(z.unknown()) }))`
      SELECT details FROM audit_records WHERE target_type = 'payout' AND target_id = ${created.id} AND action = 'PAYOUT_REQUEST'`);
    expect(audit).toMatchObject({ nonRegular: true, surcharge: '2.00', fee: '7.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('approvals', () => {
  it('when an approval arrives before the checklist has run, it waits for the checklist instead of being refused', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '500.00' });
    const created = await createdPayout(token, { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    expect(created.status).toBe('REQUESTED');
    const approved = await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash });
    expect(approved.status, await approved.clone().text()).toBe(200);
    const body = (await approved.json()) as Payout;
    expect(body.status).toBe('APPROVED');
    expect(body.checklist.every((check) => check.passed)).toBe(true);
    expect(await auditCount(created.id, 'PAYOUT_APPROVE')).toBe(1);
    expect((await decide(created.id, 'cancel', 'admin', {})).status).toBe(200);
    await recordHistory(created.workflowId, 'payout-approved-before-checklist-lean');
  });

  it('when an early approval meets a checklist that holds the payout, the approval is refused and nothing is recorded', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '500.00', kycStatus: 'PENDING' });
    const created = await createdPayout(token, { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    const refused = await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash });
    expect(refused.status).toBe(409);
    expect(await errorOf(refused)).toMatchObject({ code: 'invalid_state' });
    expect((await read(created.id)).status).toBe('HELD');
    expect(await auditCount(created.id, 'PAYOUT_APPROVE')).toBe(0);
  });

  it('when the admin who requested a payout tries to approve it, it answers 403 maker_checker', async () => {
    const { partnerId } = await partnerWithLogin({ funds: '500.00' });
    const { admin: maker, token } = await admin('senior_admin');
    const response = await requestPayout(token, { partnerId, amount: '60.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails }, { 'x-totp-code': await api.nextTotp(maker) });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = (await response.json()) as Payout;
    await waitForStatus(created.id, 'AWAITING_APPROVAL');

    const own = await api.request(`/v1/payouts/${created.id}/approve`, {
      token,
      headers: { 'x-totp-code': await api.nextTotp(maker) },
      body: { amount: '60.00', detailsHash: created.detailsHash },
    });
    expect(own.status).toBe(403);
    expect(await errorOf(own)).toMatchObject({ code: 'maker_checker' });
    expect((await read(created.id)).approvals).toEqual([]);
  });

  it('when a payout of 500,000 RUB-equivalent needs a finance manager and a senior admin, one approval is not enough and wrong roles are refused', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '6000.00' });
    const created = await createdPayout(token, { partnerId, amount: '5000.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    expect(created.amountRub).toBe('500000.00');
    expect(created.requiredChain).toEqual([{ roles: ['finance_manager'] }, { roles: ['senior_admin'] }]);
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
    const approval = { amount: '5000.00', detailsHash: created.detailsHash };

    const plainAdmin = await decide(created.id, 'approve', 'admin', approval);
    expect(plainAdmin.status).toBe(403);
    expect(await errorOf(plainAdmin)).toMatchObject({ code: 'role_not_in_chain' });

    const wrongHash = await decide(created.id, 'approve', 'finance_manager', { ...approval, detailsHash: '0'.repeat(64) });
    expect(wrongHash.status).toBe(409);
    expect(await errorOf(wrongHash)).toMatchObject({ code: 'details_changed', field: 'body.detailsHash' });
    const wrongAmount = await decide(created.id, 'approve', 'finance_manager', { ...approval, amount: '4000.00' });
    expect(wrongAmount.status).toBe(409);
    expect(await errorOf(wrongAmount)).toMatchObject({ code: 'amount_mismatch', field: 'body.amount' });

    const first = await decide(created.id, 'approve', 'finance_manager', approval);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(await first.json()).toMatchObject({ status: 'AWAITING_APPROVAL', approvals: [{ role: 'finance_manager' }] });

    // The finance-manager step is done: a second finance manager is not a senior admin.
    const secondManager = await decide(created.id, 'approve', 'finance_manager', approval);
    expect(secondManager.status).toBe(403);
    expect(await errorOf(secondManager)).toMatchObject({ code: 'role_not_in_chain' });

    const second = await decide(created.id, 'approve', 'senior_admin', approval);
    expect(second.status, await second.clone().text()).toBe(200);
    const approved = (await second.json()) as Payout;
    expect(approved.status).toBe('APPROVED');
    expect(approved.approvals.map((row) => row.role).sort()).toEqual(['finance_manager', 'senior_admin']);
    expect(await auditCount(created.id, 'PAYOUT_APPROVE')).toBe(2);
    // Each approver in turn: every role with an open step (the steps may be taken in any order), then, after the
    // finance manager's approval, only the senior admins.
    expect((await noticesFor(created.id)).map((notice) => [notice.kind, notice.recipient_roles])).toEqual([
      ['APPROVAL_REQUESTED', ['finance_manager', 'senior_admin']],
      ['APPROVAL_REQUESTED', ['senior_admin']],
    ]);
  });
});

describe('the director pair and TOTP replay', () => {
  it('when a payout is above 1,000,000 RUB-equivalent, a finance director and a finance manager must both approve; a replayed TOTP code is refused', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '20000.00' });
    const created = await createdPayout(token, { partnerId, amount: '15000.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    expect(created.amountRub).toBe('1500000.00');
    expect(created.requiredChain).toEqual([{ roles: ['finance_director'] }, { roles: ['finance_manager'] }]);
    expect(created.priority).toBe('REVIEW');
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
    const approval = { amount: '15000.00', detailsHash: created.detailsHash };

    // A senior admin has no step here.
    const senior = await decide(created.id, 'approve', 'senior_admin', approval);
    expect(senior.status).toBe(403);
    expect(await errorOf(senior)).toMatchObject({ code: 'role_not_in_chain' });

    const { admin: director, token: directorToken } = await admin('finance_director');
    const code = await api.nextTotp(director);
    const first = await api.request(`/v1/payouts/${created.id}/approve`, { token: directorToken, headers: { 'x-totp-code': code }, body: approval });
    expect(first.status, await first.clone().text()).toBe(200);
    expect(await first.json()).toMatchObject({ status: 'AWAITING_APPROVAL' });

    // The same code again, by the same director on another payout: refused before anything reaches the workflow.
    const other = await partnerWithLogin({ funds: '20000.00' });
    const target = await createdPayout(other.token, { partnerId: other.partnerId, amount: '15000.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    await waitForStatus(target.id, 'AWAITING_APPROVAL');
    const replayed = await api.request(`/v1/payouts/${target.id}/approve`, { token: directorToken, headers: { 'x-totp-code': code }, body: { amount: '15000.00', detailsHash: target.detailsHash } });
    expect(replayed.status).toBe(401);
    expect((await errorOf(replayed)).field).toBe('X-TOTP-Code');
    expect((await read(target.id)).approvals).toEqual([]);

    const manager = await decide(created.id, 'approve', 'finance_manager', approval);
    expect(manager.status, await manager.clone().text()).toBe(200);
    const approved = (await manager.json()) as Payout;
    expect(approved.status).toBe('APPROVED');
    expect(approved.approvals.map((row) => row.role).sort()).toEqual(['finance_director', 'finance_manager']);
  });
});

describe('rejections and cancellations', () => {
  it('when an admin rejects a payout with INVALID_METHOD, the amount returns to available', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '300.00' });
    const created = await createdPayout(token, { partnerId, amount: '120.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
    expect(await balances(partnerId)).toMatchObject({ available: '180.00', payout_reserved: '120.00' });

    const noReason = await decide(created.id, 'reject', 'admin', { code: 'INVALID_METHOD' });
    expect(noReason.status).toBe(400);
    expect((await errorOf(noReason)).field).toBe('body.reason');

    const rejected = await decide(created.id, 'reject', 'admin', { code: 'INVALID_METHOD', reason: 'the bank does not accept the account' });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(await rejected.json()).toMatchObject({ status: 'REJECTED', rejection: { code: 'INVALID_METHOD', reason: 'the bank does not accept the account' } });
    expect(await balances(partnerId)).toMatchObject({ available: '300.00', payout_reserved: '0.00', held: '0.00' });
    expect(await auditCount(created.id, 'PAYOUT_REJECT')).toBe(1);
    const rejectionNotice = (await noticesFor(created.id)).find((notice) => notice.kind === 'PAYOUT_REJECTED');
    expect(rejectionNotice).toMatchObject({ partner_id: partnerId });
    expect(rejectionNotice!.body).toContain('INVALID_METHOD: the bank does not accept the account');

    const again = await decide(created.id, 'approve', 'admin', { amount: '120.00', detailsHash: created.detailsHash });
    expect(again.status).toBe(409);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await recordHistory(created.workflowId, 'payout-rejected-lean');
  });

  it('when an admin rejects a payout with FRAUD_SUSPECTED, the amount is frozen in held', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '300.00' });
    const created = await createdPayout(token, { partnerId, amount: '200.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
    const rejected = await decide(created.id, 'reject', 'senior_admin', { code: 'FRAUD_SUSPECTED', reason: 'orders from a stolen card' });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(await balances(partnerId)).toMatchObject({ available: '100.00', payout_reserved: '0.00', held: '200.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('when the partner cancels their own payout, the amount returns to available and a later decision is refused', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '80.00' });
    const created = await createdPayout(token, { partnerId, amount: '80.00', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'jane@example.com' } });
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
    const cancelled = await api.request(`/v1/payouts/${created.id}/cancel`, { token, body: { reason: 'changed my mind' } });
    expect(cancelled.status, await cancelled.clone().text()).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: 'CANCELLED' });
    expect(await balances(partnerId)).toMatchObject({ available: '80.00', payout_reserved: '0.00' });
    expect(await auditCount(created.id, 'PAYOUT_CANCEL')).toBe(1);
    await recordHistory(created.workflowId, 'payout-cancelled-lean');

    const approve = await decide(created.id, 'approve', 'admin', { amount: '80.00', detailsHash: created.detailsHash });
    expect(approve.status).toBe(409);
    expect(await errorOf(approve)).toMatchObject({ code: 'invalid_state' });

    // The wallet has no active payout any more: the partner may request again, with the saved details.
    const again = await requestPayout(token, { partnerId, amount: '50.00', currency: 'USD', methodId: 'PAYQUICKER' });
    expect(again.status, await again.clone().text()).toBe(201);
    expect(await again.json()).toMatchObject({ paymentDetails: { email: 'jane@example.com' } });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('when a processing payout fails, the full amount returns to available', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '100.00' });
    const created = await createdPayout(token, { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    await waitForStatus(created.id, 'AWAITING_APPROVAL');
    expect((await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash })).status).toBe(200);
    expect((await decide(created.id, 'process', 'admin', { externalReference: 'REF-9' })).status).toBe(200);
    const cancel = await api.request(`/v1/payouts/${created.id}/cancel`, { token, body: {} });
    expect(cancel.status).toBe(409);
    const failed = await decide(created.id, 'fail', 'admin', { failureCode: 'ACCOUNT_CLOSED', reason: 'bank returned the transfer' });
    expect(failed.status, await failed.clone().text()).toBe(200);
    expect(await failed.json()).toMatchObject({ status: 'FAILED', failure: { code: 'ACCOUNT_CLOSED' } });
    expect(await balances(partnerId)).toMatchObject({ available: '100.00', payout_reserved: '0.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await recordHistory(created.workflowId, 'payout-failed-lean');
  });
});

describe('creation refusals', () => {
  it('when two payouts for more than the balance are requested at once, exactly one succeeds', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '100.00' });
    const body = { partnerId, amount: '80.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails };
    const answers = await Promise.all([requestPayout(token, body), requestPayout(token, body)]);
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses[0]).toBe(201);
    expect([409, 422]).toContain(statuses[1]);
    expect(await balances(partnerId)).toMatchObject({ available: '20.00', payout_reserved: '80.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('when a payout exceeds the available balance, it answers 422 naming body.amount and writes nothing', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '70.00' });
    const before = await api.countRows();
    const response = await requestPayout(token, { partnerId, amount: '70.01', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    expect(response.status).toBe(422);
    expect(await errorOf(response)).toMatchObject({ code: 'insufficient_funds', field: 'body.amount' });
    expect(await api.countRows()).toEqual(before);
  });

  it('when the partner already has an active payout in the currency, a second is refused as a duplicate', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '1000.00' });
    await createdPayout(token, { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    const before = await api.countRows();
    const second = await requestPayout(token, { partnerId, amount: '100.00', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'jane@example.com' } });
    expect(second.status).toBe(409);
    expect(await errorOf(second)).toMatchObject({ code: 'duplicate_request', field: 'body.currency' });
    expect(await api.countRows()).toEqual(before);
    expect(await balances(partnerId)).toMatchObject({ available: '900.00', payout_reserved: '100.00' });
  });

  it('when payment details break the method’s fields, it answers 400 naming body.paymentDetails.<field> and writes nothing', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '1000.00' });
    const before = await api.countRows();
    const cases: [Record<string, string>, string][] = [
      [{ ...bankDetails, routingNumber: '12' }, 'body.paymentDetails.routingNumber'],
      [{ accountName: 'Jane Doe', routingNumber: '021000021' }, 'body.paymentDetails.accountNumber'],
      [{ ...bankDetails, iban: 'DE00' }, 'body.paymentDetails.iban'],
    ];
    for (const [paymentDetails, field] of cases) {
      const response = await requestPayout(token, { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails });
      expect(response.status, field).toBe(400);
      expect(await errorOf(response), field).toMatchObject({ code: 'invalid_request', field });
    }
    const belowMinimum = await requestPayout(token, { partnerId, amount: '49.99', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    expect(belowMinimum.status).toBe(422);
    expect(await errorOf(belowMinimum)).toMatchObject({ code: 'below_minimum', field: 'body.amount' });
    const otherPartner = await requestPayout(token, { partnerId: 'p_someone_else', amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    expect(otherPartner.status).toBe(403);
    expect(await api.countRows()).toEqual(before);
  });
});

describe('the review checklist', () => {
  it('when the partner’s KYC is PENDING the payout is HELD, and a release after KYC approval moves it to AWAITING_APPROVAL', async () => {
    const { partnerId, token } = await partnerWithLogin({ kycStatus: 'PENDING', funds: '500.00' });
    const created = await createdPayout(token, { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    const held = await waitForStatus(created.id, 'HELD');
    expect(held.checklist.find((check) => check.check === 'KYC_APPROVED')).toMatchObject({ passed: false, action: 'HOLD' });

    const early = await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash });
    expect(early.status).toBe(409);

    const stillPending = await decide(created.id, 'release', 'admin');
    expect(stillPending.status, await stillPending.clone().text()).toBe(200);
    expect(await stillPending.json()).toMatchObject({ status: 'HELD' });

    await api.owner.query(sql.unsafe`UPDATE partners SET kyc_status = 'APPROVED' WHERE id = ${partnerId}`);
    const released = await decide(created.id, 'release', 'admin');
    expect(released.status, await released.clone().text()).toBe(200);
    expect(await released.json()).toMatchObject({ status: 'AWAITING_APPROVAL' });
    // Close it so its history (held, released twice, approved, completed) can be kept for replay.
    expect((await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash })).status).toBe(200);
    expect((await decide(created.id, 'process', 'admin', { externalReference: 'REF-HELD' })).status).toBe(200);
    expect((await decide(created.id, 'complete', 'admin')).status).toBe(200);
    await recordHistory(created.workflowId, 'payout-held-released-completed-lean');
  });

  it('when the partner is SUSPENDED the payout is rejected with ACCOUNT_SUSPENDED and the amount returns', async () => {
    const { partnerId, token } = await partnerWithLogin({ status: 'SUSPENDED', funds: '500.00' });
    const created = await createdPayout(token, { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    const rejected = await waitForStatus(created.id, 'REJECTED');
    expect(rejected.rejection).toMatchObject({ code: 'ACCOUNT_SUSPENDED' });
    expect(await balances(partnerId)).toMatchObject({ available: '500.00', payout_reserved: '0.00' });
    await recordHistory(created.workflowId, 'payout-checklist-rejected-lean');
  });
});
