import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { CommissionRelease } from '../../modules/commissions/commission-release.ts';
import { PayoutSchedule, payoutScheduleActor, payoutScheduleUserId } from '../../modules/payouts/payout-schedule.ts';
import { PolicyStore } from '../../modules/policy/policy-store.ts';
import type { AdminRole } from '../../domain/access.ts';
import { isPaymentDate, nextPaymentAmount, nextPaymentDate, paymentCutoff, paymentDatesOfMonth, paymentDayCalendars, utcDateOf } from '../../domain/payout-schedule.ts';
import { defaultPolicy, type Policy } from '../../domain/policy.ts';
import type { PayoutSchedulePolicy } from '../../domain/payout-policy.ts';
import { payoutScheduleOptions } from '../../stack/payout-schedules.ts';
import { payoutScheduleRunWorkflow, type PayoutScheduleRunResult } from '../../workflows/payout-schedule.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, repositoryRoot } from '../helpers/temporal.ts';

/**
 * The payment schedule (docs/rules.md#payment-schedule): the "next payment" figure from the ledger and the commissions
 * table, the admin's preview, and the run — a workflow that creates one payout per eligible wallet and payment date
 * and starts each payout-<id> as an abandoned child.
 */

describe('the payment calendar (pure)', () => {
  it('a payment day the month lacks is its last day; the next payment date is today or the nearest after', () => {
    expect(paymentDatesOfMonth(2025, 2, [15, 31])).toEqual(['2025-02-15', '2025-02-28']);
    expect(paymentDatesOfMonth(2024, 2, [30, 31])).toEqual(['2024-02-29']);
    expect(paymentDatesOfMonth(2025, 4, [1, 31])).toEqual(['2025-04-01', '2025-04-30']);
    expect(isPaymentDate('2025-04-30', [31])).toBe(true);
    expect(isPaymentDate('2024-02-28', [31])).toBe(false);
    expect(nextPaymentDate('2025-01-15', [1, 15])).toBe('2025-01-15');
    expect(nextPaymentDate('2025-01-16', [1, 15])).toBe('2025-02-01');
    expect(nextPaymentDate('2025-12-31', [15])).toBe('2026-01-15');
  });

  it('docs/rules.md#payment-schedule: paying on the 31st with a 14-day hold counts what cleared by the 17th', () => {
    expect(paymentCutoff('2025-01-31', 14).toISOString()).toBe('2025-01-17T00:00:00.000Z');
    expect(paymentCutoff('2025-03-01', 0).toISOString()).toBe('2025-03-01T00:00:00.000Z');
  });

  it('the figure keeps uncleared commissions out, never goes below zero, and adds what the pay batch will bring less debt', () => {
    expect(nextPaymentAmount({ available: '245.00', paidAfterCutoff: '120.00', clearedNotYetPaid: '100.00', debtOwed: '0' }, 'USD')).toEqual({
      amount: '225.00',
      inAvailable: '125.00',
      awaitingPayBatch: '100.00',
    });
    // The partner already withdrew part of the recent money: nothing cleared is left in available.
    expect(nextPaymentAmount({ available: '50.00', paidAfterCutoff: '120.00', clearedNotYetPaid: '30.00', debtOwed: '40.00' }, 'USD')).toEqual({
      amount: '0.00',
      inAvailable: '0.00',
      awaitingPayBatch: '0.00',
    });
  });

  it('the Schedule fires on each payment day and on the month ends a day beyond 28 needs', () => {
    expect(paymentDayCalendars([1, 15], 6).map((calendar) => [calendar.dayOfMonth, calendar.month ?? null])).toEqual([[1, null], [15, null]]);
    expect(paymentDayCalendars([15, 31], 6).map((calendar) => [calendar.dayOfMonth, calendar.month ?? null])).toEqual([
      [15, null],
      [31, null],
      [30, ['APRIL', 'JUNE', 'SEPTEMBER', 'NOVEMBER']],
      [28, 'FEBRUARY'],
      [29, 'FEBRUARY'],
    ]);
  });
});

let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let eventsToken: string;
const today = utcDateOf(new Date());
const unique = () => randomBytes(5).toString('hex');
const holdDays = 10;
const everyDay = Array.from({ length: 31 }, (_, index) => index + 1);
const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };

async function addScheduleVersion(schedule: PayoutSchedulePolicy) {
  const document: Policy = { ...defaultPolicy, payouts: { ...defaultPolicy.payouts, schedule } };
  await api.dependencies.policies.add({ document, effectiveFrom: new Date(), reason: 'payment schedule test', actor: 'test' });
}

