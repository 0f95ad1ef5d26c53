import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { repositoryRoot, startWorkerProcess, waitForExit } from '../helpers/temporal.ts';
import { getPayoutStateQuery } from '../../workflows/payout-messages.ts';

/**
 * docs/rules.md#pay-runs: the production worker (workers/main.ts, a separate process) killed with SIGKILL while a pay
 * run's decision is being delivered to ~200 payouts, then restarted: every item ends approved exactly once (one
 * approval row per payout and step) and the ledger invariants hold.
 */

const itemCount = 200;
let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
const workers: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  await kit.insertRubRate();
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({
    document: {
      ...policy,
      // Small chunks, few in flight: the fan-out lasts long enough to be interrupted, and its 25 chunks make the run
      // continue as new (every 20 chunks) on the way; payout steps retry after 5 s.
      payRuns: { ...policy.payRuns, chunkSize: 8, concurrency: 4, progressPollSeconds: 1 },
      payouts: { ...policy.payouts, activityTimeoutSeconds: 5 },
    },
    effectiveFrom: new Date(), reason: 'pay run crash test', actor: 'test',
  });
});

afterAll(async () => {
  if (api) {
    await Promise.allSettled([...workflowIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(id);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }));
  }
  for (const worker of workers) {
    if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGTERM');
    await waitForExit(worker.process);
  }
  await api?.close();
});

const startWorker = async () => {
  const worker = await startWorkerProcess({ ownerUrl: api.testDatabase.ownerUrl, taskQueue: api.taskQueue });
  workers.push(worker);
  return worker;
};

const bankDetails = { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' };

/** Partners with money and a session, each requesting 100 USD by bank transfer (the first tier: one admin). */
async function requestPayouts(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, async () => {
        const { partnerId, token } = await kit.partnerWithLogin({ USD: '1000.00' });
        const response = await api.request('/v1/payouts', { token, body: { partnerId, amount: '100', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
        if (response.status !== 201) throw new Error(`payout request answered ${response.status}: ${await response.text()}`);
        return ((await response.json()) as { id: string }).id;
      }),
    );
    ids.push(...batch);
  }
  for (const id of ids) workflowIds.add(`payout-${id}`);
  return ids;
}

const countOf = (query: ReturnType<typeof sql.unsafe>) => api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`${query}`);

