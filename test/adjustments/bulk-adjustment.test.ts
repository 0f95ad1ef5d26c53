import { randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Money } from '../../domain/money.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { adjustmentKit } from './kit.ts';

/**
 * Bulk adjustments (docs/rules.md#bulk-adjustments): targets by IDs, filter and CSV; ADD and REMOVE; fixed and percentage; the preview's
 * total is what executes; approval by total impact; execution by `bulk-adjustment-<id>` in chunks of 3 with a
 * continue-as-new every 2 chunks (the policy is set so for this file).
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
  await kit.setAdjustmentPolicy({ bulkChunkSize: 3, bulkChunksPerRun: 2 });
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

interface BulkView {
  id: string; workflowId: string; status: string; partners: number; affected: number; totalImpact: string; totalImpactRub: string | null;
  tier: string; approverRoles: string[]; progress: { processed: number; applied: number; skipped: number; appliedTotal: string; percent: number };
}
interface PreviewView { partners: number; affected: number; skipped: number; totalImpact: string; items: { partnerId: string; amount: string; status: string; skipReason: string | null }[]; nextOffset: number | null }

/** `peer`: the maker's client address, when the test looks at it (docs/rules.md#audit-trail). */
async function createBulk(body: Record<string, unknown>, peer?: string): Promise<{ bulk: BulkView; maker: Awaited<ReturnType<typeof kit.admin>> }> {
  const maker = await kit.admin('admin');
  const response = await api.request('/v1/bulk-adjustments', { token: maker.token, body, ...(peer ? { peer } : {}) });
  if (response.status !== 202) throw new Error(`POST /v1/bulk-adjustments answered ${response.status}: ${await response.text()}`);
  const bulk = (await response.json()) as BulkView;
  workflowIds.add(bulk.workflowId);
  return { bulk, maker };
}

async function read(id: string, token: string): Promise<BulkView> {
  return (await (await api.request(`/v1/bulk-adjustments/${id}`, { token })).json()) as BulkView;
}

async function preview(id: string, token: string, offset = 0, limit = 100): Promise<PreviewView> {
  const response = await api.request(`/v1/bulk-adjustments/${id}/preview?offset=${offset}&limit=${limit}`, { token });
  expect(response.status).toBe(200);
  return (await response.json()) as PreviewView;
}

async function approveAndFinish(bulk: BulkView, role: 'admin' | 'senior_admin' | 'finance_director', token: string, peer?: string): Promise<BulkView> {
  const checker = await kit.admin(role);
  const approved = await api.request(`/v1/bulk-adjustments/${bulk.id}/approve`, {
    token: checker.token, headers: { 'x-totp-code': await api.nextTotp(checker.admin) }, body: {}, ...(peer ? { peer } : {}),
  });
  expect(approved.status, await approved.clone().text()).toBe(200);
  expect(((await approved.json()) as BulkView).status).toBe('EXECUTING');
  return kit.poll(() => read(bulk.id, token), (view) => view.status === 'COMPLETED', `bulk ${bulk.id} COMPLETED`);
}

/** What the bulk's entries moved on partner accounts, per partner (the ledger's view, not the report's). */
async function partnerMoves(bulkId: string): Promise<Map<string, string>> {
  const rows = await api.owner.any(sql.type(z.object({ owner_id: z.string(), moved: z.string() }))`
    SELECT a.owner_id, sum(p.amount)::text AS moved FROM postings p JOIN accounts a ON a.id = p.account_id
    JOIN journal_entries e ON e.id = p.entry_id
    WHERE e.idempotency_key LIKE ${`bulk-adjustment-${bulkId}:%`} AND a.owner_type = 'partner'
    GROUP BY a.owner_id`);
  return new Map(rows.map((row) => [row.owner_id, new Money(row.moved).toFixed(2)]));
}

