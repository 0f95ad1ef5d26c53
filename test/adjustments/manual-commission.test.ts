import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CommissionRelease } from '../../modules/commissions/commission-release.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { adjustmentKit } from './kit.ts';

/**
 * Manual commissions (docs/rules.md#manual-commissions) through the API and workflow
 * `adjustment-<id>`, with a real worker: below the 10,000 RUB threshold the maker's TOTP-confirmed request posts at
 * once; above it a senior admin other than the maker approves first.
 */

let api: ApiHarness;
let kit: ReturnType<typeof adjustmentKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = adjustmentKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await kit.insertRubRate();
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

interface AdjustmentView { id: string; workflowId: string; status: string; commissionId: string | null; entryId: string | null; needsSeniorApproval: boolean; amountRub: string | null; documentation: { fileName: string; sha256: string } | null }

async function create(token: string, totp: string | undefined, body: Record<string, unknown>): Promise<Response> {
  return api.request('/v1/adjustments', { token, headers: totp ? { 'x-totp-code': totp } : {}, body });
}

async function read(id: string, token: string): Promise<AdjustmentView> {
  const response = await api.request(`/v1/adjustments/${id}`, { token });
  expect(response.status).toBe(200);
  return (await response.json()) as AdjustmentView;
}

const commissionRow = z.object({ status: z.string(), amount: z.string(), income_type: z.number(), source_type: z.string(), release_at: z.date(), adjustment_id: z.string() });
const commissionOf = (id: string) => api.owner.one(sql.type(commissionRow)`SELECT status, amount, income_type, source_type, release_at, adjustment_id::text AS adjustment_id FROM commissions WHERE id = ${id}`);

