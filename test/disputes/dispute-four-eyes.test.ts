import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { disputeKit, type DisputeView } from './kit.ts';

/**
 * Four eyes on dispute credits (docs/rules.md#four-eyes), with the real API, Postgres and a worker: a CORRECTION or
 * GOODWILL above 10,000 RUB-equivalent is held by `dispute-<id>` until a senior admin or finance director other than
 * its maker approves it with a fresh TOTP code; a rejection posts nothing and leaves the dispute open.
 */

let api: ApiHarness;
let kit: ReturnType<typeof disputeKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = disputeKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  // 100 RUB per USD: 250 USD is 25,000 RUB.
  await kit.insertRubRate();
  await api.createAdmin('senior_admin');
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

type HeldView = DisputeView & { pendingResolution: { makerUserId: string; resolution: string; amount: string | null; amountRub: string | null } | null };

async function underReview(): Promise<{ dispute: DisputeView; partnerId: string }> {
  const partner = await kit.partnerUser();
  const commissionId = await kit.commission(partner.partnerId);
  const dispute = await kit.opened(partner.token, { type: 'COMMISSION', transactionRef: commissionId, description: 'wrong base', evidence: { text: 'the order was 5,000' } });
  workflowIds.add(dispute.workflowId);
  return { dispute: await kit.waitForStatus(dispute.id, 'UNDER_REVIEW'), partnerId: partner.partnerId };
}

const disputeEntries = (disputeId: string) =>
  api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM journal_entries WHERE metadata->>'disputeId' = ${disputeId}`);

async function decide(disputeId: string, kind: 'approve' | 'reject', admin: Awaited<ReturnType<ApiHarness['createAdmin']>>, token?: string, peer?: string): Promise<Response> {
  const session = token ?? (await api.signIn(admin));
  return api.request(`/v1/disputes/${disputeId}/resolution/${kind}`, { token: session, headers: { 'x-totp-code': await api.nextTotp(admin) }, body: {}, ...(peer ? { peer } : {}) });
}

describe('a dispute credit above the four-eyes threshold', () => {
  it('when financial support corrects by 250 USD (25,000 RUB), nothing is posted until a senior admin other than the maker approves', async () => {
    const { dispute } = await underReview();
    const maker = await api.createAdmin('financial_support');
    const correction = { resolution: 'CORRECTION', errorKind: 'CALCULATION', amount: '250.00', currency: 'USD', note: 'the base was 2,500 short' };
    const held = await kit.resolve(dispute.id, maker, correction, { peer: '192.0.2.91' });
    expect(held.status, await held.clone().text()).toBe(200);
    expect(await held.json()).toMatchObject({
      status: 'UNDER_REVIEW', credited: { total: '0' },
      pendingResolution: { makerUserId: maker.id, resolution: 'CORRECTION', amount: '250.00', amountRub: '25000.00' },
    });
    expect(await disputeEntries(dispute.id)).toBe(0);

    // Another resolution waits behind it; the maker may not approve it; nor may another reviewer who is not senior.
    const other = await kit.resolve(dispute.id, 'financial_support', { resolution: 'EXPLANATION', note: 'no error after all' });
    expect(other.status).toBe(409);
    const own = await decide(dispute.id, 'approve', maker);
    expect(own.status).toBe(403);
    expect(await errorOf(own)).toMatchObject({ code: 'maker_checker' });
    const peer = await decide(dispute.id, 'approve', await api.createAdmin('financial_support'));
    expect(peer.status).toBe(403);
    expect(await errorOf(peer)).toMatchObject({ code: 'checker_role_required' });
    expect(await disputeEntries(dispute.id)).toBe(0);

    const senior = await api.createAdmin('senior_admin');
    const approved = await decide(dispute.id, 'approve', senior, undefined, '198.51.100.92');
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'CLOSED', resolution: 'CORRECTION', credited: { total: '250.00', currency: 'USD' }, pendingResolution: null });
    expect(await disputeEntries(dispute.id)).toBe(1);
    expect(await kit.auditActions(dispute.id)).toEqual(expect.arrayContaining(['DISPUTE_UPDATE', 'DISPUTE_APPROVE', 'DISPUTE_RESOLVE']));
    // docs/rules.md#audit-trail: the posting is the maker's resolution, with the maker's client address (held in the
    // workflow until the approval); the approval has the senior admin's.
    const addresses = await api.owner.any(sql.type(z.object({ action: z.string(), actor: z.string(), ip: z.string().nullable(), entry: z.boolean() }))`
      SELECT action, actor, host(ip) AS ip, entry_id IS NOT NULL AS entry FROM audit_records
      WHERE (target_type = 'dispute' AND target_id = ${dispute.id}) OR details->>'disputeId' = ${dispute.id} ORDER BY id`);
    const byAction = (action: string) => addresses.filter((row) => row.action === action).map(({ actor, ip, entry }) => ({ actor, ip, entry }));
    expect(byAction('COMMISSION_ADJUST')).toEqual([{ actor: maker.id, ip: '192.0.2.91', entry: true }]);
    expect(byAction('DISPUTE_RESOLVE')).toEqual([{ actor: maker.id, ip: '192.0.2.91', entry: true }]);
    expect(byAction('DISPUTE_APPROVE')).toEqual([{ actor: senior.id, ip: '198.51.100.92', entry: false }]);
    await kit.recordHistory(dispute.workflowId, 'dispute-correction-approved');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 180_000);

  it('when a finance director rejects a held goodwill credit, nothing is posted and the dispute stays under review', async () => {
    const { dispute } = await underReview();
    const held = await kit.resolve(dispute.id, 'senior_admin', { resolution: 'GOODWILL', amount: '200.00', currency: 'USD', note: 'for the trouble' });
    expect(held.status).toBe(200);
    expect(((await held.json()) as HeldView).pendingResolution).toMatchObject({ resolution: 'GOODWILL', amountRub: '20000.00' });
    const rejected = await decide(dispute.id, 'reject', await api.createAdmin('finance_director'));
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(await rejected.json()).toMatchObject({ status: 'UNDER_REVIEW', pendingResolution: null, credited: { total: '0' } });
    expect(await disputeEntries(dispute.id)).toBe(0);
    expect(await kit.auditActions(dispute.id)).toContain('DISPUTE_REJECT');
    // The dispute takes another resolution afterwards.
    const explained = await kit.resolve(dispute.id, 'financial_support', { resolution: 'REJECTION', note: 'no error found' });
    expect(explained.status).toBe(200);
    await kit.waitForStatus(dispute.id, 'CLOSED');
    await kit.recordHistory(dispute.workflowId, 'dispute-goodwill-rejected');
  }, 180_000);
});
