import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { approvePayRunChunk } from '../../modules/pay-runs/pay-run-approvals.ts';
import { signalPayRunApprovals } from '../../modules/payouts/payout-delivery.ts';
import { getPayoutStateQuery } from '../../workflows/payout-messages.ts';
import { createApiHarness, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker, endLifecycleTestFile, repositoryRoot } from '../helpers/temporal.ts';

/**
 * docs/rules.md#pay-runs, fan-out design 2 (`payRuns.fanOut: 'signal'`, the default) next to design 1 (`update`):
 * a chunk's approvals recorded set-based in one transaction, each payout woken by a `payRunApproved` signal; an item
 * changed or cancelled between the decision and its chunk is refused, never approved; a chunk approved again (a
 * retried activity) and its signals sent again change nothing.
 */

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await kit.insertRubRate();
  // Funds must be declared here: a run waits for them, which holds its delivery back while the test changes items.
  await setPolicy({ progressPollSeconds: 1, chunkSize: 2, concurrency: 2, requireDeclaredFunds: true });
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

async function setPolicy(payRuns: Record<string, unknown>) {
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({ document: { ...policy, payRuns: { ...policy.payRuns, ...payRuns } }, effectiveFrom: new Date(), reason: 'pay run fan-out tests', actor: 'test' });
}