describe('a manual commission below the senior threshold', () => {
  it('when an admin adds 50 USD APPROVED with a fresh TOTP, it is posted once to commission_approved, audited, notified, and paid by the next pay batch', async () => {
    const partnerId = await kit.partner();
    const { admin, token } = await kit.admin('admin');
    const code = await api.nextTotp(admin);
    const response = await create(token, code, {
      partnerId, type: 'BONUS', amount: '50', currency: 'USD', reason: 'promotional campaign', status: 'APPROVED',
      documentation: { fileName: 'memo.txt', contentType: 'text/plain', contentBase64: Buffer.from('approved by marketing').toString('base64') },
    });
    expect(response.status).toBe(202);
    const created = (await response.json()) as AdjustmentView;
    workflowIds.add(created.workflowId);
    expect(created).toMatchObject({ needsSeniorApproval: false, amountRub: '5000.00' });
    expect(created.documentation?.fileName).toBe('memo.txt');

    const posted = await kit.poll(() => read(created.id, token), (view) => view.status === 'POSTED', 'adjustment POSTED');
    const other = await kit.admin('admin');
    // Once it is posted: the same TOTP code again is refused (each code once), and refusals write nothing.
    const before = await api.countRows();
    const replay = await create(token, code, { partnerId, type: 'BONUS', amount: '50', currency: 'USD', reason: 'again', status: 'APPROVED' });
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).field).toBe('X-TOTP-Code');
    const missing = await create(token, undefined, { partnerId, type: 'BONUS', amount: '50', currency: 'USD', reason: 'again', status: 'APPROVED' });
    expect(missing.status).toBe(401);
    const noReason = await create(other.token, await api.nextTotp(other.admin), { partnerId, type: 'BONUS', amount: '50', currency: 'USD', reason: ' ', status: 'APPROVED' });
    expect(noReason.status).toBe(400);
    expect((await errorOf(noReason)).field).toBe('body.reason');
    expect(await api.countRows()).toEqual(before);

    const commission = await commissionOf(posted.commissionId!);
    expect(commission).toMatchObject({ status: 'APPROVED', amount: '50.00', income_type: 0, source_type: 'ADJUSTMENT', adjustment_id: created.id });
    expect((await kit.balances(partnerId)).commission_approved).toBe('50.00');
    expect(await kit.entryCount(`adjustment-${created.id}`)).toBe(1);
    expect(await kit.auditCount('COMMISSION_ADJUST', posted.commissionId!)).toBe(1);
    expect(await kit.auditCount('ADJUSTMENT_CREATE', created.id)).toBe(1);
    const notices = await api.owner.anyFirst(sql.type(z.object({ kind: z.string() }))`SELECT kind FROM notifications WHERE dedupe_key = ${`adjustment-posted:${created.id}`}`);
    expect(notices).toEqual(['ADJUSTMENT_POSTED']);
    const documentation = await api.request(`/v1/adjustments/${created.id}/documentation`, { token });
    expect(await documentation.text()).toBe('approved by marketing');

    // The commission listing still reads it (no event, no pool run), and the next pay batch pays it.
    const listed = await api.request(`/v1/commissions/${posted.commissionId}`, { token });
    expect(listed.status).toBe(200);
    const paid = await new CommissionRelease(api.database, api.dependencies.ledger).payBatch(`test-pay-${created.id}`, new Date());
    expect(paid.commissions).toBeGreaterThanOrEqual(1);
    expect((await commissionOf(posted.commissionId!)).status).toBe('PAID');
    expect((await kit.balances(partnerId)).available).toBe('50.00');
    await kit.recordHistory(created.workflowId, 'adjustment-posted');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('a manual commission above the senior threshold', () => {
  it('when an admin adds 200 USD PENDING (20,000 RUB), it waits: the maker and a plain admin are refused, a senior admin approves and it enters the hold', async () => {
    const partnerId = await kit.partner();
    const maker = await kit.admin('senior_admin');
    const response = await create(maker.token, await api.nextTotp(maker.admin), { partnerId, type: 'ADJUSTMENT', amount: '200', currency: 'USD', reason: 'calculation error in October', status: 'PENDING' });
    expect(response.status).toBe(202);
    const created = (await response.json()) as AdjustmentView;
    workflowIds.add(created.workflowId);
    expect(created).toMatchObject({ status: 'AWAITING_APPROVAL', needsSeniorApproval: true, amountRub: '20000.00' });
    expect(await kit.entryCount(`adjustment-${created.id}`)).toBe(0);

    // The maker (even a senior admin) cannot approve their own adjustment.
    const byMaker = await api.request(`/v1/adjustments/${created.id}/approve`, { token: maker.token, body: {} });
    expect(byMaker.status).toBe(403);
    expect((await errorOf(byMaker)).code).toBe('maker_checker');
    const byAdmin = await kit.asNew('admin', `/v1/adjustments/${created.id}/approve`, {});
    expect(byAdmin.status).toBe(403);
    expect((await errorOf(byAdmin)).code).toBe('senior_required');
    expect((await read(created.id, maker.token)).status).toBe('AWAITING_APPROVAL');

    const senior = await kit.admin('senior_admin');
    const code = await api.nextTotp(senior.admin);
    const approved = await api.request(`/v1/adjustments/${created.id}/approve`, { token: senior.token, headers: { 'x-totp-code': code }, body: { reason: 'checked the October run' } });
    expect(approved.status).toBe(200);
    const view = (await approved.json()) as AdjustmentView;
    expect(view.status).toBe('POSTED');
    // The senior's code is spent: replaying it for another decision is refused.
    const replayed = await api.request(`/v1/adjustments/${created.id}/reject`, { token: senior.token, headers: { 'x-totp-code': code }, body: { reason: 'changed my mind' } });
    expect(replayed.status).toBe(401);

    const commission = await commissionOf(view.commissionId!);
    expect(commission.status).toBe('PENDING');
    expect(commission.release_at.getTime()).toBeGreaterThan(Date.now() + 13 * 86_400_000);
    expect((await kit.balances(partnerId)).commission_pending).toBe('200.00');
    expect(await kit.entryCount(`adjustment-${created.id}`)).toBe(1);
    expect(await kit.auditCount('ADJUSTMENT_APPROVE', created.id)).toBe(1);
    const approvalNotices = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM notifications WHERE dedupe_key = ${`adjustment-approval:${created.id}`} AND kind = 'ADJUSTMENT_APPROVAL_REQUESTED'`);
    expect(approvalNotices).toBe(1);
    await api.dependencies.temporal.workflow.getHandle(created.workflowId).result();
    await kit.recordHistory(created.workflowId, 'adjustment-approved-posted');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('when a senior admin rejects it, nothing is posted and the adjustment is REJECTED', async () => {
    const partnerId = await kit.partner();
    const maker = await kit.admin('admin');
    const response = await create(maker.token, await api.nextTotp(maker.admin), { partnerId, type: 'OTHER', amount: '150', currency: 'USD', reason: 'goodwill', status: 'APPROVED' });
    const created = (await response.json()) as AdjustmentView;
    workflowIds.add(created.workflowId);
    const rejected = await kit.asNew('finance_director', `/v1/adjustments/${created.id}/reject`, { reason: 'not justified' });
    expect(rejected.status).toBe(200);
    expect(((await rejected.json()) as AdjustmentView).status).toBe('REJECTED');
    await api.dependencies.temporal.workflow.getHandle(created.workflowId).result();
    expect(await kit.entryCount(`adjustment-${created.id}`)).toBe(0);
    expect(await kit.auditCount('ADJUSTMENT_REJECT', created.id)).toBe(1);
    await kit.recordHistory(created.workflowId, 'adjustment-rejected');
  });
});

describe('who may see and make adjustments', () => {
  it('a partner reads their own adjustment, not another’s, and can neither create one nor read a bulk adjustment', async () => {
    const own = await api.createPartnerUser();
    const other = await api.createPartnerUser();
    const maker = await kit.admin('admin');
    const created = (await (await create(maker.token, await api.nextTotp(maker.admin), { partnerId: own.partnerId, type: 'BONUS', amount: '1', currency: 'USD', reason: 'thanks', status: 'PENDING' })).json()) as AdjustmentView;
    workflowIds.add(created.workflowId);
    const ownToken = await api.signIn(own);
    const otherToken = await api.signIn(other);
    expect((await api.request(`/v1/adjustments/${created.id}`, { token: ownToken })).status).toBe(200);
    expect((await api.request(`/v1/adjustments/${created.id}`, { token: otherToken })).status).toBe(403);
    expect((await create(ownToken, undefined, { partnerId: own.partnerId, type: 'BONUS', amount: '1', currency: 'USD', reason: 'me', status: 'APPROVED' })).status).toBe(403);
    expect((await api.request('/v1/bulk-adjustments', { token: ownToken, body: { direction: 'ADD', amountKind: 'FIXED', value: '1', currency: 'USD', reason: 'me', target: { kind: 'IDS', partnerIds: [own.partnerId] } } })).status).toBe(403);
    const support = await kit.admin('financial_support');
    expect((await create(support.token, await api.nextTotp(support.admin), { partnerId: own.partnerId, type: 'BONUS', amount: '1', currency: 'USD', reason: 'x', status: 'PENDING' })).status).toBe(403);
  });
});

describe('an adjustment nobody decides', () => {
  it('expires when the policy’s approval window ends, posting nothing', async () => {
    await kit.setAdjustmentPolicy({ approvalWait: '1s' });
    const partnerId = await kit.partner();
    const maker = await kit.admin('admin');
    const created = (await (await create(maker.token, await api.nextTotp(maker.admin), { partnerId, type: 'ADJUSTMENT', amount: '500', currency: 'USD', reason: 'large correction', status: 'PENDING' })).json()) as AdjustmentView;
    workflowIds.add(created.workflowId);
    const state = (await api.dependencies.temporal.workflow.getHandle(created.workflowId).result()) as { status: string };
    expect(state.status).toBe('EXPIRED');
    expect((await read(created.id, maker.token)).status).toBe('EXPIRED');
    expect(await kit.entryCount(`adjustment-${created.id}`)).toBe(0);
    expect(await kit.auditCount('ADJUSTMENT_REJECT', created.id)).toBe(1);
    await kit.recordHistory(created.workflowId, 'adjustment-expired');
  });
});
