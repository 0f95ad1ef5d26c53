import { createHash } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminRole } from '../../domain/access.ts';
import { auditKinds, periodContaining, previousPeriod, readTarArchive } from '../../domain/audit-schedule.ts';
import { ensureSchedules } from '../../stack/schedules.ts';
import { auditScheduleOptions } from '../../stack/audit-schedules.ts';
import { auditWorkflowId } from '../../workflows/audit-messages.ts';
import { createApiHarness, errorOf, wrongTotp, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';

/**
 * /v1/audits (docs/rules.md#audit-schedule) end to end with the real Temporal and Postgres: the weekly check of payouts
 * above 100,000 RUB over a payout approved through the API (clean: complete chain, distinct approvers, step-up
 * recorded by the database) and one whose approvals were written by hand (by its own initiator, without a step-up,
 * one step missing); starting a period twice returns the first run; the sign-off's refusals (no or wrong code, wrong
 * role, the person who started it, open findings, twice), each naming its field; the annual export's download; and the
 * Schedules' workflow.
 */

let api: ApiHarness;
let owner: pg.Client;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let kit: ReturnType<typeof payoutKit>;
const workflowIds = new Set<string>();
const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };

beforeAll(async () => {
  api = await createApiHarness();
  owner = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
  await owner.connect();
  kit = payoutKit(api);
  await kit.insertRubRate();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  if (owner) {
    await assertLedgerInvariants(owner);
    await owner.end();
  }
  await endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection });
});

async function admin(role: AdminRole): Promise<{ admin: TestAdmin; token: string }> {
  const created = await api.createAdmin(role);
  return { admin: created, token: await api.signIn(created) };
}

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}; last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

type Finding = { id: string; check: string; subject: string; status: string; detail: Record<string, unknown> };
type Run = { id: string; kind: string; period: string; status: string; sha256: string; requestedBy: string | null; findings: { total: number; open: number }; findingList: Finding[]; exportUrl: string | null };

/** Starts a run through the API and waits for it to be stored; answers the run with its findings. */
async function startAndRead(token: string, kind: string, period: string): Promise<Run> {
  const started = await api.request('/v1/audits', { token, body: { kind, period } });
  expect(started.status, await started.clone().text()).toBe(202);
  const accepted = (await started.json()) as { workflowId: string; runsUrl: string };
  expect(accepted.workflowId).toBe(`audit-${kind}-${period}`);
  workflowIds.add(accepted.workflowId);
  await api.dependencies.temporal.workflow.getHandle(accepted.workflowId).result();
  const listed = await poll(
    async () => ((await (await api.request(accepted.runsUrl, { token })).json()) as { runs: Run[] }).runs,
    (runs) => runs.length === 1,
    `the ${kind} run of ${period} stored`,
  );
  const response = await api.request(`/v1/audits/${listed[0]!.id}`, { token });
  expect(response.status).toBe(200);
  return (await response.json()) as Run;
}

const lastWeek = previousPeriod('weekly', new Date());