// Both fan-out designs (docs/decisions.md, pay-run fan-out): `signal` (the default; set-based chunk then signals) and
// `update` (one approve update per payout). The run takes the design of the policy in force when it is created.
describe.each(['signal', 'update'] as const)('a worker killed during a pay run’s fan-out (fanOut %s)', (fanOut) => {
  it('when the worker dies mid-delivery and is restarted, every one of 200 payouts is approved exactly once', { timeout: 240_000 }, async () => {
    const { policy } = await api.dependencies.policies.active();
    await api.dependencies.policies.add({ document: { ...policy, payRuns: { ...policy.payRuns, fanOut } }, effectiveFrom: new Date(), reason: `pay run crash test: ${fanOut}`, actor: 'test' });
    const first = await startWorker();
    const payoutIds = await requestPayouts(itemCount);
    for (const id of payoutIds) await kit.waitForStatus(id, 'AWAITING_APPROVAL', 60_000);

    const creator = await api.createAdmin('admin');
    const creatorToken = await api.signIn(creator);
    const created = await api.request('/v1/pay-runs', { token: creatorToken, body: { selection: { payoutIds } } });
    expect(created.status, await created.clone().text()).toBe(201);
    const run = (await created.json()) as { id: string; totals: { byCurrency: { count: number }[] } };
    workflowIds.add(`pay-run-${run.id}`);
    const runHandle = api.dependencies.temporal.workflow.getHandle(`pay-run-${run.id}`);
    const firstExecution = (await runHandle.describe()).runId;
    expect(run.totals.byCurrency).toEqual([expect.objectContaining({ count: itemCount, amount: '20000.00' })]);

    const approver = await api.createAdmin('admin');
    const approverToken = await api.signIn(approver);
    const view = (await (await api.request(`/v1/pay-runs/${run.id}/decision`, { token: approverToken })).json()) as { items: number; itemsHash: string };
    expect(view.items).toBe(itemCount);
    const approved = await api.request(`/v1/pay-runs/${run.id}/approve`, { token: approverToken, peer: '198.51.100.41', headers: { 'x-totp-code': await api.nextTotp(approver) }, body: { itemsHash: view.itemsHash } });
    expect(approved.status, await approved.clone().text()).toBe(202);

    // 200 × 100 USD is 2,000,000 RUB: past the policy's first run limit, so nothing is delivered before a finance
    // manager or director approves the run itself (never its creator).
    const approvalRows = () => countOf(sql.unsafe`
      SELECT count(*)::int AS count FROM payout_approvals WHERE payout_id = ANY(${sql.array(payoutIds, 'uuid')})`);
    const waiting = (await (await api.request(`/v1/pay-runs/${run.id}`, { token: creatorToken })).json()) as { runApproval: unknown };
    expect(waiting.runApproval).toEqual({ required: true, roles: ['finance_manager', 'finance_director'], approvedBy: null });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await approvalRows()).toBe(0);
    const held = (await (await api.request(`/v1/pay-runs/${run.id}`, { token: creatorToken })).json()) as { status: string; progress: { pending: number } };
    expect(held).toMatchObject({ status: 'AWAITING_APPROVAL', progress: { pending: itemCount } });
    const byCreator = await api.request(`/v1/pay-runs/${run.id}/run-approval`, { method: 'POST', token: creatorToken, headers: { 'x-totp-code': await api.nextTotp(creator) } });
    expect(byCreator.status).toBe(403);
    const finance = await api.createAdmin('finance_manager');
    const financeToken = await api.signIn(finance);
    const runApproved = await api.request(`/v1/pay-runs/${run.id}/run-approval`, { method: 'POST', token: financeToken, peer: '198.51.100.42', headers: { 'x-totp-code': await api.nextTotp(finance) } });
    expect(runApproved.status, await runApproved.clone().text()).toBe(200);

    // Kill the worker once some payouts have their approval and most do not yet.
    const deadline = Date.now() + 60_000;
    let atKill = await approvalRows();
    while (atKill < 10) {
      if (Date.now() > deadline) throw new Error(`only ${atKill} approvals after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      atKill = await approvalRows();
    }
    first.process.kill('SIGKILL');
    await waitForExit(first.process);
    expect(first.process.signalCode).toBe('SIGKILL');
    atKill = await approvalRows();
    expect(atKill).toBeLessThan(itemCount);

    await startWorker();
    const finished = Date.now() + 150_000;
    for (;;) {
      const approvedItems = await countOf(sql.unsafe`SELECT count(*)::int AS count FROM pay_run_items WHERE run_id = ${run.id} AND state = 'APPROVED'`);
      if (approvedItems === itemCount) break;
      if (Date.now() > finished) throw new Error(`${approvedItems} of ${itemCount} items approved after the restart (${atKill} at the kill)`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // One approval row per payout (its only step), by the approver; every payout APPROVED; every delivery accepted once.
    const perPayout = await api.owner.any(sql.type(z.object({ payout_id: z.string(), rows: z.number(), approver: z.string(), step: z.number() }))`
      SELECT payout_id, count(*)::int AS rows, min(approver_id::text) AS approver, min(step) AS step FROM payout_approvals
      WHERE payout_id = ANY(${sql.array(payoutIds, 'uuid')}) GROUP BY payout_id`);
    expect(perPayout).toHaveLength(itemCount);
    expect(perPayout.every((row) => row.rows === 1 && row.approver === approver.id && row.step === 0)).toBe(true);
    expect(await countOf(sql.unsafe`SELECT count(*)::int AS count FROM payouts WHERE id = ANY(${sql.array(payoutIds, 'uuid')}) AND status = 'APPROVED'`)).toBe(itemCount);
    expect(await countOf(sql.unsafe`
      SELECT count(*)::int AS count FROM pay_run_decision_items di JOIN pay_run_decisions d ON d.id = di.decision_id
      WHERE d.run_id = ${run.id} AND di.outcome = 'accepted'`)).toBe(itemCount);
    expect(await countOf(sql.unsafe`
      SELECT count(*)::int AS count FROM audit_records WHERE action = 'PAYOUT_APPROVE' AND target_id = ANY(${sql.array(payoutIds, 'text')})`)).toBe(itemCount);
    // docs/rules.md#audit-trail: every approval record, written before and after the kill, has the approver's client
    // address (stored with the decision), and the run-level approval the finance manager's.
    expect(await countOf(sql.unsafe`
      SELECT count(*)::int AS count FROM audit_records WHERE action = 'PAYOUT_APPROVE' AND target_id = ANY(${sql.array(payoutIds, 'text')})
        AND host(ip) = '198.51.100.41'`)).toBe(itemCount);
    expect(await countOf(sql.unsafe`
      SELECT count(*)::int AS count FROM audit_records WHERE action = 'PAY_RUN_APPROVE' AND target_id = ${run.id} AND host(ip) = '198.51.100.42'`)).toBe(1);
    // Each payout's workflow took its approval in (design 2: by the signal, sent again by a retried chunk if need be).
    for (const id of payoutIds) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const state = await api.dependencies.temporal.workflow.getHandle(`payout-${id}`).query(getPayoutStateQuery);
        if (state.status === 'APPROVED' && state.approvals.length === 1) break;
        if (Date.now() > deadline) throw new Error(`payout-${id} is ${state.status} with ${state.approvals.length} approvals in its workflow`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const runView = (await (await api.request(`/v1/pay-runs/${run.id}`, { token: creatorToken })).json()) as { status: string; progress: Record<string, unknown> };
    expect(runView.progress).toMatchObject({ delivered: itemCount, pending: 0, refused: 0 });
    if (fanOut === 'update') {
      // The fan-out continued as new on the way: the run's current execution is not its first.
      expect((await runHandle.describe()).runId).not.toBe(firstExecution);
    } else {
      // Design 2 approves and wakes a decision in one activity (retried once after the kill): the history stays small.
      expect((await runHandle.describe()).historyLength).toBeLessThan(200);
    }
    if (process.env.LEDGERFLOW_RECORD_HISTORIES === '1' && fanOut === 'update') {
      // The continued execution's history (test/workflows/replay.test.ts replays it): it starts from the carried queue.
      const { stdout } = await promisify(execFile)(
        inject('temporalCli'),
        ['workflow', 'show', '--workflow-id', `pay-run-${run.id}`, '--output', 'json', '--address', inject('temporalAddress'), '--namespace', 'default'],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      await writeFile(path.join(repositoryRoot, 'test', 'histories', 'pay-run-continued-as-new.json'), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
    }
    const span = await api.owner.one(sql.type(z.object({ seconds: z.string() }))`
      SELECT extract(epoch FROM max(di.delivered_at) - min(d.decided_at))::text AS seconds
      FROM pay_run_decision_items di JOIN pay_run_decisions d ON d.id = di.decision_id WHERE d.run_id = ${run.id}`);
    console.info(`pay run crash test (${fanOut}): ${itemCount} approvals delivered, ${atKill} before the kill; decision to last delivery ${Number(span.seconds).toFixed(1)} s (run-level approval wait and restart included)`);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
