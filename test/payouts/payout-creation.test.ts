import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql, type FragmentSqlToken } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { isTerminalPayoutStatus, type PayoutStatus } from '../../domain/payout.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';

/**
 * Payout creation paths (issue #4): an admin's DRAFT (invisible to the partner, nothing reserved) and its
 * submission and discard, bulk creation with per-line results, and the queue's filters, sort and cursor.
 */

let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const payoutIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  // 100 RUB per USD, so every payout here has a RUB-equivalent and the standard approval chain.
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
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
  await api?.close();
});

const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };
const unique = () => randomBytes(5).toString('hex');

interface Payout {
  id: string;
  status: PayoutStatus | 'DRAFT';
  amount: string;
  partnerId: string;
  partner: { id: string; name: string; rank: string };
  detailsHash: string;
  reserveEntryId: string | null;
  draftedBy: string | null;
  requestedAt: string | null;
  initiatedBy: { userId: string; role: string };
  workflowId: string;
  slaDueAt: string;
  slaBreached: boolean;
  assignedTo: { userId: string; at: string } | null;
  detailsChanged: { changedFields: string[]; previousPayoutId: string | null };
  createdAt: string;
}

/** A partner whose KYC name is the bank account's holder (the checklist compares them), joined two months ago. */
async function partnerWithLogin(input: { funds?: string; rank?: string } = {}) {
  const partnerId = `p_${unique()}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, ${bankDetails.accountName}, ${input.rank ?? '3'}, 'ACTIVE', 'APPROVED', now() - interval '60 days')`);
  const user = await api.createPartnerUser(partnerId);
  const token = await api.signIn(user);
  if (input.funds) await fund(partnerId, input.funds);
  return { partnerId, token };
}

async function fund(partnerId: string, amount: string) {
  await api.dependencies.ledger.postEntry({
    idempotencyKey: `test-fund-${unique()}`,
    kind: 'bonus',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: `-${amount}` },
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount },
    ],
  });
}

async function balances(partnerId: string) {
  const all = await api.dependencies.ledger.partnerBalances(partnerId);
  return all.find((row) => row.currency === 'USD') ?? { available: '0.00', payout_reserved: '0.00' };
}

/** A freshly signed-in admin: each has one unused TOTP step left for a step-up without waiting. */
async function admin(role: AdminRole = 'admin') {
  const created = await api.createAdmin(role);
  const token = await api.signIn(created);
  return { admin: created, token, totp: () => api.nextTotp(created) };
}

let reader: Promise<{ token: string }> | undefined;
const readerToken = () => (reader ??= admin('financial_support'));

async function read(payoutId: string, token?: string): Promise<Response> {
  return api.request(`/v1/payouts/${payoutId}`, { token: token ?? (await readerToken()).token });
}

async function list(query: string, token?: string): Promise<{ payouts: Payout[]; next: string | null }> {
  const response = await api.request(`/v1/payouts?${query}`, { token: token ?? (await readerToken()).token });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { payouts: Payout[]; next: string | null };
}

async function draft(body: Record<string, unknown>): Promise<{ payout: Payout; drafter: Awaited<ReturnType<typeof admin>> }> {
  const drafter = await admin();
  const response = await api.request('/v1/payouts', { token: drafter.token, body: { ...body, draft: true } });
  expect(response.status, await response.clone().text()).toBe(201);
  const payout = (await response.json()) as Payout;
  payoutIds.add(payout.id);
  return { payout, drafter };
}