const bankDetails = { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' };

async function signedIn(role: AdminRole) {
  const admin = await api.createAdmin(role);
  return { admin, token: await api.signIn(admin) };
}

async function awaitingPayout(amount: string) {
  const { partnerId, token } = await kit.partnerWithLogin({ USD: '100000.00' });
  const response = await api.request('/v1/payouts', { token, body: { partnerId, amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
  expect(response.status, await response.clone().text()).toBe(201);
  const { id } = (await response.json()) as { id: string };
  workflowIds.add(`payout-${id}`);
  return kit.waitForStatus(id, 'AWAITING_APPROVAL');
}

async function declare(available: string) {
  const finance = await signedIn('finance_manager');
  const response = await api.request('/v1/platform-funds/BANK_TRANSFER/USD', { method: 'PUT', token: finance.token, headers: { 'x-totp-code': await api.nextTotp(finance.admin) }, body: { available } });
  expect(response.status, await response.clone().text()).toBe(200);
}

interface Item { payoutId: string; state: string; reason: string | null; payoutStatus: string }

async function items(id: string, token: string): Promise<Item[]> {
  const response = await api.request(`/v1/pay-runs/${id}/items?limit=1000`, { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Item[] }).items;
}

async function waitForItems(id: string, token: string, done: (list: Item[]) => boolean, what: string, timeoutMs = 40_000): Promise<Item[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await items(id, token);
    if (done(list)) return list;
    if (Date.now() > deadline) throw new Error(`pay run ${id} has items ${JSON.stringify(list.map((item) => [item.state, item.reason, item.payoutStatus]))}, expected ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Creates a run of `payoutIds` and has `approver` approve their whole group with one code, from the client address
 * `peer` when given; answers the run and decision ids.
 */
async function runAndDecide(creatorToken: string, approver: { admin: TestAdmin; token: string }, payoutIds: string[], peer?: string) {
  const created = await api.request('/v1/pay-runs', { token: creatorToken, body: { selection: { payoutIds }, note: 'fan-out test' } });
  expect(created.status, await created.clone().text()).toBe(201);
  const run = (await created.json()) as { id: string };
  workflowIds.add(`pay-run-${run.id}`);
  const view = (await (await api.request(`/v1/pay-runs/${run.id}/decision`, { token: approver.token })).json()) as { items: number; itemsHash: string };
  expect(view.items).toBe(payoutIds.length);
  const approved = await api.request(`/v1/pay-runs/${run.id}/approve`, { token: approver.token, ...(peer ? { peer } : {}), headers: { 'x-totp-code': await api.nextTotp(approver.admin) }, body: { itemsHash: view.itemsHash } });
  expect(approved.status, await approved.clone().text()).toBe(202);
  const { decisionId } = (await approved.json()) as { decisionId: string };
  return { runId: run.id, decisionId };
}

const approvalsOf = (payoutIds: string[]) =>
  api.owner.any(sql.type(z.object({ payout_id: z.string(), rows: z.number() }))`
    SELECT payout_id, count(*)::int AS rows FROM payout_approvals WHERE payout_id = ANY(${sql.array(payoutIds, 'uuid')}) GROUP BY payout_id ORDER BY payout_id`);
const auditsOf = (payoutIds: string[]) =>
  api.owner.any(sql.type(z.object({ target_id: z.string(), pay_run_id: z.string().nullable() }))`
    SELECT target_id, details->>'payRunId' AS pay_run_id FROM audit_records
    WHERE action = 'PAYOUT_APPROVE' AND target_id = ANY(${sql.array(payoutIds, 'text')}) ORDER BY target_id`);
/** The client address of each audit record `action` wrote for these targets (docs/rules.md#audit-trail). */
const addressesOf = (action: string, targetIds: string[]) =>
  api.owner.any(sql.type(z.object({ target_id: z.string(), ip: z.string().nullable() }))`
    SELECT target_id, host(ip) AS ip FROM audit_records
    WHERE action = ${action} AND target_id = ANY(${sql.array(targetIds, 'text')}) ORDER BY target_id`);
/** With LEDGERFLOW_RECORD_HISTORIES=1, writes the workflow's history to test/histories/<name>.json (replayed by test/workflows/replay.test.ts). */
async function recordHistory(workflowId: string, name: string) {
  if (process.env.LEDGERFLOW_RECORD_HISTORIES !== '1') return;
  const { stdout } = await promisify(execFile)(
    inject('temporalCli'),
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', inject('temporalAddress'), '--namespace', 'default'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  await writeFile(path.join(repositoryRoot, 'test', 'histories', `${name}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
}

const workflowState = (payoutId: string) => api.dependencies.temporal.workflow.getHandle(`payout-${payoutId}`).query(getPayoutStateQuery);

describe('fan-out design 2: set-based approval and a signal per payout', () => {
  it('approves the unchanged items once, refuses one whose details changed and one cancelled after the decision, and a retried chunk changes nothing', { timeout: 120_000 }, async () => {
    const creator = await signedIn('admin');
    const approver = await signedIn('admin');
    const [kept, changed, cancelled, other] = [await awaitingPayout('100'), await awaitingPayout('110'), await awaitingPayout('120'), await awaitingPayout('130')];
    const ids = [kept!.id, changed!.id, cancelled!.id, other!.id];
    const { runId, decisionId } = await runAndDecide(creator.token, approver, ids, '198.51.100.31');

    // No funds declared: the decision is recorded and waits; nothing is approved yet.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await approvalsOf(ids)).toEqual([]);
    // Meanwhile one payout's details hash differs from what the approver saw, and another is cancelled by an admin.
    await api.owner.query(sql.unsafe`UPDATE payouts SET details_hash = ${'e'.repeat(64)} WHERE id = ${changed!.id}`);
    expect((await kit.decide(cancelled!.id, 'cancel', 'admin', { reason: 'partner asked' })).status).toBe(200);
    await kit.waitForStatus(cancelled!.id, 'CANCELLED');

    await declare('10000.00');
    const list = await waitForItems(runId, creator.token, (current) => current.every((item) => item.state !== 'INCLUDED'), 'every item decided');
    const byId = new Map(list.map((item) => [item.payoutId, item]));
    expect(byId.get(kept!.id)).toMatchObject({ state: 'APPROVED', payoutStatus: 'APPROVED' });
    expect(byId.get(other!.id)).toMatchObject({ state: 'APPROVED', payoutStatus: 'APPROVED' });
    expect(byId.get(changed!.id)).toMatchObject({ state: 'REFUSED', reason: 'details_changed', payoutStatus: 'AWAITING_APPROVAL' });
    expect(byId.get(cancelled!.id)).toMatchObject({ state: 'REFUSED', reason: 'invalid_state', payoutStatus: 'CANCELLED' });
    // Recorded by the run's transaction (its audit names the run), one row each, and taken in by each payout's workflow.
    expect(await approvalsOf(ids)).toEqual([kept!.id, other!.id].sort().map((id) => ({ payout_id: id, rows: 1 })));
    expect(await auditsOf(ids)).toEqual([kept!.id, other!.id].sort().map((id) => ({ target_id: id, pay_run_id: runId })));
    // The approver's client address, stored with the decision by the API, is on the decision's record and on each
    // approval the worker's chunk wrote (docs/rules.md#audit-trail).
    expect(await addressesOf('PAY_RUN_DECIDE', [runId])).toEqual([{ target_id: runId, ip: '198.51.100.31' }]);
    expect(await addressesOf('PAYOUT_APPROVE', ids)).toEqual([kept!.id, other!.id].sort().map((id) => ({ target_id: id, ip: '198.51.100.31' })));
    for (const id of [kept!.id, other!.id]) {
      // The signal is taken in by the payout's next workflow task: shortly after the chunk committed.
      const deadline = Date.now() + 10_000;
      let state = await workflowState(id);
      while (state.status !== 'APPROVED' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        state = await workflowState(id);
      }
      expect(state).toMatchObject({ status: 'APPROVED', approvals: [expect.objectContaining({ userId: approver.admin.id, step: 0 })] });
    }
    expect((await workflowState(changed!.id)).approvals).toEqual([]);

    // A retried chunk (the activity run again after its transaction committed): the same signals, no new rows.
    const again = await approvePayRunChunk(api.database, { runId, decisionId, payoutIds: ids });
    expect(again.outcomes).toEqual([]);
    expect(again.signals.map((signal) => signal.payoutId).sort()).toEqual([kept!.id, other!.id].sort());
    const sent = await signalPayRunApprovals(api.dependencies.temporal, again.signals, { concurrency: 2 });
    expect(sent).toEqual({ signalled: 2, missing: [] });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await workflowState(kept!.id)).approvals).toHaveLength(1);
    expect(await approvalsOf(ids)).toEqual([kept!.id, other!.id].sort().map((id) => ({ payout_id: id, rows: 1 })));
    expect(await auditsOf(ids)).toHaveLength(2);

    // The woken payout goes on like any approved one: processed and completed by finance.
    expect((await kit.decide(kept!.id, 'process', 'finance_manager', { externalReference: 'BANK-FO-1' })).status).toBe(200);
    expect((await kit.decide(kept!.id, 'complete', 'finance_manager')).status).toBe(200);
    expect((await kit.read(kept!.id)).status).toBe('COMPLETED');
    // A lean payout approved by a run's signal (twice: the repeat ignored), then processed and completed by hand.
    await recordHistory(`payout-${kept!.id}`, 'payout-pay-run-signal-completed');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('draws the declared funds down across runs: a second run sees what the first approved, until funds are declared again', { timeout: 120_000 }, async () => {
    const creator = await signedIn('admin');
    const first = [await awaitingPayout('100'), await awaitingPayout('100')];
    const second = [await awaitingPayout('100')];
    const need = async (ids: string[]) => (await api.owner.oneFirst(sql.type(z.object({ sum: z.string() }))`
      SELECT sum(amount_to_transfer)::text AS sum FROM payouts WHERE id = ANY(${sql.array(ids, 'uuid')})`));
    const firstNeed = Number(await need(first.map((payout) => payout.id)));
    const secondNeed = Number(await need(second.map((payout) => payout.id)));
    // Enough for the first run, not for both.
    const declared = (firstNeed + secondNeed / 2).toFixed(2);
    await declare(declared);
    const one = await runAndDecide(creator.token, await signedIn('admin'), first.map((payout) => payout.id));
    await waitForItems(one.runId, creator.token, (current) => current.every((item) => item.state === 'APPROVED'), 'the first run approved');
    const two = await runAndDecide(creator.token, await signedIn('admin'), second.map((payout) => payout.id));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await items(two.runId, creator.token)).map((item) => item.state)).toEqual(['INCLUDED']);
    const view = (await (await api.request(`/v1/pay-runs/${two.runId}`, { token: creator.token })).json()) as { totals: { byMethod: { methodId: string; fundsDeclared: string | null; fundsShort: string | null; waitingForFunds: boolean }[] } };
    expect(view.totals.byMethod).toEqual([expect.objectContaining({
      methodId: 'BANK_TRANSFER', fundsDeclared: (Number(declared) - firstNeed).toFixed(2), fundsShort: (secondNeed - (Number(declared) - firstNeed)).toFixed(2), waitingForFunds: true,
    })]);
    // Finance declares the figure again: what is available now, beside what was approved.
    await declare('10000.00');
    await waitForItems(two.runId, creator.token, (current) => current.every((item) => item.state === 'APPROVED'), 'the second run approved');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('keeps design 1 reachable: with fanOut update the same decision is delivered as one approve update per payout', { timeout: 120_000 }, async () => {
    await setPolicy({ fanOut: 'update' });
    const creator = await signedIn('admin');
    const approver = await signedIn('admin');
    const payouts = [await awaitingPayout('100'), await awaitingPayout('100')];
    const ids = payouts.map((payout) => payout.id);
    const { runId } = await runAndDecide(creator.token, approver, ids, '2001:db8::31');
    await waitForItems(runId, creator.token, (current) => current.every((item) => item.state === 'APPROVED'), 'every item APPROVED');
    // Recorded by each payout's own approval step: its audit names no run, and has the approver's client address,
    // which the delivery's update carried with the actor.
    expect(await auditsOf(ids)).toEqual([...ids].sort().map((id) => ({ target_id: id, pay_run_id: null })));
    expect(await addressesOf('PAYOUT_APPROVE', ids)).toEqual([...ids].sort().map((id) => ({ target_id: id, ip: '2001:db8::31' })));
    expect(await approvalsOf(ids)).toEqual([...ids].sort().map((id) => ({ payout_id: id, rows: 1 })));
    await setPolicy({ fanOut: 'signal' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
