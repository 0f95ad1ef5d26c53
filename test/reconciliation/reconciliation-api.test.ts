import { createHash, randomInt } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminRole } from '../../domain/access.ts';
import { utcDay } from '../../domain/reconciliation.ts';
import { reconciliationWorkflowId } from '../../workflows/reconciliation.ts';
import { createApiHarness, errorOf, wrongTotp, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { partner, platform, reconciliationKit } from './kit.ts';

/**
 * /v1/reconciliations (docs/rules.md#daily-reconciliation) end to end: a day run on demand through its workflow, a
 * tampered cached balance that blocks sign-off until each item has a finding, the sign-off's refusals (role, the
 * person who ran it, no or wrong code, twice), the archive and the seal.
 */

let api: ApiHarness;
let owner: pg.Client;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let kit: ReturnType<typeof reconciliationKit>;
const workflowIds = new Set<string>();
const day = utcDay(new Date(Date.UTC(2001 + randomInt(20), randomInt(12), 1 + randomInt(28))));
let tamperedAccount: string;

beforeAll(async () => {
  api = await createApiHarness();
  owner = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
  await owner.connect();
  kit = reconciliationKit(owner);
  await kit.arrangeDay(day, 'api');
  tamperedAccount = await kit.accountId(partner('api-p', 'commission_approved'));
  await owner.query(`UPDATE account_balances SET balance = balance + 2.50 WHERE account_id = $1`, [tamperedAccount]);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  if (owner) {
    await owner.query(`UPDATE account_balances SET balance = balance - 2.50 WHERE account_id = $1`, [tamperedAccount]);
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

type ReconciliationBody = { day: string; status: string; items: string[]; unexplained: string[]; report: { balanced: boolean; variance: { amount: string }[] }; archive: { sha256: string; fileUrl: string } | null };

describe('POST /v1/reconciliations', () => {
  it('refuses a malformed date, a future day and today, naming body.date, and starts nothing', async () => {
    const { token } = await admin('finance_manager');
    const cases: [string, string][] = [
      ['2026-02-30', 'invalid_date'],
      [utcDay(new Date(Date.now() + 86_400_000)), 'future_date'],
      [utcDay(new Date()), 'day_not_ended'],
    ];
    for (const [date, code] of cases) {
      const response = await api.request('/v1/reconciliations', { token, body: { date } });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toMatchObject({ code, field: 'body.date' });
    }
    const malformed = await api.request('/v1/reconciliations', { token, body: { date: '5 Dec' } });
    expect(malformed.status).toBe(400);
    expect(await errorOf(malformed)).toMatchObject({ field: 'body.date' });
  });

  it('is refused to a role that may not run it, and a partner may not even read the days', async () => {
    const { token } = await admin('admin');
    const response = await api.request('/v1/reconciliations', { token, body: { date: day } });
    expect(response.status).toBe(403);
    const partnerUser = await api.createPartnerUser();
    const partnerToken = await api.signIn(partnerUser);
    expect((await api.request('/v1/reconciliations', { token: partnerToken })).status).toBe(403);
    expect((await api.request(`/v1/reconciliations/${day}`, { token: partnerToken })).status).toBe(403);
  });
});

describe('a day with a tampered cached balance, run on demand and signed off', () => {
  it('reports the variance and the rebuild finding, blocks sign-off until each has a finding, signs once, archives and seals', async () => {
    const manager = await admin('finance_manager');
    const started = await api.request('/v1/reconciliations', { token: manager.token, body: { date: day } });
    expect(started.status).toBe(202);
    const accepted = (await started.json()) as { workflowId: string; reconciliationUrl: string };
    expect(accepted.workflowId).toBe(reconciliationWorkflowId(day));
    workflowIds.add(accepted.workflowId);

    const reconciliation = await poll(
      async () => {
        const response = await api.request(accepted.reconciliationUrl, { token: manager.token });
        return response.status === 200 ? ((await response.json()) as ReconciliationBody) : null;
      },
      (value) => value !== null,
      'the day stored',
    );
    expect(reconciliation!.report.balanced).toBe(false);
    expect(reconciliation!.items).toEqual([
      'variance:partner:commission_approved:USD',
      `rebuild:drifted_balance:account ${tamperedAccount}`,
      'rebuild:unbalanced_currency:account_balances USD',
    ]);

    const director = await admin('finance_director');
    const signOff = async (who: { admin: TestAdmin; token: string }, code: string | null) =>
      api.request(`/v1/reconciliations/${day}/sign-off`, { token: who.token, body: {}, headers: code === null ? {} : { 'x-totp-code': code } });

    // Items without a finding block the sign-off (before any code is asked for).
    const blocked = await signOff(director, await api.nextTotp(director.admin));
    expect(blocked.status).toBe(409);
    expect(await errorOf(blocked)).toMatchObject({ code: 'unexplained_items', field: 'findings' });

    // Findings: finance only, against the day's items.
    const notFinance = await admin('admin');
    const refusedFinding = await api.request(`/v1/reconciliations/${day}/findings`, { token: notFinance.token, body: { item: reconciliation!.items[0], note: 'x' } });
    expect(refusedFinding.status).toBe(403);
    const unknownItem = await api.request(`/v1/reconciliations/${day}/findings`, { token: manager.token, body: { item: 'variance:nothing', note: 'x' } });
    expect(unknownItem.status).toBe(400);
    expect(await errorOf(unknownItem)).toMatchObject({ code: 'unknown_item', field: 'body.item' });
    for (const item of reconciliation!.items) {
      const recorded = await api.request(`/v1/reconciliations/${day}/findings`, { token: manager.token, body: { item, note: 'cached balance moved by hand; restored' } });
      expect(recorded.status).toBe(201);
    }

    // Wrong role, the person who ran it, no code, a wrong code: each refused naming its field; nothing signed.
    const wrongRole = await signOff(notFinance, await api.nextTotp(notFinance.admin));
    expect(wrongRole.status).toBe(403);
    expect(await errorOf(wrongRole)).toMatchObject({ code: 'checker_role_required', field: 'role' });
    const runner = await signOff(manager, await api.nextTotp(manager.admin));
    expect(runner.status).toBe(403);
    expect(await errorOf(runner)).toMatchObject({ code: 'maker_checker', field: 'role' });
    const noCode = await signOff(director, null);
    expect(noCode.status).toBe(401);
    expect(await errorOf(noCode)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    const wrongCode = await signOff(director, wrongTotp(director.admin.totpSecret));
    expect(wrongCode.status).toBe(401);
    expect(await errorOf(wrongCode)).toMatchObject({ field: 'X-TOTP-Code' });
    expect(((await (await api.request(`/v1/reconciliations/${day}`, { token: manager.token })).json()) as ReconciliationBody).status).toBe('AWAITING_SIGN_OFF');

    const signed = await signOff(director, await api.nextTotp(director.admin));
    expect(signed.status).toBe(200);
    const body = (await signed.json()) as ReconciliationBody;
    expect(body).toMatchObject({ status: 'SIGNED', unexplained: [] });
    const twice = await signOff(await admin('finance_director'), null);
    expect(twice.status).toBe(409);
    expect(await errorOf(twice)).toMatchObject({ code: 'already_signed', field: 'date' });

    // The workflow was waiting for exactly this.
    const result = await api.dependencies.temporal.workflow.getHandle(accepted.workflowId).result();
    expect(result).toMatchObject({ status: 'SIGNED', signedBy: director.admin.id });

    // The archive, byte for byte with its SHA-256, and the list.
    const file = await api.request(body.archive!.fileUrl, { token: manager.token });
    expect(file.status).toBe(200);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(body.archive!.sha256);
    expect(bytes.toString('utf8')).toContain(`${day},variance,,partner,commission_approved,USD,-2.5\r\n`);
    const listed = await api.request('/v1/reconciliations?limit=5', { token: manager.token });
    expect(((await listed.json()) as { reconciliations: unknown[] }).reconciliations).toEqual([
      expect.objectContaining({ day, status: 'SIGNED', balanced: false, rebuildFindings: 2, unexplained: 0, archiveSha256: body.archive!.sha256 }),
    ]);

    // Sealed: no entry dated in the day, the owner's included.
    await expect(
      kit.postAt(`${day}T12:00:00Z`, 'commission-event:api-late', 'commission', [[platform('commission_expense'), '-1.00'], [partner('api-q', 'commission_pending'), '1.00']]),
    ).rejects.toThrow(/sealed/);
  });

  it('answers 404 naming the date for a day not reconciled, and for the archive of an unsigned day', async () => {
    const { token } = await admin('finance_manager');
    const missing = await api.request('/v1/reconciliations/2000-01-01', { token });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({ field: 'params.date' });
    const noArchive = await api.request('/v1/reconciliations/2000-01-01/archive.csv', { token });
    expect(noArchive.status).toBe(404);
  });
});