async function waitForStatus(payoutId: string, expected: PayoutStatus): Promise<Payout> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const payout = (await (await read(payoutId)).json()) as Payout;
    if (payout.status === expected) return payout;
    if (Date.now() > deadline || (payout.status !== 'DRAFT' && isTerminalPayoutStatus(payout.status))) throw new Error(`payout ${payoutId} is ${payout.status}, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const countSchema = z.object({ count: z.number() });
const count = (query: FragmentSqlToken) => api.owner.oneFirst(sql.type(countSchema)`SELECT count(*)::int AS count FROM (${query}) AS rows`);
const auditCount = (payoutId: string, action: string) =>
  count(sql.fragment`SELECT 1 FROM audit_records WHERE target_type = 'payout' AND target_id = ${payoutId} AND action = ${action}`);

async function workflowExists(payoutId: string): Promise<boolean> {
  try {
    await api.dependencies.temporal.workflow.getHandle(`payout-${payoutId}`).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

describe('drafts', () => {
  it('when an admin drafts a payout, nothing is reserved, no workflow starts, and the partner cannot see it', async () => {
    const { partnerId, token: partnerToken } = await partnerWithLogin({ funds: '500.00' });
    const { payout } = await draft({ partnerId, amount: '120.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    expect(payout).toMatchObject({ status: 'DRAFT', amount: '120.00', reserveEntryId: null, requestedAt: null, slaBreached: false });
    expect(payout.draftedBy).toBe(payout.initiatedBy.userId);
    expect(await balances(partnerId)).toMatchObject({ available: '500.00', payout_reserved: '0.00' });
    expect(await workflowExists(payout.id)).toBe(false);
    expect(await auditCount(payout.id, 'PAYOUT_REQUEST')).toBe(1);

    // The partner: not found, not listed (even when asking for drafts), cannot cancel it.
    const partnerRead = await read(payout.id, partnerToken);
    expect(partnerRead.status).toBe(404);
    expect((await list('', partnerToken)).payouts.map((row) => row.id)).not.toContain(payout.id);
    expect((await list('status=DRAFT', partnerToken)).payouts).toEqual([]);
    const partnerCancel = await api.request(`/v1/payouts/${payout.id}/cancel`, { token: partnerToken, body: {} });
    expect(partnerCancel.status).toBe(404);
    const partnerSubmit = await api.request(`/v1/payouts/${payout.id}/submit`, { token: partnerToken, body: {} });
    expect(partnerSubmit.status).toBe(404);

    // Admins: not in the default queue; listed when asked for.
    expect((await list(`partnerId=${partnerId}`)).payouts).toEqual([]);
    expect((await list(`partnerId=${partnerId}&status=DRAFT`)).payouts.map((row) => row.id)).toEqual([payout.id]);
    // A decision on a draft is refused: it is not a request yet.
    const approver = await admin();
    const approve = await api.request(`/v1/payouts/${payout.id}/approve`, { token: approver.token, headers: { 'x-totp-code': await approver.totp() }, body: { amount: '120.00', detailsHash: payout.detailsHash } });
    expect(approve.status).toBe(409);
    expect(await errorOf(approve)).toMatchObject({ code: 'invalid_state', field: 'status' });
  });

  it('a partner cannot draft', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '100.00' });
    const response = await api.request('/v1/payouts', { token, body: { partnerId, amount: '60.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails, draft: true } });
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toMatchObject({ field: 'body.draft' });
  });

  it('when another admin submits a draft, the amount is reserved and payout-<id> runs under the same id; the drafter may not approve', async () => {
    const { partnerId, token: partnerToken } = await partnerWithLogin({ funds: '300.00' });
    const { payout, drafter } = await draft({ partnerId, amount: '200.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    const submitter = await admin('senior_admin');

    const noTotp = await api.request(`/v1/payouts/${payout.id}/submit`, { token: submitter.token, body: {} });
    expect(noTotp.status).toBe(401);
    expect(await errorOf(noTotp)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    expect(await balances(partnerId)).toMatchObject({ available: '300.00', payout_reserved: '0.00' });

    const submitted = await api.request(`/v1/payouts/${payout.id}/submit`, { token: submitter.token, headers: { 'x-totp-code': await submitter.totp() }, body: {} });
    expect(submitted.status, await submitted.clone().text()).toBe(200);
    const requested = (await submitted.json()) as Payout;
    expect(requested.id).toBe(payout.id);
    expect(requested.workflowId).toBe(`payout-${payout.id}`);
    expect(requested.reserveEntryId).not.toBeNull();
    expect(requested.requestedAt).not.toBeNull();
    expect(requested).toMatchObject({ initiatedBy: { userId: submitter.admin.id, role: 'senior_admin' }, draftedBy: drafter.admin.id });
    expect(await balances(partnerId)).toMatchObject({ available: '100.00', payout_reserved: '200.00' });
    expect(await auditCount(payout.id, 'PAYOUT_REQUEST')).toBe(2);

    const awaiting = await waitForStatus(payout.id, 'AWAITING_APPROVAL');
    expect((await list('', partnerToken)).payouts.map((row) => row.id)).toContain(payout.id);
    expect((await read(payout.id, partnerToken)).status).toBe(200);

    const secondAdmin = await admin();
    const secondSubmit = await api.request(`/v1/payouts/${payout.id}/submit`, { token: secondAdmin.token, headers: { 'x-totp-code': await secondAdmin.totp() }, body: {} });
    expect(secondSubmit.status).toBe(409);
    expect(await errorOf(secondSubmit)).toMatchObject({ code: 'invalid_state' });

    const approval = { amount: '200.00', detailsHash: awaiting.detailsHash };
    const byDrafter = await api.request(`/v1/payouts/${payout.id}/approve`, { token: drafter.token, headers: { 'x-totp-code': await drafter.totp() }, body: approval });
    expect(byDrafter.status).toBe(403);
    expect(await errorOf(byDrafter)).toMatchObject({ code: 'maker_checker' });
    // The submitter is the workflow's initiator (asserted above), whom its maker-checker rule refuses.
    const checker = await admin();
    const approved = await api.request(`/v1/payouts/${payout.id}/approve`, { token: checker.token, headers: { 'x-totp-code': await checker.totp() }, body: approval });
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'APPROVED' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('when a draft is discarded it becomes CANCELLED without a reserve, can no longer be submitted, and stays unseen by the partner', async () => {
    const { partnerId, token: partnerToken } = await partnerWithLogin({ funds: '90.00' });
    const { payout, drafter } = await draft({ partnerId, amount: '80.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    const discarded = await api.request(`/v1/payouts/${payout.id}/discard`, { token: drafter.token, body: { reason: 'entered for the wrong partner' } });
    expect(discarded.status, await discarded.clone().text()).toBe(200);
    expect(await discarded.json()).toMatchObject({ status: 'CANCELLED', reserveEntryId: null, requestedAt: null, settleEntryId: null });
    expect(await auditCount(payout.id, 'PAYOUT_CANCEL')).toBe(1);
    expect(await balances(partnerId)).toMatchObject({ available: '90.00', payout_reserved: '0.00' });

    const submitter = await admin();
    const submit = await api.request(`/v1/payouts/${payout.id}/submit`, { token: submitter.token, headers: { 'x-totp-code': await submitter.totp() }, body: {} });
    expect(submit.status).toBe(409);
    expect(await errorOf(submit)).toMatchObject({ code: 'invalid_state', field: 'status' });
    const discardAgain = await api.request(`/v1/payouts/${payout.id}/discard`, { token: drafter.token, body: {} });
    expect(discardAgain.status).toBe(409);
    expect(await workflowExists(payout.id)).toBe(false);
    expect((await read(payout.id, partnerToken)).status).toBe(404);
    expect((await list('status=CANCELLED', partnerToken)).payouts).toEqual([]);
  });

  it('drafts do not count as the wallet’s active payout, but submitting one while a request is active is a duplicate', async () => {
    const { partnerId, token } = await partnerWithLogin({ funds: '400.00' });
    const first = await draft({ partnerId, amount: '60.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    await draft({ partnerId, amount: '70.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });
    const direct = await api.request('/v1/payouts', { token, body: { partnerId, amount: '50.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
    expect(direct.status, await direct.clone().text()).toBe(201);
    payoutIds.add(((await direct.json()) as Payout).id);

    const submitter = await admin();
    const submit = await api.request(`/v1/payouts/${first.payout.id}/submit`, { token: submitter.token, headers: { 'x-totp-code': await submitter.totp() }, body: {} });
    expect(submit.status).toBe(409);
    expect(await errorOf(submit)).toMatchObject({ code: 'duplicate_request', field: 'draft.currency' });
    expect((await (await read(first.payout.id)).json()) as Payout).toMatchObject({ status: 'DRAFT', reserveEntryId: null });
    expect(await balances(partnerId)).toMatchObject({ available: '350.00', payout_reserved: '50.00' });
  });
});

describe('bulk', () => {
  it('when a bulk request mixes good and bad lines, the good ones are created and the bad ones change nothing, each naming its field', async () => {
    const good = await Promise.all([partnerWithLogin({ funds: '300.00' }), partnerWithLogin({ funds: '300.00' })]);
    const poor = await partnerWithLogin({ funds: '40.00' });
    const untouched = await partnerWithLogin({ funds: '300.00' });
    const line = (partnerId: string, amount: unknown, extra: Record<string, unknown> = {}) => ({ partnerId, amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails, ...extra });
    const items = [
      line(good[0].partnerId, '100.00'),
      line(untouched.partnerId, '12.345'),
      line('p_nobody_at_all', '100.00'),
      line(poor.partnerId, '60.00'),
      line(untouched.partnerId, '100.00', { paymentDetails: { ...bankDetails, routingNumber: '12' } }),
      line(untouched.partnerId, 100),
      line(good[1].partnerId, '150.00'),
      // A second line for a wallet the request already paid from: the earlier line wins, as if run one by one.
      line(good[0].partnerId, '50.00'),
    ];
    const counts = async () => ({
      payouts: await count(sql.fragment`SELECT 1 FROM payouts`),
      reserves: await count(sql.fragment`SELECT 1 FROM journal_entries WHERE kind = 'payout_reserve'`),
      requests: await count(sql.fragment`SELECT 1 FROM audit_records WHERE action = 'PAYOUT_REQUEST'`),
    });
    const before = await counts();

    const maker = await admin('finance_manager');
    const noTotp = await api.request('/v1/payouts/bulk', { token: maker.token, body: { items } });
    expect(noTotp.status).toBe(401);
    const response = await api.request('/v1/payouts/bulk', { token: maker.token, headers: { 'x-totp-code': await maker.totp(), 'idempotency-key': `bulk-${unique()}` }, body: { items } });
    expect(response.status, await response.clone().text()).toBe(200);
    const body = (await response.json()) as { created: number; refused: number; results: { index: number; status: string; payout?: Payout; error?: { code: string; field?: string } }[] };
    for (const result of body.results) if (result.payout) payoutIds.add(result.payout.id);
    expect(body).toMatchObject({ created: 2, refused: 6 });
    expect(body.results.map((result) => [result.index, result.status, result.error?.code ?? null, result.error?.field ?? null])).toEqual([
      [0, 'CREATED', null, null],
      [1, 'REFUSED', 'invalid_request', 'items[1].amount'],
      [2, 'REFUSED', 'partner_not_found', 'items[2].partnerId'],
      [3, 'REFUSED', 'insufficient_funds', 'items[3].amount'],
      [4, 'REFUSED', 'invalid_request', 'items[4].paymentDetails.routingNumber'],
      [5, 'REFUSED', 'invalid_request', 'items[5].amount'],
      [6, 'CREATED', null, null],
      [7, 'REFUSED', 'duplicate_request', 'items[7].currency'],
    ]);
    // The bulk answer reads each payout after all lines ran: a fast checklist may have moved the first one on already.
    expect(body.results[0]!.payout).toMatchObject({ partnerId: good[0].partnerId, amount: '100.00', initiatedBy: { userId: maker.admin.id } });
    expect(['REQUESTED', 'AWAITING_APPROVAL']).toContain(body.results[0]!.payout!.status);

    // Only the two good lines moved money, wrote rows and audit records.
    expect(await balances(good[0].partnerId)).toMatchObject({ available: '200.00', payout_reserved: '100.00' });
    expect(await balances(good[1].partnerId)).toMatchObject({ available: '150.00', payout_reserved: '150.00' });
    expect(await balances(poor.partnerId)).toMatchObject({ available: '40.00', payout_reserved: '0.00' });
    expect(await balances(untouched.partnerId)).toMatchObject({ available: '300.00', payout_reserved: '0.00' });
    expect(await counts()).toEqual({ payouts: before.payouts + 2, reserves: before.reserves + 2, requests: before.requests + 2 });
    await waitForStatus(body.results[6]!.payout!.id, 'AWAITING_APPROVAL');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('when a bulk request is replayed with its Idempotency-Key, it answers the first response and creates nothing', async () => {
    const partners = await Promise.all([partnerWithLogin({ funds: '500.00' }), partnerWithLogin({ funds: '500.00' })]);
    const items = partners.map((partner) => ({ partnerId: partner.partnerId, amount: '75.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails }));
    const key = `bulk-${unique()}`;
    const maker = await admin();
    const first = await api.request('/v1/payouts/bulk', { token: maker.token, headers: { 'x-totp-code': await maker.totp(), 'idempotency-key': key }, body: { items } });
    expect(first.status, await first.clone().text()).toBe(200);
    const firstBody = (await first.json()) as { created: number; results: { payout?: Payout }[] };
    for (const result of firstBody.results) if (result.payout) payoutIds.add(result.payout.id);
    expect(firstBody.created).toBe(2);
    const payoutsBefore = await count(sql.fragment`SELECT 1 FROM payouts`);

    // The replay needs no fresh TOTP: the stored answer is returned before anything runs.
    const replay = await api.request('/v1/payouts/bulk', { token: maker.token, headers: { 'idempotency-key': key }, body: { items } });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const replayBody = (await replay.json()) as typeof firstBody;
    expect(replayBody.results.map((result) => result.payout?.id)).toEqual(firstBody.results.map((result) => result.payout?.id));
    expect(await count(sql.fragment`SELECT 1 FROM payouts`)).toBe(payoutsBefore);
    for (const partner of partners) expect(await balances(partner.partnerId)).toMatchObject({ available: '425.00', payout_reserved: '75.00' });

    const changed = await api.request('/v1/payouts/bulk', { token: maker.token, headers: { 'idempotency-key': key }, body: { items: items.slice(0, 1) } });
    expect(changed.status).toBe(422);
    expect(await errorOf(changed)).toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('bulk drafts need no TOTP and reserve nothing', async () => {
    const { partnerId } = await partnerWithLogin({ funds: '100.00' });
    const maker = await admin();
    const response = await api.request('/v1/payouts/bulk', {
      token: maker.token,
      body: { draft: true, items: [{ partnerId, amount: '90.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails }] },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const body = (await response.json()) as { results: { status: string; payout?: Payout }[] };
    expect(body.results[0]).toMatchObject({ status: 'CREATED', payout: { status: 'DRAFT', reserveEntryId: null } });
    expect(await balances(partnerId)).toMatchObject({ available: '100.00', payout_reserved: '0.00' });
  });
});

describe('the queue', () => {
  it('sorts by amount, created_at or SLA in either order with a cursor, filters by rank, amount, assignee and a breached SLA', async () => {
    // Rank 7_PRO is used by no other test of this file, so the filter isolates this test's payouts.
    const amounts = ['310.00', '55.00', '120.00', '990.00', '75.50'];
    const created: Payout[] = [];
    for (const amount of amounts) {
      const { partnerId, token } = await partnerWithLogin({ funds: '1000.00', rank: '7_PRO' });
      const response = await api.request('/v1/payouts', { token, body: { partnerId, amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
      expect(response.status, await response.clone().text()).toBe(201);
      const payout = (await response.json()) as Payout;
      payoutIds.add(payout.id);
      created.push(payout);
    }
    expect(created[0]).toMatchObject({ partner: { rank: '7_PRO' }, slaBreached: false, assignedTo: null, detailsChanged: { changedFields: [], previousPayoutId: null } });

    const byAmountDesc: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { payouts: Payout[]; next: string | null } = await list(`rank=7_PRO&sort=amount&order=desc&limit=2${cursor ? `&after=${cursor}` : ''}`);
      expect(page.payouts.length).toBeLessThanOrEqual(2);
      byAmountDesc.push(...page.payouts.map((payout) => payout.amount));
      cursor = page.next;
    } while (cursor);
    expect(byAmountDesc).toEqual(['990.00', '310.00', '120.00', '75.50', '55.00']);

    const byCreatedDesc = await list('rank=7_PRO&sort=created_at&order=desc');
    expect(byCreatedDesc.payouts.map((payout) => payout.id)).toEqual(created.map((payout) => payout.id).reverse());
    expect((await list('rank=7_PRO&minAmount=75.50&maxAmount=310.00&sort=amount')).payouts.map((payout) => payout.amount)).toEqual(['75.50', '120.00', '310.00']);

    // One payout's SLA has passed: the filter finds it alone and every item says so.
    await api.owner.query(sql.unsafe`UPDATE payouts SET sla_due_at = now() - interval '1 hour' WHERE id = ${created[2]!.id}`);
    const breached = await list('rank=7_PRO&slaBreached=true');
    expect(breached.payouts.map((payout) => [payout.id, payout.slaBreached])).toEqual([[created[2]!.id, true]]);
    expect((await list('rank=7_PRO&slaBreached=false')).payouts).toHaveLength(4);
    // The default order is the soonest SLA first: the breached one leads.
    expect((await list('rank=7_PRO')).payouts[0]!.id).toBe(created[2]!.id);

    const worker = await admin('senior_admin');
    const assign = await api.request(`/v1/payouts/${created[3]!.id}/assign`, { token: worker.token, body: { userId: worker.admin.id } });
    expect(assign.status, await assign.clone().text()).toBe(200);
    expect(((await assign.json()) as Payout).assignedTo?.userId).toBe(worker.admin.id);
    expect((await list(`rank=7_PRO&assignedTo=${worker.admin.id}`)).payouts.map((payout) => payout.id)).toEqual([created[3]!.id]);
    expect((await list('rank=7_PRO&assignedTo=none')).payouts).toHaveLength(4);
    const support = await admin('financial_support');
    const badAssignee = await api.request(`/v1/payouts/${created[3]!.id}/assign`, { token: worker.token, body: { userId: support.admin.id } });
    expect(badAssignee.status).toBe(422);
    expect(await errorOf(badAssignee)).toMatchObject({ field: 'body.userId' });

    const wrongCursor = await api.request(`/v1/payouts?sort=created_at&after=${encodeURIComponent('bm90IGEgY3Vyc29y')}`, { token: (await readerToken()).token });
    expect(wrongCursor.status).toBe(400);
    expect(await errorOf(wrongCursor)).toMatchObject({ field: 'query.after' });
    const badStatus = await api.request('/v1/payouts?status=REQUESTED,NOPE', { token: (await readerToken()).token });
    expect(badStatus.status).toBe(400);
  });
});