describe('a bulk adjustment by partner IDs, ADD, fixed amount', () => {
  it('previews 7 partners × 25.00, is refused to its maker, approved by any admin (standard tier), executes in chunks across runs, and applies exactly the preview', async () => {
    const partners = await Promise.all(Array.from({ length: 7 }, () => kit.partner()));
    // One partner owes 10.00: an ADD repays debt first.
    await api.dependencies.ledger.postEntry({
      idempotencyKey: `test-debt-${partners[0]}`, kind: 'test',
      postings: [
        { account: { ownerType: 'partner', ownerId: partners[0]!, bucket: 'debt', currency: 'USD' }, amount: '-10.00' },
        { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'refunds', currency: 'USD' }, amount: '10.00' },
      ],
    });
    const { bulk, maker } = await createBulk({ direction: 'ADD', amountKind: 'FIXED', value: '25', currency: 'USD', reason: 'seasonal bonus', target: { kind: 'IDS', partnerIds: partners } }, '192.0.2.61');
    expect(bulk).toMatchObject({ status: 'AWAITING_APPROVAL', partners: 7, affected: 7, totalImpact: '175.00', totalImpactRub: '17500.00', tier: 'STANDARD' });
    const page = await preview(bulk.id, maker.token, 0, 5);
    expect(page.items).toHaveLength(5);
    expect(page.nextOffset).toBe(5);
    expect(page.items.every((item) => item.amount === '25.00' && item.status === 'PENDING')).toBe(true);
    expect((await preview(bulk.id, maker.token, 5, 5)).items).toHaveLength(2);

    const byMaker = await api.request(`/v1/bulk-adjustments/${bulk.id}/approve`, { token: maker.token, body: {} });
    expect(byMaker.status).toBe(403);
    expect((await errorOf(byMaker)).code).toBe('maker_checker');
    const noTotp = await api.request(`/v1/bulk-adjustments/${bulk.id}/approve`, { token: (await kit.admin('admin')).token, body: {} });
    expect(noTotp.status).toBe(401);

    const done = await approveAndFinish(bulk, 'admin', maker.token, '198.51.100.62');
    expect(done.progress).toMatchObject({ processed: 7, applied: 7, skipped: 0, appliedTotal: '175.00', percent: 100 });
    // docs/rules.md#audit-trail: the approval has the approver's client address; each partner's posting (its actor is
    // the maker) has the maker's, carried in the workflow's input, in both runs (the first continued as new).
    const addresses = await api.owner.any(sql.type(z.object({ action: z.string(), actor: z.string(), ip: z.string().nullable() }))`
      SELECT action, actor, host(ip) AS ip FROM audit_records
      WHERE (target_type = 'bulk_adjustment' AND target_id = ${bulk.id}) OR (action = 'BALANCE_ADJUST' AND details->>'bulkAdjustmentId' = ${bulk.id})
      ORDER BY id`);
    expect(addresses.filter((row) => row.action === 'BULK_ADJUSTMENT_CREATE').map((row) => row.ip)).toEqual(['192.0.2.61']);
    expect(addresses.filter((row) => row.action === 'BULK_ADJUSTMENT_APPROVE').map((row) => row.ip)).toEqual(['198.51.100.62']);
    const postings = addresses.filter((row) => row.action === 'BALANCE_ADJUST');
    expect(postings).toHaveLength(7);
    expect(postings.every((row) => row.actor === maker.admin.id && row.ip === '192.0.2.61'), JSON.stringify(postings)).toBe(true);
    const moves = await partnerMoves(bulk.id);
    expect([...moves.values()].every((moved) => moved === '25.00')).toBe(true);
    expect(moves.size).toBe(7);
    expect((await kit.balances(partners[0]!)).available).toBe('15.00');
    expect(await kit.entryCount(`bulk-adjustment-${bulk.id}:%`)).toBe(7);
    expect(await kit.auditCount('BULK_ADJUSTMENT_EXECUTE', bulk.id)).toBe(1);
    expect(await kit.auditCount('BULK_ADJUSTMENT_APPROVE', bulk.id)).toBe(1);
    const finished = await api.owner.anyFirst(sql.type(z.object({ kind: z.string() }))`SELECT kind FROM notifications WHERE dedupe_key = ${`bulk-adjustment-finished:${bulk.id}`}`);
    expect(finished).toEqual(['BULK_ADJUSTMENT_FINISHED']);

    const report = await api.request(`/v1/bulk-adjustments/${bulk.id}/report`, { token: maker.token });
    expect(report.headers.get('content-type')).toContain('text/csv');
    const lines = (await report.text()).trim().split('\n');
    expect(lines[0]).toBe('partner_id,planned_amount,result,applied_amount,reason,entry_id');
    expect(lines.filter((line) => line.includes(',APPLIED,25.00,'))).toHaveLength(7);
    expect(lines.at(-1)).toContain('applied total 175.00 USD');

    // 7 items in chunks of 3, two chunks per run: the first run continued as new.
    const runs: string[] = [];
    for await (const execution of api.dependencies.temporal.workflow.list({ query: `WorkflowId = '${bulk.workflowId}'` })) runs.push(execution.runId);
    expect(runs.length).toBe(2);
    await kit.recordHistory(bulk.workflowId, 'bulk-adjustment-completed');
    const current = (await api.dependencies.temporal.workflow.getHandle(bulk.workflowId).describe()).runId;
    await kit.recordHistory(bulk.workflowId, 'bulk-adjustment-continued-as-new', runs.find((runId) => runId !== current));
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('a bulk adjustment by filter, REMOVE, percentage of available', () => {
  it('takes 10 % of each rank 7 partner’s available balance (ROUND_FLOOR to cents), skips those with nothing, and applies what the preview showed', async () => {
    const joinedAt = '2020-03-05T00:00:00.000Z';
    const rich = await kit.partner({ rank: '7', joinedAt, available: '100.00' });
    const odd = await kit.partner({ rank: '7', joinedAt, available: '33.39' });
    const empty = await kit.partner({ rank: '7', joinedAt });
    await kit.partner({ rank: '6', joinedAt, available: '50.00' }); // another rank: not targeted
    const { bulk, maker } = await createBulk({
      direction: 'REMOVE', amountKind: 'PERCENTAGE', value: '10', currency: 'USD', reason: 'system error correction',
      target: { kind: 'FILTER', ranks: ['7'], joinedFrom: '2020-03-01T00:00:00Z', joinedTo: '2020-03-10T00:00:00Z' },
    });
    expect(bulk).toMatchObject({ partners: 3, affected: 2, totalImpact: '13.33', tier: 'STANDARD' });
    const items = new Map((await preview(bulk.id, maker.token)).items.map((item) => [item.partnerId, item]));
    expect(items.get(rich)).toMatchObject({ amount: '10.00', status: 'PENDING' });
    expect(items.get(odd)).toMatchObject({ amount: '3.33', status: 'PENDING' }); // 3.339 floored
    expect(items.get(empty)).toMatchObject({ amount: '0.00', status: 'SKIPPED', skipReason: 'ZERO_AMOUNT' });

    const done = await approveAndFinish(bulk, 'admin', maker.token);
    expect(done.progress).toMatchObject({ applied: 2, skipped: 1, appliedTotal: done.totalImpact });
    const moves = await partnerMoves(bulk.id);
    expect(Object.fromEntries(moves)).toEqual({ [rich]: '-10.00', [odd]: '-3.33' });
    expect((await kit.balances(rich)).available).toBe('90.00');
    expect((await kit.balances(odd)).available).toBe('30.06');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('a bulk adjustment by uploaded CSV, REMOVE, per-line amounts', () => {
  it('refuses an unknown partner naming the line; a line beyond the partner’s available balance is skipped with why', async () => {
    const first = await kit.partner({ available: '40.00' });
    const second = await kit.partner({ available: '20.00' });
    const maker = await kit.admin('admin');
    const unknown = await api.request('/v1/bulk-adjustments', { token: maker.token, body: { direction: 'REMOVE', amountKind: 'FIXED', currency: 'USD', reason: 'penalty', target: { kind: 'CSV', csv: `partnerId,amount\n${first},5.00\nnobody_here,1.00\n` } } });
    expect(unknown.status).toBe(422);
    expect((await errorOf(unknown)).field).toBe('body.target.csv line 3');

    const { bulk } = await createBulk({ direction: 'REMOVE', amountKind: 'FIXED', currency: 'USD', reason: 'penalty', target: { kind: 'CSV', csv: `partnerId,amount\n${first},5.50\n${second},50.00\n` } });
    expect(bulk).toMatchObject({ partners: 2, affected: 1, totalImpact: '5.50' });
    const done = await approveAndFinish(bulk, 'admin', maker.token);
    expect(done.progress).toMatchObject({ applied: 1, skipped: 1, appliedTotal: '5.50' });
    expect((await kit.balances(first)).available).toBe('34.50');
    expect((await kit.balances(second)).available).toBe('20.00');
    const report = await (await api.request(`/v1/bulk-adjustments/${bulk.id}/report`, { token: maker.token })).text();
    expect(report).toContain(`${second},50.00,SKIPPED,,INSUFFICIENT_AVAILABLE,`);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('the results report', () => {
  it('writes a partner id a spreadsheet would run as a formula as text, and amounts as numbers', async () => {
    // Partner ids may begin with "-", which a spreadsheet reads as the start of a formula (`-A1` is minus cell A1).
    const partnerId = `-A1_${randomBytes(4).toString('hex')}`;
    await api.owner.query(sql.unsafe`
      INSERT INTO partners (id, name, rank, status, kyc_status, joined_at) VALUES (${partnerId}, 'Formula Partner', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
    const { bulk, maker } = await createBulk({ direction: 'ADD', amountKind: 'FIXED', value: '12.50', currency: 'USD', reason: 'formula check', target: { kind: 'IDS', partnerIds: [partnerId] } });
    const report = await (await api.request(`/v1/bulk-adjustments/${bulk.id}/report`, { token: maker.token })).text();
    expect(report.split('\n')[1]).toBe(`'${partnerId},12.50,PENDING,,,`);
  });
});

describe('approval by total impact', () => {
  it('60,000 RUB needs a senior admin (an admin is refused); 520,000 RUB needs a finance director (a senior admin is refused)', async () => {
    const senior = await createBulk({ direction: 'ADD', amountKind: 'FIXED', value: '300', currency: 'USD', reason: 'rank achievement', target: { kind: 'IDS', partnerIds: [await kit.partner(), await kit.partner()] } });
    expect(senior.bulk).toMatchObject({ totalImpactRub: '60000.00', tier: 'SENIOR', approverRoles: ['senior_admin', 'finance_director'] });
    const byAdmin = await kit.asNew('admin', `/v1/bulk-adjustments/${senior.bulk.id}/approve`, {});
    expect(byAdmin.status).toBe(403);
    expect((await errorOf(byAdmin)).code).toBe('approval_tier');
    const done = await approveAndFinish(senior.bulk, 'senior_admin', senior.maker.token);
    expect(done.progress.appliedTotal).toBe('600.00');

    const director = await createBulk({ direction: 'ADD', amountKind: 'FIXED', value: '2600', currency: 'USD', reason: 'campaign', target: { kind: 'IDS', partnerIds: [await kit.partner(), await kit.partner()] } });
    expect(director.bulk).toMatchObject({ totalImpactRub: '520000.00', tier: 'FINANCE_DIRECTOR', approverRoles: ['finance_director'] });
    const bySenior = await kit.asNew('senior_admin', `/v1/bulk-adjustments/${director.bulk.id}/approve`, {});
    expect(bySenior.status).toBe(403);
    const rejected = await kit.asNew('finance_director', `/v1/bulk-adjustments/${director.bulk.id}/reject`, { reason: 'budget exceeded' });
    expect(rejected.status).toBe(200);
    expect(((await rejected.json()) as BulkView).status).toBe('REJECTED');
    expect(await kit.entryCount(`bulk-adjustment-${director.bulk.id}:%`)).toBe(0);
    await kit.recordHistory(director.bulk.workflowId, 'bulk-adjustment-rejected');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('a bulk adjustment nobody approves', () => {
  it('expires when the policy’s approval window ends, applying nothing', async () => {
    await kit.setAdjustmentPolicy({ bulkChunkSize: 3, bulkChunksPerRun: 2, approvalWait: '1s' });
    const { bulk, maker } = await createBulk({ direction: 'ADD', amountKind: 'FIXED', value: '1', currency: 'USD', reason: 'forgotten', target: { kind: 'IDS', partnerIds: [await kit.partner()] } });
    const result = (await api.dependencies.temporal.workflow.getHandle(bulk.workflowId).result()) as { status: string };
    expect(result.status).toBe('EXPIRED');
    expect((await read(bulk.id, maker.token)).status).toBe('EXPIRED');
    expect(await kit.entryCount(`bulk-adjustment-${bulk.id}:%`)).toBe(0);
    await kit.recordHistory(bulk.workflowId, 'bulk-adjustment-expired');
  });
});
