import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../../api/app.ts';
import { adjustmentKit } from '../adjustments/kit.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';

/**
 * Four eyes on bonuses (docs/rules.md#four-eyes) and bonus idempotency, through the API with a real worker: above
 * 10,000 RUB-equivalent a bonus waits for a second person (senior admin or finance director, not the maker, with a
 * fresh TOTP code); below it posts on the maker's code alone; a retry with the same Idempotency-Key after a start
 * whose answer was lost finds the same bonus, which posts once.
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
  // 100 RUB per USD: 200 USD is 20,000 RUB, above the default 10,000.
  await kit.insertRubRate();
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

interface BonusView { id: string; workflowId: string; status: string; entryId: string | null; needsApproval: boolean; amountRub: string | null; decidedBy: string | null; createdBy: string }

async function createBonus(partnerId: string, amount: string, options: { key?: string; app?: ReturnType<typeof createApp> } = {}) {
  const { admin, token } = await kit.admin('admin');
  const headers: Record<string, string> = { 'x-totp-code': await api.nextTotp(admin), ...(options.key ? { 'idempotency-key': options.key } : {}) };
  const body = { partnerId, amount, currency: 'USD', reason: 'campaign winner' };
  const response = options.app
    ? await options.app.request('/v1/bonuses', { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    : await api.request('/v1/bonuses', { token, headers, body });
  return { response, maker: admin, makerToken: token };
}

async function read(id: string): Promise<BonusView> {
  const { token } = await kit.admin('financial_support');
  const response = await api.request(`/v1/bonuses/${id}`, { token });
  expect(response.status).toBe(200);
  return (await response.json()) as BonusView;
}

const bonusEntries = (partnerId: string) =>
  api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM journal_entries WHERE kind = 'bonus' AND metadata->>'partnerId' = ${partnerId}`);

describe('a bonus above the four-eyes threshold', () => {
  it('when one admin credits 200 USD (20,000 RUB) alone, nothing is posted until a senior admin other than the maker approves', async () => {
    const partnerId = await kit.partner();
    const { response, maker, makerToken } = await createBonus(partnerId, '200.00');
    expect(response.status).toBe(202);
    const created = (await response.json()) as BonusView;
    workflowIds.add(created.workflowId);
    expect(created).toMatchObject({ status: 'AWAITING_APPROVAL', needsApproval: true, amountRub: '20000.00', decidedBy: null, createdBy: maker.id });

    // Nothing moves while it waits.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await bonusEntries(partnerId)).toBe(0);
    expect((await kit.balances(partnerId)).available).toBe('0');

    // The maker may not approve their own bonus, even with a fresh code.
    const own = await api.request(`/v1/bonuses/${created.id}/approve`, { token: makerToken, headers: { 'x-totp-code': await api.nextTotp(maker) }, body: {} });
    expect(own.status).toBe(403);
    expect(await errorOf(own)).toMatchObject({ code: 'maker_checker' });
    // An admin who is not senior may not either.
    const plain = await kit.asNew('admin', `/v1/bonuses/${created.id}/approve`, {});
    expect(plain.status).toBe(403);
    expect(await errorOf(plain)).toMatchObject({ code: 'checker_role_required' });
    // Without a fresh code, the senior admin is refused.
    const { token: seniorToken, admin: senior } = await kit.admin('senior_admin');
    const noCode = await api.request(`/v1/bonuses/${created.id}/approve`, { token: seniorToken, body: {} });
    expect(noCode.status).toBe(401);
    expect(await errorOf(noCode)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    expect(await bonusEntries(partnerId)).toBe(0);

    const approved = await api.request(`/v1/bonuses/${created.id}/approve`, { token: seniorToken, headers: { 'x-totp-code': await api.nextTotp(senior) }, body: { reason: 'checked the campaign' } });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'COMPLETED', decidedBy: senior.id, entryId: expect.any(String) });
    expect(await bonusEntries(partnerId)).toBe(1);
    expect((await kit.balances(partnerId)).available).toBe('200.00');
    expect(await kit.auditCount('BONUS_APPROVE', partnerId)).toBe(1);

    // A second approval finds it decided.
    const again = await kit.asNew('finance_director', `/v1/bonuses/${created.id}/approve`, {});
    expect(again.status).toBe(409);
    expect(await bonusEntries(partnerId)).toBe(1);
    await kit.recordHistory(created.workflowId, 'bonus-approved-completed');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('when the checker rejects it, it is REJECTED and nothing is ever posted', async () => {
    const partnerId = await kit.partner();
    const { response } = await createBonus(partnerId, '-150.00');
    const created = (await response.json()) as BonusView;
    workflowIds.add(created.workflowId);
    expect(created.status).toBe('AWAITING_APPROVAL');

    const { token: awaitingToken } = await kit.admin('senior_admin');
    const listed = await api.request('/v1/bonuses?status=AWAITING_APPROVAL', { token: awaitingToken });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { bonuses: BonusView[] }).bonuses.map((bonus) => bonus.id)).toContain(created.id);

    const rejected = await kit.asNew('finance_director', `/v1/bonuses/${created.id}/reject`, { reason: 'not agreed' });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toMatchObject({ status: 'REJECTED', entryId: null });
    await api.dependencies.temporal.workflow.getHandle(created.workflowId).result();
    expect(await bonusEntries(partnerId)).toBe(0);
    expect(await kit.auditCount('BONUS_REJECT', partnerId)).toBe(1);
    expect((await read(created.id)).status).toBe('REJECTED');
    await kit.recordHistory(created.workflowId, 'bonus-rejected');
  });
});

describe('a bonus at or below the four-eyes threshold', () => {
  it('when an admin credits 100 USD (10,000 RUB), it posts on the maker’s code alone', async () => {
    const partnerId = await kit.partner();
    const { response } = await createBonus(partnerId, '100.00');
    expect(response.status).toBe(202);
    const created = (await response.json()) as BonusView;
    workflowIds.add(created.workflowId);
    expect(created).toMatchObject({ status: 'PENDING', needsApproval: false, amountRub: '10000.00' });
    await kit.poll(() => read(created.id), (bonus) => bonus.status === 'COMPLETED', 'the bonus posted');
    expect(await bonusEntries(partnerId)).toBe(1);
    const notNeeded = await kit.asNew('senior_admin', `/v1/bonuses/${created.id}/approve`, {});
    expect(notNeeded.status).toBe(409);
  });
});

describe('bonus idempotency when the start’s answer is lost', () => {
  it('when the first call answers 503 but the workflow did start, a retry with the same key finds the same bonus and it posts exactly once', async () => {
    const partnerId = await kit.partner();
    const real = api.dependencies.temporal;
    // Temporal receives the start, but the answer never reaches the API, and describing it fails too.
    const lost = () => Object.assign(new Error('14 UNAVAILABLE: connection reset'), { code: 14 });
    const flaky = {
      workflow: {
        start: async (...args: Parameters<Client['workflow']['start']>) => {
          await real.workflow.start(...args);
          throw lost();
        },
        getHandle: () => ({ describe: async () => { throw lost(); } }),
      },
    } as unknown as Client;
    const flakyApp = createApp({ ...api.dependencies, temporal: flaky });

    const { admin, token } = await kit.admin('admin');
    const headers = { 'idempotency-key': 'bonus-lost-answer', authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ partnerId, amount: '40.00', currency: 'USD', reason: 'retry me' });
    const first = await flakyApp.request('/v1/bonuses', { method: 'POST', headers: { ...headers, 'x-totp-code': await api.nextTotp(admin) }, body });
    expect(first.status).toBe(503);

    const retry = await api.app.request('/v1/bonuses', { method: 'POST', headers: { ...headers, 'x-totp-code': await api.nextTotp(admin) }, body });
    expect(retry.status).toBe(202);
    const bonus = (await retry.json()) as BonusView;
    workflowIds.add(bonus.workflowId);
    await kit.poll(() => read(bonus.id), (row) => row.status === 'COMPLETED', 'the bonus posted');
    // Give any second workflow time to post, then count.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await bonusEntries(partnerId)).toBe(1);
    expect((await kit.balances(partnerId)).available).toBe('40.00');
    const rows = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM bonuses WHERE partner_id = ${partnerId}`);
    expect(rows).toBe(1);

    // The same key with another amount is refused and writes nothing.
    const before = await api.countRows();
    const other = await api.app.request('/v1/bonuses', {
      method: 'POST', headers: { ...headers, 'x-totp-code': await api.nextTotp(admin) },
      body: JSON.stringify({ partnerId, amount: '41.00', currency: 'USD', reason: 'retry me' }),
    });
    expect(other.status).toBe(422);
    expect(await errorOf(other)).toMatchObject({ code: 'idempotency_key_reused', field: 'Idempotency-Key' });
    expect(await api.countRows()).toEqual(before);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