beforeAll(async () => {
  api = await createApiHarness();
  // Every day is a payment day (today's included, whatever the date), with a 10-day hold. Added before the worker
  // starts, so its policy store reads this version from its first call.
  await addScheduleVersion({ enabled: true, paymentDays: everyDay, holdDays, includeBelowMinimum: false, runHourUtc: 6 });
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
  eventsToken = (await admin('finance_manager')).token;
});

afterAll(async () => {
  const ids = await api.owner.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM payouts WHERE schedule_date IS NOT NULL`);
  const payRunIds = await api.owner.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM pay_runs`);
  await Promise.allSettled(
    [...ids.map((id) => `payout-${id}`), ...payRunIds.map((id) => `pay-run-${id}`)].map(async (workflowId) => {
      const handle = api.dependencies.temporal.workflow.getHandle(workflowId);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

async function admin(role: AdminRole = 'admin') {
  const created = await api.createAdmin(role);
  const token = await api.signIn(created);
  return { admin: created, token, totp: () => api.nextTotp(created) };
}

/** A partner whose KYC name matches the bank details, joined long ago; optionally with saved bank details. */
async function partner(input: { rank?: string; savedBank?: boolean } = {}) {
  const partnerId = `s_${unique()}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, ${bankDetails.accountName}, ${input.rank ?? '3'}, 'ACTIVE', 'APPROVED', now() - interval '1 year')`);
  if (input.savedBank) {
    await api.owner.query(sql.unsafe`
      INSERT INTO partner_payment_methods (partner_id, method_id, details) VALUES (${partnerId}, 'BANK_TRANSFER', ${sql.jsonb(bankDetails)})`);
  }
  return partnerId;
}

/** Money that reached `available` without a hold (a bonus entry, as the bonus workflow posts it). */
async function fund(partnerId: string, amount: string) {
  await api.dependencies.ledger.postEntry({
    idempotencyKey: `test-fund-${unique()}`,
    kind: 'bonus',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: `-${amount}` },
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount },
    ],
  });
}

