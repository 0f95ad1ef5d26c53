import { randomBytes, randomInt } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { utcDay } from '../../domain/reconciliation.ts';
import { matchDay } from '../../modules/reconciliation/statement-store.ts';
import { SandboxProvider } from '../../providers/sandbox/client.ts';
import { startSandboxProvider, type RunningSandboxProvider } from '../../providers/sandbox/server.ts';
import { reconciliationStateQuery, reconciliationWorkflowId, reconciliationWorkflowType, type ReconciliationWorkflowState } from '../../workflows/reconciliation-messages.ts';
import { createApiHarness, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, uniqueTaskQueue } from '../helpers/temporal.ts';
import { recordHistory } from './kit.ts';

/**
 * Statement matching inside `reconciliation-<date>` (docs/rules.md#statement-matching), end to end: real Postgres,
 * real Temporal, an in-process worker paying through the in-process sandbox provider, the API over HTTP (the sandbox's
 * webhooks complete the payouts). The sandbox settles into a chosen value date (a day that has ended, so it can be
 * reconciled); the test then dates the payouts' completion into that day (the application stamps now()).
 */

const secret = 'whsec_statement_matching_test';
let api: ApiHarness;
let served: ServedApp;
let sandbox: RunningSandboxProvider;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let downWorker: Worker;
let downConnection: NativeConnection;
let downRun: Promise<void>;
const downQueue = uniqueTaskQueue('statement-provider-down');
const workflowIds = new Set<string>();

// Days of their own on the shared Temporal server (workflow ids are per day), distinct from each other.
const base = Date.UTC(2001 + randomInt(20), randomInt(12), 1 + randomInt(20));
const dayAt = (offset: number) => utcDay(new Date(base + offset * 86_400_000));
const faithfulDay = dayAt(0);
const faultyDay = dayAt(1);
const downDay = dayAt(2);
const bankDay = dayAt(3);

interface Payout {
  id: string;
  status: string;
  amountToTransfer: string;
  detailsHash: string;
  amount: string;
  settleEntryId: string | null;
  provider: { reference: string | null };
}

interface DayStatements {
  statements: { source: string; lineCount: number }[];
  missing: string[];
  comparison: { source: string; currency: string; payouts: number; payoutsTotal: string; lines: number; linesTotal: string; difference: string }[];
  lines: { id: string; lineRef: string; reference: string | null; amount: string; matchId: string | null }[];
  matches: { rule: string; shape: string; payoutIds: string[]; lineIds: string[]; difference: string }[];
  exceptions: { open: number; acknowledged: number; resolved: number; accepted: number };
}

interface StatementException {
  id: string;
  kind: string;
  subject: string;
  payoutId: string | null;
  status: string;
  amount: string | null;
  note: string | null;
  correctingEntryId: string | null;
}

beforeAll(async () => {
  api = await createApiHarness({ providerWebhookSecret: secret });
  served = await serve((request) => api.app.fetch(request));
  sandbox = await startSandboxProvider({ port: 0, secret, delayMs: 100, webhookBackoffMs: 100 });
  ({ worker, connection: workerConnection } = await createInProcessWorker({
    database: api.database,
    taskQueue: api.taskQueue,
    provider: { provider: new SandboxProvider({ baseUrl: sandbox.url, timeoutMs: 5_000 }), publicUrl: served.url },
  }));
  workerRun = worker.run();
  // A worker whose provider is down (nothing listens on port 9): its statement can never be fetched.
  ({ worker: downWorker, connection: downConnection } = await createInProcessWorker({
    database: api.database,
    taskQueue: downQueue,
    provider: { provider: new SandboxProvider({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 1_000 }), publicUrl: served.url },
  }));
  downRun = downWorker.run();
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
});

