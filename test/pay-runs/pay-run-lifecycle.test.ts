import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { createApiHarness, errorOf, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker, endLifecycleTestFile, repositoryRoot } from '../helpers/temporal.ts';

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
  // Progress is read every second here (30 s by default), so the run follows its payouts within the test's patience.
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({
    document: { ...policy, payRuns: { ...policy.payRuns, progressPollSeconds: 1, chunkSize: 2, concurrency: 2 } },
    effectiveFrom: new Date(), reason: 'pay run tests', actor: 'test',
  });
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

const bankDetails = { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' };
const webMoneyDetails = { purse: 'Z123456789012' };

interface PayRun {
  id: string;
  status: string;
  createdBy: string;
  totals: { byCurrency: { currency: string; count: number; amount: string; amountRub: string | null }[]; byMethod: { methodId: string; currency: string; count: number; amountToTransfer: string; fundsDeclared: string | null; fundsShort: string | null; waitingForFunds: boolean }[] };
  excluded: { reason: string; count: number }[];
  runApproval: { required: boolean; roles: string[]; approvedBy: string | null };
  progress: { byPayoutStatus: Record<string, number>; delivered: number; refused: number; pending: number };
  decisions: { id: string; by: string; role: string; approved: number; refused: number }[];
}
interface Item { payoutId: string; state: string; reason: string | null; payoutStatus: string }

async function signedIn(role: AdminRole) {
  const admin = await api.createAdmin(role);
  return { admin, token: await api.signIn(admin) };
}

/** A partner's payout by bank transfer (or WebMoney), waited for until its checklist put it AWAITING_APPROVAL. */
async function awaitingPayout(amount: string, options: { methodId?: 'BANK_TRANSFER' | 'WEBMONEY'; byAdmin?: { admin: TestAdmin; token: string } } = {}) {
  const { partnerId, token } = await kit.partnerWithLogin({ USD: '100000.00' });
  const methodId = options.methodId ?? 'BANK_TRANSFER';
  const response = await api.request('/v1/payouts', {
    token: options.byAdmin?.token ?? token,
    ...(options.byAdmin ? { headers: { 'x-totp-code': await api.nextTotp(options.byAdmin.admin) } } : {}),
    body: { partnerId, amount, currency: 'USD', methodId, paymentDetails: methodId === 'BANK_TRANSFER' ? bankDetails : webMoneyDetails },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const { id } = (await response.json()) as { id: string };
  workflowIds.add(`payout-${id}`);
  return kit.waitForStatus(id, 'AWAITING_APPROVAL');
}

/** A payout drafted by one admin and submitted (requested) by another, waited for until AWAITING_APPROVAL. */
async function draftedAndSubmitted(amount: string, drafterToken: string) {
  const { partnerId } = await kit.partnerWithLogin({ USD: '100000.00' });
  const drafted = await api.request('/v1/payouts', { token: drafterToken, body: { partnerId, amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails, draft: true } });
  expect(drafted.status, await drafted.clone().text()).toBe(201);
  const { id } = (await drafted.json()) as { id: string };
  const submitter = await signedIn('admin');
  const submitted = await api.request(`/v1/payouts/${id}/submit`, { token: submitter.token, headers: { 'x-totp-code': await api.nextTotp(submitter.admin) }, body: {} });
  expect(submitted.status, await submitted.clone().text()).toBe(200);
  workflowIds.add(`payout-${id}`);
  return kit.waitForStatus(id, 'AWAITING_APPROVAL');
}

/** A policy version whose pay runs deliver by `fanOut` (docs/decisions.md, pay-run fan-out); runs created after it use it. */
async function setFanOut(fanOut: 'signal' | 'update') {
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({ document: { ...policy, payRuns: { ...policy.payRuns, fanOut } }, effectiveFrom: new Date(), reason: `pay run tests: fan-out by ${fanOut}`, actor: 'test' });
}

async function createRun(token: string, payoutIds: string[]): Promise<PayRun> {
  const response = await api.request('/v1/pay-runs', { token, body: { selection: { payoutIds }, note: 'test run' } });
  expect(response.status, await response.clone().text()).toBe(201);
  const run = (await response.json()) as PayRun;
  workflowIds.add(`pay-run-${run.id}`);
  return run;
}

async function readRun(id: string, token: string): Promise<PayRun> {
  const response = await api.request(`/v1/pay-runs/${id}`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as PayRun;
}

async function items(id: string, token: string): Promise<Item[]> {
  const response = await api.request(`/v1/pay-runs/${id}/items?limit=1000`, { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Item[] }).items;
}

async function waitForRun(id: string, token: string, done: (run: PayRun, items: Item[]) => boolean, what: string, timeoutMs = 40_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await readRun(id, token);
    const list = await items(id, token);
    if (done(run, list)) return { run, items: list };
    if (Date.now() > deadline) throw new Error(`pay run ${id} is ${run.status} with items ${JSON.stringify(list.map((item) => [item.state, item.reason, item.payoutStatus]))}, expected ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** An approver's whole decision: what /decision shows, then /approve with that hash and one fresh code. */
async function approveGroup(runId: string, approver: { admin: TestAdmin; token: string }) {
  const decision = await api.request(`/v1/pay-runs/${runId}/decision`, { token: approver.token });
  expect(decision.status, await decision.clone().text()).toBe(200);
  const view = (await decision.json()) as { items: number; itemsHash: string; refusedUpfront: { payoutId: string; code: string }[] };
  const code = await api.nextTotp(approver.admin);
  const response = await api.request(`/v1/pay-runs/${runId}/approve`, { token: approver.token, headers: { 'x-totp-code': code }, body: { itemsHash: view.itemsHash } });
  return { view, response, code };
}

/**
 * With LEDGERFLOW_RECORD_HISTORIES=1, writes the pay run's history (its current run) to test/histories/<name>.json,
 * which test/workflows/replay.test.ts replays against the current code from then on.
 */
async function recordHistory(workflowId: string, name: string) {
  if (process.env.LEDGERFLOW_RECORD_HISTORIES !== '1') return;
  const { stdout } = await promisify(execFile)(
    inject('temporalCli'),
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', inject('temporalAddress'), '--namespace', 'default'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  await writeFile(path.join(repositoryRoot, 'test', 'histories', `${name}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
}

const noticeKinds = (runId: string) =>
  api.owner.anyFirst(sql.type(z.object({ kind: z.string() }))`SELECT kind FROM notifications WHERE dedupe_key LIKE ${`%:${runId}`} ORDER BY id`);

describe('a pay run approved by tier groups', () => {
  it('when an admin, a senior admin and a finance manager each approve their group with one code, every payout is approved once and the run follows them to COMPLETED', async () => {
    const creator = await signedIn('admin');
    const small = [await awaitingPayout('100'), await awaitingPayout('120'), await awaitingPayout('130')];
    // 1,000 USD is 100,000 RUB: the senior admin tier; 3,000 USD (300,000 RUB) needs a finance manager and a senior admin.
    const large = [await awaitingPayout('1000'), await awaitingPayout('1100')];
    const twoStep = await awaitingPayout('3000');
    const all = [...small, ...large, twoStep];
    const run = await createRun(creator.token, all.map((payout) => payout.id));
    expect(run).toMatchObject({ status: 'AWAITING_APPROVAL', runApproval: { required: false }, excluded: [] });
    expect(run.totals.byCurrency).toEqual([{ currency: 'USD', count: 6, amount: '5450.00', fee: '66.00', amountToTransfer: '5384.00', amountRub: '545000.00' }]);

    const admin = await signedIn('admin');
    const first = await approveGroup(run.id, admin);
    expect(first.view.items).toBe(3);
    expect(first.view.refusedUpfront.map((item) => item.code)).toEqual(['role_not_in_chain', 'role_not_in_chain', 'role_not_in_chain']);
    expect(first.response.status, await first.response.clone().text()).toBe(202);
    expect(await first.response.json()).toMatchObject({ approving: 3 });

    // The same code again is refused (one code, one decision), before anything is recorded.
    const view = (await (await api.request(`/v1/pay-runs/${run.id}/decision`, { token: admin.token })).json()) as { itemsHash: string; items: number };
    expect(view.items).toBe(0);
    const reused = await api.request(`/v1/pay-runs/${run.id}/approve`, { token: admin.token, headers: { 'x-totp-code': first.code }, body: { itemsHash: view.itemsHash } });
    expect(reused.status).toBe(401);

    const senior = await signedIn('senior_admin');
    const second = await approveGroup(run.id, senior);
    // The senior tier's two payouts, and the senior step of the two-step payout: one code.
    expect(second.view.items).toBe(3);
    expect(second.response.status, await second.response.clone().text()).toBe(202);
    const finance = await signedIn('finance_manager');
    const third = await approveGroup(run.id, finance);
    expect(third.view.items).toBe(1);
    expect(third.response.status, await third.response.clone().text()).toBe(202);

    const approved = await waitForRun(run.id, creator.token, (_, list) => list.every((item) => item.state === 'APPROVED'), 'every item APPROVED');
    expect(approved.items.map((item) => item.payoutStatus)).toEqual(Array(6).fill('APPROVED'));
    // Exactly one approval row per payout and step, by the approver of its tier.
    const approvals = await api.owner.any(sql.type(z.object({ payout_id: z.string(), approver_id: z.string(), step: z.number() }))`
      SELECT payout_id, approver_id::text AS approver_id, step FROM payout_approvals
      WHERE payout_id = ANY(${sql.array(all.map((payout) => payout.id), 'uuid')}) ORDER BY payout_id, step`);
    expect(approvals).toHaveLength(7);
    for (const payout of small) expect(approvals.find((row) => row.payout_id === payout.id)?.approver_id).toBe(admin.admin.id);
    for (const payout of large) expect(approvals.find((row) => row.payout_id === payout.id)?.approver_id).toBe(senior.admin.id);
    expect(approvals.filter((row) => row.payout_id === twoStep.id).map((row) => [row.step, row.approver_id])).toEqual([[0, finance.admin.id], [1, senior.admin.id]]);

    const inProgress = await waitForRun(run.id, creator.token, (current) => current.status === 'IN_PROGRESS', 'IN_PROGRESS');
    expect(inProgress.run.progress).toMatchObject({ byPayoutStatus: { APPROVED: 6 }, delivered: 7, pending: 0, refused: 0 });
    expect(inProgress.run.decisions.map((decision) => [decision.role, decision.approved, decision.refused])).toEqual([['admin', 3, 3], ['senior_admin', 3, 0], ['finance_manager', 1, 0]]);

    // Paid one by one (manual bank transfers); the run never says COMPLETED while one is still open.
    for (const [index, payout] of all.entries()) {
      expect((await kit.decide(payout.id, 'process', 'finance_manager', { externalReference: `BANK-${index}` })).status).toBe(200);
      if (index < all.length - 1) expect((await kit.decide(payout.id, 'complete', 'finance_manager')).status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await readRun(run.id, creator.token)).status).toBe('IN_PROGRESS');
    expect((await kit.decide(twoStep.id, 'complete', 'finance_manager')).status).toBe(200);
    const done = await waitForRun(run.id, creator.token, (current) => current.status === 'COMPLETED', 'COMPLETED');
    expect(done.run.progress.byPayoutStatus).toEqual({ COMPLETED: 6 });
    expect(await noticeKinds(run.id)).toEqual(['PAY_RUN_READY', 'PAY_RUN_APPROVED', 'PAY_RUN_PAID']);
    expect(await api.owner.anyFirst(sql.type(z.object({ action: z.string() }))`
      SELECT action FROM audit_records WHERE target_type = 'pay_run' AND target_id = ${run.id} ORDER BY id`)).toEqual(['PAY_RUN_CREATE', 'PAY_RUN_DECIDE', 'PAY_RUN_DECIDE', 'PAY_RUN_DECIDE']);
    expect(await api.dependencies.temporal.workflow.getHandle(`pay-run-${run.id}`).result()).toMatchObject({ status: 'COMPLETED' });
    await recordHistory(`pay-run-${run.id}`, 'pay-run-completed');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('refusals inside one decision', () => {
  it('refuses the creator’s own payout upfront and a payout whose details changed on delivery, naming both, and the rest proceed', async () => {
    const creator = await signedIn('admin');
    const plain = await awaitingPayout('100');
    const changed = await awaitingPayout('110');
    // The creator drafts a payout (no code needed) that another admin submits: the drafter is its maker too.
    const own = await draftedAndSubmitted('120', creator.token);
    // Design 1 (one `approve` update per payout): the payout's own workflow compares the details it was requested
    // with. Design 2's refusals (the database's current row against what the approver saw) are in pay-run-fan-out.test.ts.
    await setFanOut('update');
    const run = await createRun(creator.token, [plain.id, changed.id, own.id]);
    await setFanOut('signal');
    // The details the approver is shown are not the ones the payout was requested with (a change after the request).
    await api.owner.query(sql.unsafe`UPDATE payouts SET details_hash = ${'f'.repeat(64)} WHERE id = ${changed.id}`);

    const decision = await approveGroup(run.id, creator);
    expect(decision.response.status, await decision.response.clone().text()).toBe(202);
    const accepted = (await decision.response.json()) as { approving: number; refused: { payoutId: string; code: string }[] };
    expect(accepted.approving).toBe(2);
    expect(accepted.refused).toEqual([{ payoutId: own.id, code: 'maker_checker', message: expect.any(String) }]);

    const settled = await waitForRun(run.id, creator.token, (current) => current.progress.pending === 0 && current.progress.delivered === 2, 'both delivered');
    const byId = new Map(settled.items.map((item) => [item.payoutId, item]));
    expect(byId.get(plain.id)).toMatchObject({ state: 'APPROVED', payoutStatus: 'APPROVED' });
    expect(byId.get(changed.id)).toMatchObject({ state: 'REFUSED', reason: 'details_changed', payoutStatus: 'AWAITING_APPROVAL' });
    expect(byId.get(own.id)).toMatchObject({ state: 'INCLUDED', payoutStatus: 'AWAITING_APPROVAL' });

    // Rejecting the rest: the creator's payout leaves the run and stays AWAITING_APPROVAL, free for another run.
    const rejecter = await signedIn('senior_admin');
    const rejected = await api.request(`/v1/pay-runs/${run.id}/reject`, { token: rejecter.token, headers: { 'x-totp-code': await api.nextTotp(rejecter.admin) }, body: { reason: 'not this week' } });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    const after = await waitForRun(run.id, creator.token, (current) => current.status === 'IN_PROGRESS', 'IN_PROGRESS');
    expect(after.items.find((item) => item.payoutId === own.id)).toMatchObject({ state: 'EXCLUDED', reason: 'run_rejected', payoutStatus: 'AWAITING_APPROVAL' });
    const again = await createRun(rejecter.token, [own.id, plain.id]);
    expect(again.totals.byCurrency[0]).toMatchObject({ count: 1, amount: '120.00' });
    expect(again.excluded).toEqual([{ reason: 'not_awaiting_approval', count: 1 }]);

    // The approved payout fails at the bank: the run finishes with failures, and is never called paid.
    expect((await kit.decide(plain.id, 'process', 'finance_manager', { externalReference: 'BANK-F' })).status).toBe(200);
    expect((await kit.decide(plain.id, 'fail', 'finance_manager', { failureCode: 'INVALID_ACCOUNT', reason: 'closed account' })).status).toBe(200);
    const failed = await waitForRun(run.id, creator.token, (current) => current.status === 'COMPLETED_WITH_FAILURES', 'COMPLETED_WITH_FAILURES');
    expect(failed.run.progress.byPayoutStatus).toMatchObject({ FAILED: 1 });
    expect(await noticeKinds(run.id)).toEqual(['PAY_RUN_READY', 'PAY_RUN_APPROVED', 'PAY_RUN_FAILURES']);

    // A retry requests the FAILED payout again (same partner, method, amount) in a new run, attempt 2, linked to the first.
    const retrier = await signedIn('finance_manager');
    const retried = await api.request(`/v1/pay-runs/${run.id}/retry`, { method: 'POST', token: retrier.token, headers: { 'x-totp-code': await api.nextTotp(retrier.admin) } });
    expect(retried.status, await retried.clone().text()).toBe(201);
    const second = (await retried.json()) as PayRun & { attempt: number; previousRunId: string; notRetried: unknown[] };
    workflowIds.add(`pay-run-${second.id}`);
    expect(second).toMatchObject({ attempt: 2, previousRunId: run.id, notRetried: [], excluded: [] });
    expect(second.totals.byCurrency).toEqual([expect.objectContaining({ count: 1, amount: '100.00' })]);
    const [newItem] = await items(second.id, creator.token);
    expect(newItem!.payoutId).not.toBe(plain.id);
    const newPayout = await kit.read(newItem!.payoutId);
    workflowIds.add(`payout-${newItem!.payoutId}`);
    expect(newPayout).toMatchObject({ partnerId: plain.partnerId, methodId: 'BANK_TRANSFER', amount: '100.00', detailsHash: plain.detailsHash });
    expect((await kit.read(plain.id)).status).toBe('FAILED');
    // Refused before the code is looked at: the same code again gets the state's answer, not a 401.
    const twice = await api.request(`/v1/pay-runs/${run.id}/retry`, { method: 'POST', token: retrier.token, headers: { 'x-totp-code': '000000' } });
    expect(twice.status).toBe(409);
    expect(await errorOf(twice)).toMatchObject({ code: 'already_retried' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('refuses a stale hash with 409 items_changed before spending the code', async () => {
    const creator = await signedIn('admin');
    const payout = await awaitingPayout('100');
    const run = await createRun(creator.token, [payout.id]);
    const approver = await signedIn('admin');
    const code = await api.nextTotp(approver.admin);
    const stale = await api.request(`/v1/pay-runs/${run.id}/approve`, { token: approver.token, headers: { 'x-totp-code': code }, body: { itemsHash: '0'.repeat(64) } });
    expect(stale.status).toBe(409);
    expect(await errorOf(stale)).toMatchObject({ code: 'items_changed', field: 'body.itemsHash' });
    const view = (await (await api.request(`/v1/pay-runs/${run.id}/decision`, { token: approver.token })).json()) as { itemsHash: string };
    const fresh = await api.request(`/v1/pay-runs/${run.id}/approve`, { token: approver.token, headers: { 'x-totp-code': code }, body: { itemsHash: view.itemsHash } });
    expect(fresh.status, await fresh.clone().text()).toBe(202);
  });
});

describe('exclusions and bad input', () => {
  it('takes an excluded item out with the admin’s reason, and refuses a selection with nothing to approve or a malformed body', async () => {
    const creator = await signedIn('admin');
    const kept = await awaitingPayout('100');
    const dropped = await awaitingPayout('100');
    const run = await createRun(creator.token, [kept.id, dropped.id]);
    const excluded = await api.request(`/v1/pay-runs/${run.id}/exclude`, { token: creator.token, body: { payoutIds: [dropped.id], reason: 'partner asked to wait' } });
    expect(excluded.status, await excluded.clone().text()).toBe(200);
    expect(await excluded.json()).toMatchObject({ excludedNow: [dropped.id], excluded: [{ reason: 'excluded_by_admin', count: 1 }], totals: { byCurrency: [{ count: 1 }] } });
    expect((await items(run.id, creator.token)).find((item) => item.payoutId === dropped.id)).toMatchObject({ state: 'EXCLUDED', reason: 'excluded_by_admin', note: 'partner asked to wait' });
    expect(await api.owner.oneFirst(sql.type(z.object({ reason: z.string() }))`
      SELECT reason FROM audit_records WHERE action = 'PAY_RUN_EXCLUDE' AND target_id = ${run.id}`)).toBe('partner asked to wait');
    const approver = await signedIn('admin');
    const view = (await (await api.request(`/v1/pay-runs/${run.id}/decision`, { token: approver.token })).json()) as { items: number };
    expect(view.items).toBe(1);

    // The excluded payout is free for another run; the kept one is not (it is in this run).
    const again = await api.request('/v1/pay-runs', { token: creator.token, body: { selection: { payoutIds: [kept.id] } } });
    expect(again.status).toBe(422);
    expect(await errorOf(again)).toMatchObject({ code: 'nothing_selected', field: 'body.selection' });
    expect((await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM pay_runs WHERE created_by = ${creator.admin.id}`))).toBe(1);
    const second = await createRun(creator.token, [dropped.id]);
    expect(second.totals.byCurrency[0]).toMatchObject({ count: 1 });

    const malformed = await api.request(`/v1/pay-runs/${run.id}/exclude`, { token: creator.token, body: { payoutIds: [], reason: 'x' } });
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).field).toBe('body.payoutIds');
    const partnerToken = (await kit.partnerWithLogin()).token;
    expect((await api.request('/v1/pay-runs', { token: partnerToken })).status).toBe(403);
    const support = await signedIn('financial_support');
    expect((await api.request('/v1/pay-runs', { token: support.token, body: { selection: { payoutIds: [kept.id] } } })).status).toBe(403);
  });
});

describe('funds per method', () => {
  it('holds back the method whose declared funds fall short while the other goes, and releases it when funds are declared', async () => {
    const creator = await signedIn('admin');
    const bank = [await awaitingPayout('100'), await awaitingPayout('100')];
    const webMoney = [await awaitingPayout('100', { methodId: 'WEBMONEY' })];
    // Each declaration by a newly signed-in finance manager: no waiting for the next TOTP step.
    const declare = async (available: string) => {
      const finance = await signedIn('finance_manager');
      const response = await api.request('/v1/platform-funds/BANK_TRANSFER/USD', { method: 'PUT', token: finance.token, headers: { 'x-totp-code': await api.nextTotp(finance.admin) }, body: { available } });
      expect(response.status, await response.clone().text()).toBe(200);
    };
    await declare('100.00');
    const run = await createRun(creator.token, [...bank, ...webMoney].map((payout) => payout.id));
    expect(run.totals.byMethod.find((method) => method.methodId === 'BANK_TRANSFER')).toMatchObject({ amountToTransfer: '190.00', fundsDeclared: '100.00', fundsShort: '90.00' });

    const approver = await signedIn('admin');
    expect((await approveGroup(run.id, approver)).response.status).toBe(202);
    const partial = await waitForRun(run.id, creator.token, (_, list) => list.some((item) => item.payoutId === webMoney[0]!.id && item.state === 'APPROVED'), 'WebMoney approved');
    expect(partial.items.filter((item) => bank.some((payout) => payout.id === item.payoutId)).map((item) => item.state)).toEqual(['INCLUDED', 'INCLUDED']);
    expect(partial.run.status).toBe('DELIVERING');
    expect(partial.run.totals.byMethod.find((method) => method.methodId === 'BANK_TRANSFER')).toMatchObject({ waitingForFunds: true });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await items(run.id, creator.token)).filter((item) => item.state === 'INCLUDED')).toHaveLength(2);

    await declare('500.00');
    const released = await waitForRun(run.id, creator.token, (_, list) => list.every((item) => item.state === 'APPROVED'), 'every item APPROVED', 20_000);
    expect(released.items.map((item) => item.payoutStatus)).toEqual(['APPROVED', 'APPROVED', 'APPROVED']);
    const funds = (await (await api.request('/v1/platform-funds', { token: creator.token })).json()) as { funds: { methodId: string; available: string }[] };
    expect(funds.funds).toEqual([expect.objectContaining({ methodId: 'BANK_TRANSFER', currency: 'USD', available: '500.00' })]);
    const declarations = await api.owner.any(sql.type(z.object({ balance_before: z.string().nullable(), balance_after: z.string() }))`
      SELECT balance_before::text, balance_after::text FROM audit_records WHERE action = 'PLATFORM_FUNDS_DECLARE' AND target_id = 'BANK_TRANSFER/USD' ORDER BY id`);
    expect(declarations).toEqual([{ balance_before: null, balance_after: '100.00' }, { balance_before: '100.00', balance_after: '500.00' }]);
    await waitForRun(run.id, creator.token, (current) => current.status === 'IN_PROGRESS', 'IN_PROGRESS');
    await recordHistory(`pay-run-${run.id}`, 'pay-run-funds-waited');
  });
});