/** A trigger event that completed `daysAgo` days ago; returns the partner's commission amount. */
async function commission(partnerId: string, kind: 'ORDER_COMPLETED' | 'INVESTMENT_CONFIRMED', daysAgo: number): Promise<string> {
  const response = await api.request('/v1/events', {
    token: eventsToken,
    body: { externalId: `ev-${unique()}`, kind, sourceId: `src-${unique()}`, partnerId, amount: '1000.00', currency: 'USD', completedAt: new Date(Date.now() - daysAgo * 86_400_000).toISOString() },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const body = (await response.json()) as { commissions: { partnerId: string; amount: string }[] };
  return body.commissions.find((line) => line.partnerId === partnerId)!.amount;
}

async function balances(partnerId: string) {
  return (await api.dependencies.ledger.partnerBalances(partnerId)).find((row) => row.currency === 'USD')!;
}

interface Wallet {
  currency: string;
  amount: string;
  inAvailable: string;
  awaitingPayBatch: string;
  method: { id: string } | null;
  belowMinimum: boolean;
  state: string;
}

async function nextPayment(partnerId: string, token: string, date?: string) {
  return api.request(`/v1/partners/${partnerId}/next-payment${date ? `?date=${date}` : ''}`, { token });
}

const scheduledPayouts = (partnerId: string) =>
  api.owner.any(sql.type(z.object({ id: z.string(), amount: z.string(), status: z.string(), initiated_by: z.string(), initiated_role: z.string(), schedule_date: z.string() }))`
    SELECT id, amount::text, status, initiated_by::text, initiated_role, schedule_date::text FROM payouts WHERE partner_id = ${partnerId} ORDER BY created_at`);

async function runSchedule(paymentDate = today): Promise<PayoutScheduleRunResult & { workflowId: string }> {
  const workflowId = `payout-schedule-test-${unique()}`;
  const result = await api.dependencies.temporal.workflow.execute(payoutScheduleRunWorkflow, { taskQueue: api.taskQueue, workflowId, args: [{ paymentDate }] });
  return { ...result, workflowId };
}

/**
 * With LEDGERFLOW_RECORD_HISTORIES=1, writes the finished run's history to test/histories/<name>.json, which
 * test/workflows/replay.test.ts replays against the current code from then on.
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

describe('next payment', () => {
  it('counts commissions that cleared the hold by (payment date − hold days) and bonuses at once; later commissions wait', async () => {
    const partnerId = await partner({ savedBank: true });
    const release = new CommissionRelease(api.database, api.dependencies.ledger);
    // Paid into available: one cleared 26 days ago (inside the cutoff), one 2 days ago (after it).
    expect(await commission(partnerId, 'ORDER_COMPLETED', 40)).toBe('100.00');
    expect(await commission(partnerId, 'INVESTMENT_CONFIRMED', 9)).toBe('120.00');
    await release.releaseDue(new Date());
    await release.payBatch(`test-${unique()}`, new Date());
    // Cleared 16 days ago but not yet paid by the batch (APPROVED), and one still in its hold for 13 more days.
    expect(await commission(partnerId, 'ORDER_COMPLETED', 30)).toBe('100.00');
    expect(await commission(partnerId, 'ORDER_COMPLETED', 1)).toBe('100.00');
    await release.releaseDue(new Date());
    // A bonus through the API: no hold (docs/rules.md#bonuses).
    const bonusAdmin = await admin();
    const bonus = await api.request('/v1/bonuses', {
      token: bonusAdmin.token,
      headers: { 'x-totp-code': await bonusAdmin.totp() },
      body: { partnerId, amount: '25.00', currency: 'USD', reason: 'launch bonus' },
    });
    expect(bonus.status, await bonus.clone().text()).toBe(202);
    const bonusId = ((await bonus.json()) as { id: string }).id;
    for (let tries = 0; ; tries += 1) {
      const state = (await (await api.request(`/v1/bonuses/${bonusId}`, { token: bonusAdmin.token })).json()) as { status: string };
      if (state.status === 'COMPLETED') break;
      if (tries > 200) throw new Error(`bonus ${bonusId} is ${state.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await balances(partnerId)).toMatchObject({ available: '245.00', commission_approved: '100.00', commission_pending: '100.00' });

    const partnerToken = await api.signIn(await api.createPartnerUser(partnerId));
    const response = await nextPayment(partnerId, partnerToken);
    expect(response.status, await response.clone().text()).toBe(200);
    const figure = (await response.json()) as { paymentDate: string; cutoff: string; scheduleEnabled: boolean; wallets: Wallet[] };
    expect(figure).toMatchObject({ paymentDate: today, cutoff: paymentCutoff(today, holdDays).toISOString(), scheduleEnabled: true });
    // 100 (cleared, paid) + 25 (bonus) in available; 100 cleared, awaiting the pay batch; 120 cleared after the cutoff.
    expect(figure.wallets).toEqual([
      { currency: 'USD', amount: '225.00', inAvailable: '125.00', awaitingPayBatch: '100.00', method: { id: 'BANK_TRANSFER', name: 'Bank transfer', minPayout: '50.00' }, belowMinimum: false, state: 'READY' },
    ]);

    // Twenty days ahead the cutoff has passed the investment's release; the order still in its hold is not counted.
    const later = utcDateOf(new Date(Date.parse(`${today}T00:00:00Z`) + 20 * 86_400_000));
    const ahead = (await (await nextPayment(partnerId, partnerToken, later)).json()) as { wallets: Wallet[] };
    expect(ahead.wallets[0]).toMatchObject({ amount: '345.00', inAvailable: '245.00', awaitingPayBatch: '100.00' });

    const other = await api.signIn(await api.createPartnerUser(await partner()));
    expect((await nextPayment(partnerId, other)).status).toBe(403);
    const support = await admin('financial_support');
    expect((await nextPayment(partnerId, support.token)).status).toBe(200);
    expect((await nextPayment('s_nobody', support.token)).status).toBe(404);
    const badDate = await nextPayment(partnerId, support.token, '2025-02-30');
    expect(badDate.status).toBe(400);
    expect(await errorOf(badDate)).toMatchObject({ field: 'query.date' });
  });
});

describe('the schedule run', () => {
  it('pays each ready wallet once per payment date, lists but does not pay those below the minimum or without details', async () => {
    const ready = await partner({ savedBank: true });
    await fund(ready, '80.00');
    const below = await partner({ savedBank: true });
    await fund(below, '30.00');
    const noDetails = await partner();
    await fund(noDetails, '70.00');
    // Part cleared (a bonus), part not (an investment commission released two days ago, inside the 10-day hold).
    const mixed = await partner({ savedBank: true });
    await fund(mixed, '60.00');
    await commission(mixed, 'INVESTMENT_CONFIRMED', 9);
    const release = new CommissionRelease(api.database, api.dependencies.ledger);
    await release.releaseDue(new Date());
    await release.payBatch(`test-${unique()}`, new Date());
    expect(await balances(mixed)).toMatchObject({ available: '180.00' });

    // The preview lists everyone with something due, paged by partner id, below the minimum flagged.
    const support = await admin('financial_support');
    const listed = new Map<string, Wallet[]>();
    let after: string | null = null;
    do {
      const response: Response = await api.request(`/v1/payout-schedule/preview?date=${today}&limit=2${after ? `&after=${after}` : ''}`, { token: support.token });
      expect(response.status, await response.clone().text()).toBe(200);
      const page = (await response.json()) as { paymentDate: string; partners: { partnerId: string; wallets: Wallet[] }[]; next: string | null };
      expect(page.paymentDate).toBe(today);
      for (const entry of page.partners) {
        expect(listed.has(entry.partnerId)).toBe(false);
        listed.set(entry.partnerId, entry.wallets);
      }
      after = page.next;
    } while (after);
    expect(listed.get(ready)).toMatchObject([{ amount: '80.00', state: 'READY', belowMinimum: false }]);
    expect(listed.get(below)).toMatchObject([{ amount: '30.00', state: 'BELOW_MINIMUM', belowMinimum: true, method: { id: 'BANK_TRANSFER' } }]);
    expect(listed.get(noDetails)).toMatchObject([{ amount: '70.00', state: 'NO_PAYMENT_DETAILS', method: null }]);
    expect(listed.get(mixed)).toMatchObject([{ amount: '60.00', state: 'READY' }]);
    const partnerToken = await api.signIn(await api.createPartnerUser(ready));
    expect((await api.request('/v1/payout-schedule/preview', { token: partnerToken })).status).toBe(403);

    const first = await runSchedule();
    expect(first).toMatchObject({ paymentDate: today, ran: true });
    expect(first.created).toBeGreaterThanOrEqual(2);
    expect(first.started).toBe(first.created);
    expect(first.skipped.BELOW_MINIMUM).toBeGreaterThanOrEqual(1);
    expect(first.skipped.NO_PAYMENT_DETAILS).toBeGreaterThanOrEqual(1);
    await recordHistory(first.workflowId, 'payout-schedule-run');

    const [paid] = await scheduledPayouts(ready);
    expect(await scheduledPayouts(ready)).toHaveLength(1);
    expect(paid).toMatchObject({ amount: '80.00', schedule_date: today, initiated_by: payoutScheduleUserId, initiated_role: 'system' });
    expect(await scheduledPayouts(below)).toEqual([]);
    expect(await scheduledPayouts(noDetails)).toEqual([]);
    // Only the cleared part is paid; the commission inside the hold stays in available.
    expect(await scheduledPayouts(mixed)).toMatchObject([{ amount: '60.00' }]);
    expect(await balances(mixed)).toMatchObject({ available: '120.00', payout_reserved: '60.00' });
    expect(await balances(ready)).toMatchObject({ available: '0.00', payout_reserved: '80.00' });
    const audit = await api.owner.one(sql.type(z.object({ actor: z.string(), entry_id: z.string().nullable() }))`
      SELECT actor, entry_id::text FROM audit_records WHERE target_type = 'payout' AND target_id = ${paid!.id} AND action = 'PAYOUT_REQUEST'`);
    expect(audit).toMatchObject({ actor: payoutScheduleActor });
    expect(audit.entry_id).not.toBeNull();

    // payout-<id> was started as a child the run abandoned: it outlives the finished run and works the checklist.
    const handle = api.dependencies.temporal.workflow.getHandle(`payout-${paid!.id}`);
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.parentExecution?.workflowId).toMatch(/^payout-schedule-test-/);
    const reader = (await admin('financial_support')).token;
    for (let tries = 0; ; tries += 1) {
      const payout = (await (await api.request(`/v1/payouts/${paid!.id}`, { token: reader })).json()) as { status: string; scheduleDate: string; initiatedBy: { role: string } };
      if (payout.status === 'AWAITING_APPROVAL') {
        expect(payout).toMatchObject({ scheduleDate: today, initiatedBy: { role: 'system' } });
        break;
      }
      if (tries > 200) throw new Error(`scheduled payout is ${payout.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // docs/rules.md#pay-runs: the run also started the date's pay run, which took the date's payouts once their checklists ran.
    const payRunId = await api.owner.oneFirst(sql.type(z.object({ run_id: z.string() }))`
      SELECT run_id FROM pay_run_schedule_ids WHERE payment_date = ${today}::date`);
    type PayRunRead = { source: string; paymentDate: string; status: string; totals: { byCurrency: { count: number }[] } };
    let payRun: PayRunRead | undefined;
    for (let tries = 0; !payRun; tries += 1) {
      const response = await api.request(`/v1/pay-runs/${payRunId}`, { token: reader });
      // Listed from the start: PREPARING until its row is created (docs/rules.md#pay-runs, the schedule's run).
      const read = response.status === 200 ? ((await response.json()) as PayRunRead) : undefined;
      if (read && read.status !== 'PREPARING') payRun = read;
      else if (read && tries <= 200) await new Promise((resolve) => setTimeout(resolve, 100));
      else if (tries > 200) throw new Error(`no pay run ${payRunId}: ${response.status}`);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(payRun).toMatchObject({ source: 'SCHEDULE', paymentDate: today, status: 'AWAITING_APPROVAL' });
    expect(payRun!.totals.byCurrency[0]!.count).toBe(first.created);

    // A second run of the date creates nothing, and no second pay run.
    const second = await runSchedule();
    expect(second).toMatchObject({ ran: true, created: 0, started: 0 });
    const scheduledRuns = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM pay_runs WHERE source = 'SCHEDULE' AND payment_date = ${today}::date`);
    expect(scheduledRuns).toBe(1);
    expect(await scheduledPayouts(ready)).toHaveLength(1);

    // Even after the payout is cancelled and its money is back, the date has paid this wallet: nothing again.
    const canceller = await admin();
    const cancelled = await api.request(`/v1/payouts/${paid!.id}/cancel`, { token: canceller.token, body: { reason: 'paid by hand' } });
    expect(cancelled.status, await cancelled.clone().text()).toBe(200);
    expect(await balances(ready)).toMatchObject({ available: '80.00', payout_reserved: '0.00' });
    const third = await runSchedule();
    expect(third.created).toBe(0);
    expect(third.skipped.SCHEDULED).toBeGreaterThanOrEqual(1);
    expect(await scheduledPayouts(ready)).toHaveLength(1);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('the Temporal Schedule built from the policy starts the run for the date it fires', async () => {
    const { policy } = await api.dependencies.policies.active();
    const [options] = payoutScheduleOptions(api.taskQueue, policy, `payout-schedule-test-${unique()}`);
    const schedule = await api.dependencies.temporal.schedule.create({ ...options!, state: { paused: true } });
    try {
      const described = await schedule.describe();
      expect(described.spec.calendars?.map((calendar) => calendar.hour)).toContainEqual([{ start: 6, end: 6, step: 1 }]);
      await schedule.trigger();
      let action: Awaited<ReturnType<typeof schedule.describe>>['info']['recentActions'][number] | undefined;
      for (let tries = 0; !action; tries += 1) {
        action = (await schedule.describe()).info.recentActions[0];
        if (tries > 100) throw new Error('the schedule did not start its workflow');
        if (!action) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const result = (await api.dependencies.temporal.workflow.getHandle(action.action.workflow.workflowId).result()) as PayoutScheduleRunResult;
      // The run takes its payment date from the time the firing was due (UTC); every day is a payment date here.
      expect(result).toMatchObject({ ran: true, paymentDate: utcDateOf(action.scheduledAt) });
    } finally {
      await schedule.delete();
    }
  });

  it('with includeBelowMinimum the run pays a wallet below the method’s minimum too', async () => {
    const small = await partner({ savedBank: true });
    await fund(small, '30.00');
    await addScheduleVersion({ enabled: true, paymentDays: everyDay, holdDays, includeBelowMinimum: true, runHourUtc: 6 });
    // A fresh store (the worker's caches versions for a few seconds): the run's page, as its activity runs it.
    const schedule = new PayoutSchedule(api.database, api.dependencies.ledger, new PolicyStore(api.database));
    let after: string | null = null;
    do {
      after = (await schedule.recordPage({ paymentDate: today, after, limit: 100 })).next;
    } while (after);
    expect(await scheduledPayouts(small)).toMatchObject([{ amount: '30.00', schedule_date: today, status: 'REQUESTED' }]);
    expect(await balances(small)).toMatchObject({ available: '0.00', payout_reserved: '30.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