afterAll(async () => {
  await Promise.allSettled(
    [...workflowIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(id);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  downWorker?.shutdown();
  await workerRun;
  await downRun;
  await workerConnection?.close();
  await downConnection?.close();
  await sandbox?.stop();
  await served?.close();
  await api?.close();
});

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}; last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function admin(role: AdminRole) {
  const created = await api.createAdmin(role);
  return { admin: created, token: await api.signIn(created) };
}

let reader: Promise<{ admin: TestAdmin; token: string }> | undefined;
async function readPayout(id: string): Promise<Payout> {
  reader ??= admin('financial_support');
  return (await (await api.request(`/v1/payouts/${id}`, { token: (await reader).token })).json()) as Payout;
}

async function decide(payoutId: string, action: string, body: Record<string, unknown> = {}) {
  const { admin: actor, token } = await admin('admin');
  const response = await api.request(`/v1/payouts/${payoutId}/${action}`, { token, headers: { 'x-totp-code': await api.nextTotp(actor) }, body });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function partner() {
  const partnerId = `p_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, 'Statement Partner', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
  await api.dependencies.ledger.postEntry({
    idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
    kind: 'bonus',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: '-1000.00' },
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount: '1000.00' },
    ],
  });
  return { partnerId, token: await api.signIn(await api.createPartnerUser(partnerId)) };
}

/** A payout of 100 USD by the method, approved (automatic: the worker pays it through the sandbox). */
async function approvedPayout(methodId: 'PAYQUICKER' | 'BANK_TRANSFER'): Promise<Payout> {
  const who = await partner();
  const paymentDetails =
    methodId === 'PAYQUICKER' ? { email: `${who.partnerId}@example.com` } : { accountName: 'Statement Partner', accountNumber: '11112222', routingNumber: '021000021' };
  const response = await api.request('/v1/payouts', { token: who.token, body: { partnerId: who.partnerId, amount: '100', currency: 'USD', methodId, paymentDetails } });
  expect(response.status, await response.clone().text()).toBe(201);
  const created = (await response.json()) as Payout;
  workflowIds.add(`payout-${created.id}`);
  const awaiting = await poll(() => readPayout(created.id), (payout) => payout.status === 'AWAITING_APPROVAL', 'awaiting approval');
  await decide(created.id, 'approve', { amount: awaiting.amount, detailsHash: awaiting.detailsHash });
  return awaiting;
}

/** `count` automatic payouts settled by the sandbox with value date `day`, their completion dated into the day. */
async function providerPayoutsCompletedOn(day: string, count: number): Promise<Payout[]> {
  await fetch(`${sandbox.url}/control/value-date`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ day }) });
  const created = await Promise.all(Array.from({ length: count }, () => approvedPayout('PAYQUICKER')));
  const done = await Promise.all(created.map((payout) => poll(() => readPayout(payout.id), (row) => row.status === 'COMPLETED', `payout ${payout.id} COMPLETED`)));
  await completedOn(day, done.map((payout) => payout.id));
  return done.sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function completedOn(day: string, ids: string[]) {
  await api.owner.query(sql.unsafe`UPDATE payouts SET closed_at = ${`${day}T12:00:00Z`}::timestamptz WHERE id = ANY(${sql.array(ids, 'uuid')})`);
}

async function statementFault(fault: Record<string, unknown>) {
  const response = await fetch(`${sandbox.url}/control/statement-faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** Runs the day on demand (as a finance manager) and waits until its workflow has matched the statements. */
async function reconcile(day: string, runner: { token: string }): Promise<ReconciliationWorkflowState> {
  const started = await api.request('/v1/reconciliations', { token: runner.token, body: { date: day } });
  expect(started.status, await started.clone().text()).toBe(202);
  workflowIds.add(reconciliationWorkflowId(day));
  const handle = api.dependencies.temporal.workflow.getHandle(reconciliationWorkflowId(day));
  return poll(() => handle.query(reconciliationStateQuery), (state) => state.statement !== undefined, `${day} matched`);
}

async function statementsOf(day: string, token: string): Promise<DayStatements> {
  const response = await api.request(`/v1/reconciliations/${day}/statements`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as DayStatements;
}

async function exceptionsOf(day: string, token: string): Promise<StatementException[]> {
  const response = await api.request(`/v1/reconciliations/${day}/exceptions`, { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { exceptions: StatementException[] }).exceptions;
}

const act = (day: string, id: string, action: string, token: string, body: Record<string, unknown> = {}) =>
  api.request(`/v1/reconciliations/${day}/exceptions/${id}/${action}`, { token, body });

async function signOff(day: string, who: { admin: TestAdmin; token: string }) {
  return api.request(`/v1/reconciliations/${day}/sign-off`, { token: who.token, body: {}, headers: { 'x-totp-code': await api.nextTotp(who.admin) } });
}

const countSchema = z.object({ count: z.number() });
const exceptionRows = (day: string) =>
  api.owner.oneFirst(sql.type(countSchema)`SELECT count(*)::int AS count FROM statement_exceptions WHERE day = ${day}::date`);

describe('the provider statement in reconciliation-<date>', () => {
  it('a faithful statement matches every completed payout one to one; the day signs off', async () => {
    const payouts = await providerPayoutsCompletedOn(faithfulDay, 3);
    const manager = await admin('finance_manager');
    const state = await reconcile(faithfulDay, manager);
    expect(state.statement).toEqual({ provider: 'RECEIVED', matches: 3, exceptions: 0 });

    const day = await statementsOf(faithfulDay, manager.token);
    expect(day.statements).toEqual([expect.objectContaining({ source: 'provider', lineCount: 3 })]);
    expect(day.comparison).toEqual([{ source: 'provider', currency: 'USD', payouts: 3, payoutsTotal: '294', lines: 3, linesTotal: '294', difference: '0' }]);
    expect(day.missing).toEqual([]);
    expect(day.matches.map((match) => [match.rule, match.payoutIds, match.difference])).toEqual(
      payouts.map((payout) => ['reference-exact', [payout.id], '0']),
    );
    expect(day.lines.every((line) => line.matchId !== null)).toBe(true);
    expect(day.lines.map((line) => line.reference).sort()).toEqual(payouts.map((payout) => payout.provider.reference).sort());
    expect(day.exceptions).toEqual({ open: 0, acknowledged: 0, resolved: 0, accepted: 0 });

    const signed = await signOff(faithfulDay, await admin('finance_director'));
    expect(signed.status, await signed.clone().text()).toBe(200);
    // The sign-off's signal ends the workflow.
    const finished = await api.dependencies.temporal.workflow.getHandle(reconciliationWorkflowId(faithfulDay)).result();
    expect(finished).toMatchObject({ status: 'SIGNED', statement: { provider: 'RECEIVED', matches: 3, exceptions: 0 } });
    await recordHistory(reconciliationWorkflowId(faithfulDay), 'reconciliation-statement-matched');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 120_000);

  it('a missing line, an amount off, a split and an extra line: matched where the rules allow, exceptions for the rest, once however often the day is rerun; their lifecycle gates the sign-off', async () => {
    const [omitted, split, amountOff, faithful] = await providerPayoutsCompletedOn(faultyDay, 4) as [Payout, Payout, Payout, Payout];
    await statementFault({ day: faultyDay, kind: 'omit', providerReference: omitted.provider.reference });
    await statementFault({ day: faultyDay, kind: 'split', providerReference: split.provider.reference, parts: ['50.00', '48.00'] });
    await statementFault({ day: faultyDay, kind: 'amount', providerReference: amountOff.provider.reference, amount: '97.00' });
    await statementFault({ day: faultyDay, kind: 'extra', amount: '12.34', reference: 'sbx_nobody' });

    const manager = await admin('finance_manager');
    const state = await reconcile(faultyDay, manager);
    expect(state.statement).toEqual({ provider: 'RECEIVED', matches: 2, exceptions: 4 });
    const day = await statementsOf(faultyDay, manager.token);
    expect(day.comparison).toEqual([{ source: 'provider', currency: 'USD', payouts: 4, payoutsTotal: '392', lines: 5, linesTotal: '305.34', difference: '86.66' }]);
    expect(day.matches.map((match) => [match.rule, match.shape, match.payoutIds, match.lineIds.length])).toEqual([
      ['reference-exact', 'one_to_one', [faithful.id], 1],
      ['reference-split', 'one_to_many', [split.id], 2],
    ]);
    const exceptions = await exceptionsOf(faultyDay, manager.token);
    expect(exceptions.map((exception) => [exception.kind, exception.payoutId, exception.amount, exception.status])).toEqual(
      expect.arrayContaining([
        ['UNMATCHED_PAYOUT', omitted.id, '98', 'OPEN'],
        ['UNMATCHED_PAYOUT', amountOff.id, '98', 'OPEN'],
        ['UNMATCHED_LINE', null, '97', 'OPEN'],
        ['UNMATCHED_LINE', null, '12.34', 'OPEN'],
      ]),
    );
    expect(exceptions).toHaveLength(4);
    // Finance heard of them once.
    expect(await api.owner.oneFirst(sql.type(countSchema)`
      SELECT count(*)::int AS count FROM notifications WHERE kind = 'STATEMENT_EXCEPTIONS' AND dedupe_key LIKE ${`statement-exceptions:${faultyDay}:%`}`)).toBe(1);

    // A rerun after a crash (the workflow gone, started again) and two concurrent matchings add nothing.
    await api.dependencies.temporal.workflow.getHandle(reconciliationWorkflowId(faultyDay)).terminate('simulated crash');
    const rerun = await reconcile(faultyDay, manager);
    expect(rerun.statement).toEqual({ provider: 'RECEIVED', matches: 0, exceptions: 0 });
    const concurrent = await Promise.all([1, 2].map(() => matchDay(api.database, { day: faultyDay, source: 'provider', actor: 'test' })));
    expect(concurrent.map((result) => [result.matchesCreated, result.exceptionsCreated])).toEqual([[0, 0], [0, 0]]);
    expect(await exceptionRows(faultyDay)).toBe(4);
    expect((await statementsOf(faultyDay, manager.token)).statements).toHaveLength(1);
    expect(await api.owner.oneFirst(sql.type(countSchema)`
      SELECT count(*)::int AS count FROM notifications WHERE kind = 'STATEMENT_EXCEPTIONS' AND dedupe_key LIKE ${`statement-exceptions:${faultyDay}:%`}`)).toBe(1);

    // Open exceptions block the sign-off, before any code is used.
    const director = await admin('finance_director');
    const blocked = await signOff(faultyDay, director);
    expect(blocked.status).toBe(409);
    expect(await blocked.json()).toMatchObject({ error: { code: 'open_statement_exceptions', field: 'exceptions' } });

    // Only finance acts on them.
    const [first, second, third, fourth] = exceptions as [StatementException, StatementException, StatementException, StatementException];
    const notFinance = await admin('admin');
    expect((await act(faultyDay, first.id, 'acknowledge', notFinance.token)).status).toBe(403);

    const acknowledged = await act(faultyDay, first.id, 'acknowledge', manager.token);
    expect(acknowledged.status).toBe(200);
    expect(await acknowledged.json()).toMatchObject({ status: 'ACKNOWLEDGED' });
    expect((await act(faultyDay, first.id, 'acknowledge', manager.token)).status).toBe(409);

    // Resolving needs a note and a real posted entry.
    const noEntry = await act(faultyDay, first.id, 'resolve', manager.token, { note: 'paid again' });
    expect(noEntry.status).toBe(400);
    expect(await noEntry.json()).toMatchObject({ error: { code: 'correcting_entry_required', field: 'body.entryId' } });
    const ghost = await act(faultyDay, first.id, 'resolve', manager.token, { note: 'paid again', entryId: '999999999' });
    expect(ghost.status).toBe(400);
    expect(await ghost.json()).toMatchObject({ error: { code: 'entry_not_found', field: 'body.entryId' } });
    const noNote = await act(faultyDay, second.id, 'accept', manager.token, {});
    expect(noNote.status).toBe(400);
    expect(await noNote.json()).toMatchObject({ error: { field: 'body.note' } });

    const entryId = (await readPayout(omitted.id)).settleEntryId!;
    const resolved = await act(faultyDay, first.id, 'resolve', manager.token, { note: 'the provider confirmed the payment; statement corrected', entryId });
    expect(resolved.status, await resolved.clone().text()).toBe(200);
    expect(await resolved.json()).toMatchObject({ status: 'RESOLVED', correctingEntryId: entryId });
    expect((await act(faultyDay, first.id, 'accept', manager.token, { note: 'again' })).status).toBe(409);

    for (const exception of [second, third]) {
      const accepted = await act(faultyDay, exception.id, 'accept', manager.token, { note: 'the provider rounded a fee; within policy' });
      expect(accepted.status).toBe(200);
    }
    // An acknowledged exception still blocks (docs/decisions.md).
    expect((await act(faultyDay, fourth.id, 'acknowledge', manager.token)).status).toBe(200);
    expect((await signOff(faultyDay, director)).status).toBe(409);
    expect((await act(faultyDay, fourth.id, 'accept', manager.token, { note: 'a line of another merchant; reported to the provider' })).status).toBe(200);

    const signed = await signOff(faultyDay, director);
    expect(signed.status, await signed.clone().text()).toBe(200);
    // A signed day's exceptions no longer change.
    const afterSign = await act(faultyDay, fourth.id, 'accept', manager.token, { note: 'late' });
    expect(afterSign.status).toBe(409);
    expect(await api.owner.oneFirst(sql.type(countSchema)`
      SELECT count(*)::int AS count FROM audit_records WHERE action = 'STATEMENT_EXCEPTION_ACT' AND (details ->> 'day') = ${faultyDay}`)).toBe(6);
  }, 180_000);

  it('a provider that stays down: the ledger part completes, the statement is MISSING (an exception) and blocks the sign-off', async () => {
    const handle = await api.dependencies.temporal.workflow.start(reconciliationWorkflowType, {
      workflowId: reconciliationWorkflowId(downDay),
      taskQueue: downQueue,
      args: [{ day: downDay, requestedBy: null }],
    });
    workflowIds.add(handle.workflowId);
    const state = await poll(() => handle.query(reconciliationStateQuery), (value) => value.statement !== undefined, 'statement given up', 90_000);
    expect(state.status).toBe('AWAITING_SIGN_OFF');
    expect(state.outcome).toMatchObject({ day: downDay, balanced: true });
    expect(state.statement).toEqual({ provider: 'MISSING', matches: 0, exceptions: 0 });
    const manager = await admin('finance_manager');
    const exceptions = await exceptionsOf(downDay, manager.token);
    expect(exceptions).toEqual([expect.objectContaining({ kind: 'STATEMENT_MISSING', subject: 'statement', status: 'OPEN' })]);
    const blocked = await signOff(downDay, await admin('finance_director'));
    expect(blocked.status).toBe(409);
  }, 120_000);
});

describe('an uploaded bank statement (manual methods)', () => {
  it('is checked whole (422 naming line and field, nothing stored), then matched against the day’s manual payouts', async () => {
    const paid: Payout[] = [];
    for (const reference of ['BANK-REF-1', 'BANK-REF-2']) {
      const payout = await approvedPayout('BANK_TRANSFER');
      await decide(payout.id, 'process', { externalReference: reference });
      await decide(payout.id, 'complete');
      paid.push(await poll(() => readPayout(payout.id), (row) => row.status === 'COMPLETED', 'COMPLETED'));
    }
    await completedOn(bankDay, paid.map((payout) => payout.id));
    const manager = await admin('finance_manager');
    const upload = (csv: string, token = manager.token) =>
      api.request(`/v1/reconciliations/${bankDay}/statements`, { token, body: { fileName: 'bank-statement.csv', csv } });

    const header = 'line_id,reference,amount,currency,value_date\n';
    const bad = await upload(`${header}B1,BANK-REF-1,95.00,USD,${bankDay}\nB2,BANK-REF-2,95.001,USD,${bankDay}\nB3,,1,XYZ,${bankDay}\n`);
    expect(bad.status).toBe(422);
    const refusal = (await bad.json()) as { error: { code: string; field: string; message: string } };
    expect(refusal.error).toMatchObject({ code: 'invalid_statement', field: 'file.line.3.amount' });
    expect(refusal.error.message).toContain('line 4 currency');
    expect(await api.owner.oneFirst(sql.type(countSchema)`SELECT count(*)::int AS count FROM statement_lines WHERE day = ${bankDay}::date`)).toBe(0);
    expect((await upload(`${header}B1,BANK-REF-1,95.00,USD,${bankDay}\n`, (await admin('admin')).token)).status).toBe(403);

    // One payout on its own line, the other paid in two parts under its reference, and a line nothing explains.
    const good = await upload(`${header}B1,BANK-REF-1,95.00,USD,${bankDay}\nB2,BANK-REF-2,60.00,USD,${bankDay}\nB3,BANK-REF-2,35.00,USD,${bankDay}\nB4,,7.00,USD,${bankDay}\n`);
    expect(good.status, await good.clone().text()).toBe(201);
    expect(await good.json()).toMatchObject({ lines: 4, matching: { source: 'bank', matchesCreated: 2, exceptionsCreated: 1 } });
    const day = await statementsOf(bankDay, manager.token);
    expect(day.matches.map((match) => [match.rule, match.payoutIds.length, match.lineIds.length])).toEqual([
      ['reference-exact', 1, 1],
      ['reference-split', 1, 2],
    ]);
    expect(day.comparison).toEqual([{ source: 'bank', currency: 'USD', payouts: 2, payoutsTotal: '190', lines: 4, linesTotal: '197', difference: '-7' }]);
    expect((await exceptionsOf(bankDay, manager.token)).map((exception) => [exception.kind, exception.subject])).toEqual([['UNMATCHED_LINE', 'line B4']]);

    // The same file again: its line ids are already stated.
    const again = await upload(`${header}B4,,7.00,USD,${bankDay}\n`);
    expect(again.status).toBe(422);
    expect(await again.json()).toMatchObject({ error: { field: 'file.line.2.line_id' } });
  }, 120_000);
});