describe('POST /v1/audits', () => {
  it('refuses an unknown kind, a malformed period and one that has not ended, naming the field, and starts nothing', async () => {
    const { token } = await admin('finance_manager');
    const cases: [Record<string, string>, string, string | null][] = [
      [{ kind: 'large-payouts', period: '2026-11' }, 'body.period', 'invalid_period'],
      [{ kind: 'large-payouts', period: '2026-W54' }, 'body.period', 'invalid_period'],
      [{ kind: 'balances', period: '2026-13' }, 'body.period', 'invalid_period'],
      [{ kind: 'large-payouts', period: periodContaining('weekly', new Date()).period }, 'body.period', 'period_not_ended'],
      [{ kind: 'access-review', period: periodContaining('quarterly', new Date()).period }, 'body.period', 'period_not_ended'],
      [{ kind: 'everything', period: '2025' }, 'body.kind', null],
    ];
    for (const [body, field, code] of cases) {
      const response = await api.request('/v1/audits', { token, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await errorOf(response)).toMatchObject({ field, ...(code ? { code } : {}) });
    }
    expect(((await (await api.request('/v1/audits', { token })).json()) as { runs: unknown[] }).runs).toEqual([]);
  });

  it('is refused to a role that may not start one, and a partner may not read the runs', async () => {
    const { token } = await admin('admin');
    expect((await api.request('/v1/audits', { token, body: { kind: 'balances', period: '2025-01' } })).status).toBe(403);
    const partnerToken = await api.signIn(await api.createPartnerUser());
    expect((await api.request('/v1/audits', { token: partnerToken })).status).toBe(403);
    expect((await api.request('/v1/audits/1', { token: partnerToken })).status).toBe(403);
  });
});

describe('the weekly check of payouts above 100,000 RUB, resolved and signed off', () => {
  let clean: string;
  let planted: string;
  let planter: TestAdmin;

  beforeAll(async () => {
    // Clean: 5,000 USD = 500,000 RUB, approved through the API by a finance manager and a senior admin (its chain).
    const first = await kit.partnerWithLogin({ USD: '6000.00' });
    const created = await api.request('/v1/payouts', { token: first.token, body: { partnerId: first.partnerId, amount: '5000.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: { ...bankDetails, accountName: 'Robust Partner' } } });
    expect(created.status, await created.clone().text()).toBe(201);
    const payout = (await created.json()) as { id: string; workflowId: string; detailsHash: string; requiredChain: unknown[] };
    workflowIds.add(payout.workflowId);
    clean = payout.id;
    expect(payout.requiredChain).toEqual([{ roles: ['finance_manager'] }, { roles: ['senior_admin'] }]);
    await kit.waitForStatus(clean, 'AWAITING_APPROVAL');
    for (const role of ['finance_manager', 'senior_admin'] as const) {
      const approved = await kit.decide(clean, 'approve', role, { amount: '5000.00', detailsHash: payout.detailsHash });
      expect(approved.status, await approved.clone().text()).toBe(200);
    }
    await kit.waitForStatus(clean, 'APPROVED');

    // Planted: the same amount, its approvals written by hand: the finance-manager step by the partner user who
    // requested it (the initiator), and by a finance manager who never stepped up; the senior-admin step missing.
    const second = await kit.partnerWithLogin({ USD: '6000.00' });
    const otherDetails = { ...bankDetails, accountName: 'Robust Partner', accountNumber: '87654321' };
    const other = await api.request('/v1/payouts', { token: second.token, body: { partnerId: second.partnerId, amount: '5000.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: otherDetails } });
    expect(other.status, await other.clone().text()).toBe(201);
    const otherPayout = (await other.json()) as { id: string; workflowId: string };
    workflowIds.add(otherPayout.workflowId);
    planted = otherPayout.id;
    await kit.waitForStatus(planted, 'AWAITING_APPROVAL');
    planter = await api.createAdmin('finance_manager');
    await owner.query(`INSERT INTO payout_approvals (payout_id, approver_id, role, decision, step) VALUES ($1, $2, 'finance_manager', 'APPROVE', 0), ($1, $3, 'finance_manager', 'APPROVE', 0)`, [
      planted, second.userId, planter.id,
    ]);
    await owner.query(`UPDATE payouts SET status = 'APPROVED' WHERE id = $1`, [planted]);
    // Both requested last week.
    await owner.query(`UPDATE payouts SET created_at = $2 WHERE id = ANY($1)`, [[clean, planted], new Date(lastWeek.start.getTime() + 3_600_000)]);
  });

  it('finds the planted payout’s problems and nothing on the one approved through the API; a second start returns the first run', async () => {
    const manager = await admin('finance_manager');
    const run = await startAndRead(manager.token, 'large-payouts', lastWeek.period);
    expect(run).toMatchObject({ kind: 'large-payouts', period: lastWeek.period, status: 'AWAITING_SIGN_OFF', requestedBy: manager.admin.id });
    expect(run.findingList.filter((finding) => finding.subject === `payout ${clean}`)).toEqual([]);
    expect(run.findingList.map((finding) => [finding.check, finding.subject]).sort()).toEqual([
      ['approver_not_distinct', `payout ${planted}`],
      ['incomplete_chain', `payout ${planted}`],
      ['step_up_missing', `payout ${planted}`],
    ]);
    expect(run.findingList.find((finding) => finding.check === 'incomplete_chain')!.detail).toMatchObject({ missingSteps: [1] });
    expect(run.findingList.find((finding) => finding.check === 'step_up_missing')!.detail.approvers).toEqual(
      expect.arrayContaining([expect.objectContaining({ approverId: planter.id, totpStep: null })]),
    );

    // Started again (another person, the same period): the same workflow id and the same stored run.
    const director = await admin('finance_director');
    const again = await startAndRead(director.token, 'large-payouts', lastWeek.period);
    expect(again).toMatchObject({ id: run.id, sha256: run.sha256, requestedBy: manager.admin.id });

    // Sign-off: each refusal names its field, and nothing is signed.
    const signOff = (who: { token: string }, code: string | null) =>
      api.request(`/v1/audits/${run.id}/sign-off`, { token: who.token, body: {}, headers: code === null ? {} : { 'x-totp-code': code } });
    const notFinance = await admin('senior_admin');
    const wrongRole = await signOff(notFinance, await api.nextTotp(notFinance.admin));
    expect(wrongRole.status).toBe(403);
    expect(await errorOf(wrongRole)).toMatchObject({ code: 'checker_role_required', field: 'role' });
    const starter = await signOff(manager, await api.nextTotp(manager.admin));
    expect(starter.status).toBe(403);
    expect(await errorOf(starter)).toMatchObject({ code: 'maker_checker', field: 'role' });
    const open = await signOff(director, await api.nextTotp(director.admin));
    expect(open.status).toBe(409);
    expect(await errorOf(open)).toMatchObject({ code: 'open_findings', field: 'findings' });

    // Findings: finance only; a status outside the two is refused naming it.
    const first = run.findingList[0]!;
    const refused = await api.request(`/v1/audits/${run.id}/findings/${first.id}`, { token: notFinance.token, body: { status: 'RESOLVED', note: 'x' } });
    expect(refused.status).toBe(403);
    const badStatus = await api.request(`/v1/audits/${run.id}/findings/${first.id}`, { token: manager.token, body: { status: 'OPEN', note: 'x' } });
    expect(badStatus.status).toBe(400);
    expect(await errorOf(badStatus)).toMatchObject({ field: 'body.status' });
    const noNote = await api.request(`/v1/audits/${run.id}/findings/${first.id}`, { token: manager.token, body: { status: 'RESOLVED', note: '  ' } });
    expect(noNote.status).toBe(400);
    expect(await errorOf(noNote)).toMatchObject({ field: 'body.note' });
    for (const [index, finding] of run.findingList.entries()) {
      const decided = await api.request(`/v1/audits/${run.id}/findings/${finding.id}`, {
        token: manager.token, body: { status: index === 0 ? 'ACCEPTED' : 'RESOLVED', note: 'payout recalled and re-approved through the chain' },
      });
      expect(decided.status, await decided.clone().text()).toBe(200);
    }
    const twiceDecided = await api.request(`/v1/audits/${run.id}/findings/${first.id}`, { token: manager.token, body: { status: 'RESOLVED', note: 'again' } });
    expect(twiceDecided.status).toBe(409);
    expect(await errorOf(twiceDecided)).toMatchObject({ code: 'finding_closed', field: 'params.findingId' });

    const noCode = await signOff(director, null);
    expect(noCode.status).toBe(401);
    expect(await errorOf(noCode)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    const wrongCode = await signOff(director, wrongTotp(director.admin.totpSecret));
    expect(wrongCode.status).toBe(401);
    expect(await errorOf(wrongCode)).toMatchObject({ field: 'X-TOTP-Code' });
    expect(((await (await api.request(`/v1/audits/${run.id}`, { token: manager.token })).json()) as Run).status).toBe('AWAITING_SIGN_OFF');

    const signed = await signOff(director, await api.nextTotp(director.admin));
    expect(signed.status, await signed.clone().text()).toBe(200);
    expect(await signed.json()).toMatchObject({ status: 'SIGNED', signedBy: director.admin.id, signedRole: 'finance_director', findings: { open: 0 } });
    const twice = await signOff(await admin('finance_director'), null);
    expect(twice.status).toBe(409);
    expect(await errorOf(twice)).toMatchObject({ code: 'already_signed', field: 'id' });
    const afterSign = await api.request(`/v1/audits/${run.id}/findings/${first.id}`, { token: manager.token, body: { status: 'RESOLVED', note: 'late' } });
    expect(afterSign.status).toBe(409);
  });
});

describe('the annual full-audit export', () => {
  it('is downloadable byte for byte, its SHA-256 the run’s, with a manifest of its files', async () => {
    const { token } = await admin('finance_director');
    const year = String(new Date().getUTCFullYear() - 1);
    const run = await startAndRead(token, 'full-export', year);
    expect(run.exportUrl).toBe(`/v1/audits/${run.id}/export.tar`);
    const file = await api.request(run.exportUrl!, { token });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/x-tar');
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(run.sha256);
    expect(readTarArchive(bytes).map((entry) => entry.name.split('/')[1])).toEqual(['ledger.csv', 'postings.csv', 'audit_log.csv', 'approvals.csv', 'manifest.csv']);
    const none = await api.request(`/v1/audits/999999/export.tar`, { token });
    expect(none.status).toBe(404);
  });
});

describe('the Schedules', () => {
  it('register one Schedule per kind, whose workflow audits the period that ended before it was due', async () => {
    const suffix = api.taskQueue;
    const ids = (kind: string) => `test-audit-${kind}-${suffix}`;
    await ensureSchedules(api.dependencies.temporal, auditScheduleOptions(api.taskQueue, ids));
    try {
      for (const kind of auditKinds) {
        const description = await api.dependencies.temporal.schedule.getHandle(ids(kind)).describe();
        expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'auditScheduleWorkflow', args: [{ kind }] });
      }
    } finally {
      await Promise.allSettled(auditKinds.map((kind) => api.dependencies.temporal.schedule.getHandle(ids(kind)).delete()));
    }
    // The action itself, run now: the previous month's balances, started by no one.
    const handle = await api.dependencies.temporal.workflow.start('auditScheduleWorkflow', { workflowId: `test-audit-balances-${suffix}`, taskQueue: api.taskQueue, args: [{ kind: 'balances' }] });
    workflowIds.add(handle.workflowId);
    const month = previousPeriod('monthly', new Date()).period;
    expect(await handle.result()).toEqual({ kind: 'balances', period: month, started: true });
    workflowIds.add(auditWorkflowId('balances', month));
    const outcome = await api.dependencies.temporal.workflow.getHandle(auditWorkflowId('balances', month)).result();
    expect(outcome).toMatchObject({ kind: 'balances', period: month, findings: 0, created: true });
    const stored = await api.owner.one(sql.unsafe`SELECT requested_by FROM audit_runs WHERE kind = 'balances' AND period = ${month}`);
    expect(stored).toEqual({ requested_by: null });
  });
});
