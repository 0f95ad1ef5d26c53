import type { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { adjustmentKit } from './kit.ts';

/**
 * The admin console's lists: GET /v1/adjustments (manual commissions; a partner reads their own POSTED ones) and
 * GET /v1/bulk-adjustments (admins only), newest first with keyset paging, through the API with a real worker so
 * the rows reach POSTED / REJECTED the way they do in production.
 */

let api: ApiHarness;
let kit: ReturnType<typeof adjustmentKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowIds = new Set<string>();

interface AdjustmentItem {
  id: string; partnerId: string; type: string; amount: string; currency: string; amountRub: string | null; commissionStatus: string;
  status: string; needsSeniorApproval: boolean; reason: string; createdBy: string; decidedBy: string | null; decidedAt: string | null;
  commissionId: string | null; workflowId: string; workflowUrl: string | null; createdAt: string;
}
interface BulkItem {
  id: string; direction: string; amountKind: string; value: string | null; currency: string; targetKind: string; status: string;
  partners: number; affected: number; totalImpact: string; totalImpactRub: string | null; tier: string; processed: number; applied: number;
  skipped: number; appliedTotal: string; createdBy: string; decidedBy: string | null; createdAt: string; finishedAt: string | null;
  workflowId: string; workflowUrl: string | null;
}
interface Page<T> { data: T[]; nextCursor: string | null }

/** Created oldest first: a1 … a5 and b1 … b3; lists answer newest first. */
const adjustments: Record<'a1' | 'a2' | 'a3' | 'a4' | 'a5', { id: string; maker: string }> = {} as never;
const bulks: Record<'b1' | 'b2' | 'b3', { id: string; maker: string }> = {} as never;
let partnerA: string;
let partnerB: string;
let adminToken: string;
let rejecter: string;
let bulkRejecter: string;

async function createAdjustment(body: Record<string, unknown>): Promise<{ id: string; maker: string }> {
  const { admin, token } = await kit.admin('admin');
  const response = await api.request('/v1/adjustments', { token, headers: { 'x-totp-code': await api.nextTotp(admin) }, body });
  if (response.status !== 202) throw new Error(`POST /v1/adjustments answered ${response.status}: ${await response.text()}`);
  const created = (await response.json()) as { id: string; workflowId: string };
  workflowIds.add(created.workflowId);
  return { id: created.id, maker: admin.id };
}

async function createBulk(body: Record<string, unknown>): Promise<{ id: string; maker: string }> {
  const { admin, token } = await kit.admin('admin');
  const response = await api.request('/v1/bulk-adjustments', { token, body });
  if (response.status !== 202) throw new Error(`POST /v1/bulk-adjustments answered ${response.status}: ${await response.text()}`);
  const created = (await response.json()) as { id: string; workflowId: string };
  workflowIds.add(created.workflowId);
  return { id: created.id, maker: admin.id };
}

async function page<T>(pathName: string, token = adminToken): Promise<Page<T>> {
  const response = await api.request(pathName, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Page<T>;
}
const ids = (rows: { id: string }[]) => rows.map((row) => row.id);
const adjustmentIds = (...names: (keyof typeof adjustments)[]) => names.map((name) => adjustments[name].id);
const bulkIds = (...names: (keyof typeof bulks)[]) => names.map((name) => bulks[name].id);

async function statusOf(pathName: string): Promise<string> {
  return ((await (await api.request(pathName, { token: adminToken })).json()) as { status: string }).status;
}

beforeAll(async () => {
  api = await createApiHarness();
  kit = adjustmentKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await kit.insertRubRate();
  adminToken = (await kit.admin('admin')).token;
  partnerA = await kit.partner();
  partnerB = await kit.partner();

  // 100 RUB per USD and a 10,000 RUB threshold: 50, 20 and 30 USD post at once; 200 and 300 USD wait for a senior.
  adjustments.a1 = await createAdjustment({ partnerId: partnerA, type: 'BONUS', amount: '50', currency: 'USD', reason: 'campaign', status: 'APPROVED' });
  adjustments.a2 = await createAdjustment({ partnerId: partnerA, type: 'ADJUSTMENT', amount: '20', currency: 'USD', reason: 'correction', status: 'PENDING' });
  adjustments.a3 = await createAdjustment({ partnerId: partnerA, type: 'OTHER', amount: '200', currency: 'USD', reason: 'large correction', status: 'PENDING' });
  adjustments.a4 = await createAdjustment({ partnerId: partnerB, type: 'BONUS', amount: '30', currency: 'USD', reason: 'campaign', status: 'APPROVED' });
  adjustments.a5 = await createAdjustment({ partnerId: partnerB, type: 'BONUS', amount: '300', currency: 'USD', reason: 'too generous', status: 'APPROVED' });
  const rejecting = await kit.admin('senior_admin');
  rejecter = rejecting.admin.id;
  const rejected = await api.request(`/v1/adjustments/${adjustments.a5.id}/reject`, {
    token: rejecting.token, headers: { 'x-totp-code': await api.nextTotp(rejecting.admin) }, body: { reason: 'not agreed' },
  });
  expect(rejected.status, await rejected.clone().text()).toBe(200);
  for (const name of ['a1', 'a2', 'a4'] as const) {
    await kit.poll(() => statusOf(`/v1/adjustments/${adjustments[name].id}`), (status) => status === 'POSTED', `${name} POSTED`);
  }

  bulks.b1 = await createBulk({ direction: 'ADD', amountKind: 'FIXED', value: '10', currency: 'USD', reason: 'bonus week', target: { kind: 'IDS', partnerIds: [partnerA, partnerB] } });
  bulks.b2 = await createBulk({ direction: 'ADD', amountKind: 'FIXED', value: '5', currency: 'USD', reason: 'small thanks', target: { kind: 'IDS', partnerIds: [partnerA] } });
  bulks.b3 = await createBulk({ direction: 'ADD', amountKind: 'FIXED', currency: 'USD', reason: 'per line', target: { kind: 'CSV', csv: `partnerId,amount\n${partnerB},7.50\n` } });
  const bulkRejecting = await kit.admin('admin');
  bulkRejecter = bulkRejecting.admin.id;
  const bulkRejected = await api.request(`/v1/bulk-adjustments/${bulks.b2.id}/reject`, {
    token: bulkRejecting.token, headers: { 'x-totp-code': await api.nextTotp(bulkRejecting.admin) }, body: { reason: 'not this week' },
  });
  expect(bulkRejected.status, await bulkRejected.clone().text()).toBe(200);
}, 60_000);

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

describe('GET /v1/adjustments (admin)', () => {
  it('lists every manual commission newest first, each row with its amounts, state, maker, decider and workflow', async () => {
    const all = await page<AdjustmentItem>('/v1/adjustments');
    expect(ids(all.data)).toEqual(adjustmentIds('a5', 'a4', 'a3', 'a2', 'a1'));
    expect(all.nextCursor).toBeNull();
    const [a5, , a3, , a1] = all.data;
    expect(a1).toMatchObject({
      partnerId: partnerA, type: 'BONUS', amount: '50.00', currency: 'USD', amountRub: '5000.00', commissionStatus: 'APPROVED',
      status: 'POSTED', needsSeniorApproval: false, reason: 'campaign', createdBy: adjustments.a1.maker,
      workflowId: `adjustment-${adjustments.a1.id}`, workflowUrl: `http://localhost:8233/namespaces/default/workflows/adjustment-${adjustments.a1.id}`,
    });
    expect(a1!.commissionId).toMatch(/^\d+$/);
    expect(a3).toMatchObject({ status: 'AWAITING_APPROVAL', needsSeniorApproval: true, amountRub: '20000.00', commissionId: null, decidedBy: null, decidedAt: null });
    expect(a5).toMatchObject({ status: 'REJECTED', decidedBy: rejecter, commissionId: null });
    expect(Number.isNaN(Date.parse(a5!.decidedAt!))).toBe(false);
    // The row agrees with the detail route.
    const detail = (await (await api.request(`/v1/adjustments/${adjustments.a1.id}`, { token: adminToken })).json()) as AdjustmentItem;
    expect(a1).toMatchObject({ commissionId: detail.commissionId, createdAt: detail.createdAt, workflowUrl: detail.workflowUrl });
  });

  it('filters by status, type, partner, maker and created_at (from inclusive, to exclusive), alone and together', async () => {
    expect(ids((await page<AdjustmentItem>('/v1/adjustments?status=POSTED')).data)).toEqual(adjustmentIds('a4', 'a2', 'a1'));
    expect(ids((await page<AdjustmentItem>('/v1/adjustments?status=AWAITING_APPROVAL')).data)).toEqual(adjustmentIds('a3'));
    expect(ids((await page<AdjustmentItem>('/v1/adjustments?status=EXPIRED')).data)).toEqual([]);
    expect(ids((await page<AdjustmentItem>('/v1/adjustments?type=BONUS')).data)).toEqual(adjustmentIds('a5', 'a4', 'a1'));
    expect(ids((await page<AdjustmentItem>(`/v1/adjustments?partnerId=${partnerB}`)).data)).toEqual(adjustmentIds('a5', 'a4'));
    expect(ids((await page<AdjustmentItem>(`/v1/adjustments?createdBy=${adjustments.a3.maker}`)).data)).toEqual(adjustmentIds('a3'));
    expect(ids((await page<AdjustmentItem>(`/v1/adjustments?partnerId=${partnerA}&type=BONUS&status=POSTED`)).data)).toEqual(adjustmentIds('a1'));

    const all = (await page<AdjustmentItem>('/v1/adjustments')).data;
    const a3CreatedAt = all.find((row) => row.id === adjustments.a3.id)!.createdAt;
    const a5CreatedAt = all.find((row) => row.id === adjustments.a5.id)!.createdAt;
    expect(ids((await page<AdjustmentItem>(`/v1/adjustments?from=${encodeURIComponent(a3CreatedAt)}`)).data)).toEqual(adjustmentIds('a5', 'a4', 'a3'));
    expect(ids((await page<AdjustmentItem>(`/v1/adjustments?to=${encodeURIComponent(a3CreatedAt)}`)).data)).toEqual(adjustmentIds('a2', 'a1'));
    expect(ids((await page<AdjustmentItem>(`/v1/adjustments?from=${encodeURIComponent(a3CreatedAt)}&to=${encodeURIComponent(a5CreatedAt)}&partnerId=${partnerB}`)).data))
      .toEqual(adjustmentIds('a4'));
  });

  it('pages with limit and cursor: every row exactly once across pages, the last page without nextCursor, filters kept', async () => {
    const first = await page<AdjustmentItem>('/v1/adjustments?limit=3');
    expect(ids(first.data)).toEqual(adjustmentIds('a5', 'a4', 'a3'));
    expect(first.nextCursor).not.toBeNull();
    const second = await page<AdjustmentItem>(`/v1/adjustments?limit=3&cursor=${first.nextCursor}`);
    expect(ids(second.data)).toEqual(adjustmentIds('a2', 'a1'));
    expect(second.nextCursor).toBeNull();

    const posted = await page<AdjustmentItem>('/v1/adjustments?status=POSTED&limit=2');
    expect(ids(posted.data)).toEqual(adjustmentIds('a4', 'a2'));
    const postedRest = await page<AdjustmentItem>(`/v1/adjustments?status=POSTED&limit=2&cursor=${posted.nextCursor}`);
    expect(ids(postedRest.data)).toEqual(adjustmentIds('a1'));
    expect(postedRest.nextCursor).toBeNull();
    // A page that happens to be exactly full leads to an empty last page, not to a repeat.
    const exact = await page<AdjustmentItem>('/v1/adjustments?limit=5');
    expect(exact.data).toHaveLength(5);
    expect((await page<AdjustmentItem>(`/v1/adjustments?limit=5&cursor=${exact.nextCursor}`)).data).toEqual([]);
  });
});

describe('GET /v1/adjustments (partner)', () => {
  it('a partner sees only their own POSTED manual commissions; asking for another partner is a 403 naming query.partnerId', async () => {
    const user = await api.createPartnerUser(partnerA);
    const token = await api.signIn(user);
    expect(ids((await page<AdjustmentItem>('/v1/adjustments', token)).data)).toEqual(adjustmentIds('a2', 'a1'));
    expect(ids((await page<AdjustmentItem>(`/v1/adjustments?partnerId=${partnerA}`, token)).data)).toEqual(adjustmentIds('a2', 'a1'));
    // Their AWAITING_APPROVAL one (a3) stays invisible even when asked for by status.
    expect((await page<AdjustmentItem>('/v1/adjustments?status=AWAITING_APPROVAL', token)).data).toEqual([]);
    const firstPage = await page<AdjustmentItem>('/v1/adjustments?limit=1', token);
    expect(ids(firstPage.data)).toEqual(adjustmentIds('a2'));
    expect(ids((await page<AdjustmentItem>(`/v1/adjustments?limit=1&cursor=${firstPage.nextCursor}`, token)).data)).toEqual(adjustmentIds('a1'));

    const other = await api.request(`/v1/adjustments?partnerId=${partnerB}`, { token });
    expect(other.status).toBe(403);
    expect((await errorOf(other)).field).toBe('query.partnerId');

    const bulk = await api.request('/v1/bulk-adjustments', { token });
    expect(bulk.status).toBe(403);
  });
});

describe('GET /v1/bulk-adjustments', () => {
  it('lists bulk adjustments newest first with their impact, tier, progress and decision; filters by status and maker; pages', async () => {
    const all = await page<BulkItem>('/v1/bulk-adjustments');
    expect(ids(all.data)).toEqual(bulkIds('b3', 'b2', 'b1'));
    const [b3, b2, b1] = all.data;
    expect(b1).toMatchObject({
      direction: 'ADD', amountKind: 'FIXED', value: '10.00', currency: 'USD', targetKind: 'IDS', status: 'AWAITING_APPROVAL', partners: 2, affected: 2,
      totalImpact: '20.00', totalImpactRub: '2000.00', tier: 'STANDARD', processed: 0, applied: 0, skipped: 0, appliedTotal: '0.00',
      createdBy: bulks.b1.maker, decidedBy: null, finishedAt: null, workflowId: `bulk-adjustment-${bulks.b1.id}`,
      workflowUrl: `http://localhost:8233/namespaces/default/workflows/bulk-adjustment-${bulks.b1.id}`,
    });
    expect(b2).toMatchObject({ status: 'REJECTED', decidedBy: bulkRejecter, totalImpact: '5.00' });
    expect(Number.isNaN(Date.parse(b2!.finishedAt!))).toBe(false);
    expect(b3).toMatchObject({ targetKind: 'CSV', value: null, totalImpact: '7.50', partners: 1 });

    expect(ids((await page<BulkItem>('/v1/bulk-adjustments?status=REJECTED')).data)).toEqual(bulkIds('b2'));
    expect(ids((await page<BulkItem>('/v1/bulk-adjustments?status=AWAITING_APPROVAL')).data)).toEqual(bulkIds('b3', 'b1'));
    expect(ids((await page<BulkItem>(`/v1/bulk-adjustments?createdBy=${bulks.b1.maker}`)).data)).toEqual(bulkIds('b1'));
    expect(ids((await page<BulkItem>(`/v1/bulk-adjustments?createdBy=${bulks.b1.maker}&status=REJECTED`)).data)).toEqual([]);

    const first = await page<BulkItem>('/v1/bulk-adjustments?limit=2');
    expect(ids(first.data)).toEqual(bulkIds('b3', 'b2'));
    const second = await page<BulkItem>(`/v1/bulk-adjustments?limit=2&cursor=${first.nextCursor}`);
    expect(ids(second.data)).toEqual(bulkIds('b1'));
    expect(second.nextCursor).toBeNull();
  });
});

describe('bad list input', () => {
  it.each([
    ['/v1/adjustments?status=NOPE', 'query.status'],
    ['/v1/adjustments?type=GIFT', 'query.type'],
    ['/v1/adjustments?limit=0', 'query.limit'],
    ['/v1/adjustments?limit=201', 'query.limit'],
    ['/v1/adjustments?createdBy=someone', 'query.createdBy'],
    ['/v1/adjustments?from=yesterday', 'query.from'],
    ['/v1/adjustments?to=2026-13-01', 'query.to'],
    ['/v1/adjustments?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'query.to'],
    ['/v1/adjustments?partnerId=bad%20id', 'query.partnerId'],
    ['/v1/adjustments?cursor=not-a-cursor', 'query.cursor'],
    [`/v1/adjustments?cursor=${Buffer.from(JSON.stringify(['2026-11-01T00:00:00.000000Z', 'x'])).toString('base64url')}`, 'query.cursor'],
    ['/v1/bulk-adjustments?status=POSTED', 'query.status'],
    ['/v1/bulk-adjustments?createdBy=someone', 'query.createdBy'],
    ['/v1/bulk-adjustments?limit=500', 'query.limit'],
    ['/v1/bulk-adjustments?cursor=garbage', 'query.cursor'],
  ])('GET %s is a 400 naming %s', async (pathName, field) => {
    const response = await api.request(pathName, { token: adminToken });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe(field);
  });
});
