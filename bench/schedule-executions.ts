/**
 * Workflow executions per day with no traffic, before and after the ops changes of issue #19
 * (docs/operations.md#a-readable-temporal-ui). `npm run bench:schedule-executions`.
 *
 * What ops scroll past in the Temporal UI on an idle day is what the Schedules start. This benchmark creates every
 * Schedule a worker keeps (the same functions workers/main.ts calls) on an in-memory Temporal dev server, PAUSED so
 * nothing runs, and asks the server itself for the times each would fire over the 4 weeks from next Monday (ListScheduleMatchingTimes,
 * the server's own evaluation of the spec, asked window by window since it answers at most 1,000 times per call);
 * executions per day = matching times / 28 (a
 * monthly run counts 1/28 a day here, 1/30.4 over a year: the difference is in the third decimal). Runs that start a child
 * (the daily reconciliation starts `reconciliation-<day>`) add one per run. The long-lived notification-delivery
 * workflow adds only its continue-as-new runs: its idle iterations (one per safety sweep) divided by the
 * iterations a run holds. "Before" is the code as it was: the per-minute `notification-delivery` Schedule and
 * `commission-release` every policy.commissions.releaseSweepInterval = 1 minute.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type ScheduleOptions } from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import { defaultPolicy, type Policy } from '../domain/policy.ts';
import { commissionScheduleOptions } from '../stack/commission-schedules.ts';
import { payoutScheduleOptions, payoutSweepScheduleOptions } from '../stack/payout-schedules.ts';
import { freePort } from '../stack/ports.ts';
import { reconciliationScheduleOptions } from '../stack/reconciliation-schedules.ts';
import { poolScheduleIds } from '../stack/schedules.ts';
import { findTemporalCli, startTemporalDevServer } from '../stack/temporal.ts';
import { notificationIterationsPerRun, notificationSweepIntervalMs } from '../workflows/notification-messages.ts';

/** 4 weeks from next Monday: the dev server answers slowly (past its deadline) for windows months ahead. */
const days = 28;
const dayMs = 86_400_000;
const taskQueue = 'bench-schedules';

/** The pool Schedules as stack/schedules.ts ensures them (weekly Monday 00:15, monthly 1st 00:15 UTC). */
function poolSchedules(): ScheduleOptions[] {
  return [
    { scheduleId: poolScheduleIds.WEEKLY, spec: { calendars: [{ dayOfWeek: 'MONDAY', hour: 0, minute: 15 }], timezone: 'UTC' }, action: { type: 'startWorkflow', workflowType: 'poolDistributionWorkflow', taskQueue, args: [{ frequency: 'WEEKLY' }] } },
    { scheduleId: poolScheduleIds.MONTHLY, spec: { calendars: [{ dayOfMonth: 1, hour: 0, minute: 15 }], timezone: 'UTC' }, action: { type: 'startWorkflow', workflowType: 'poolDistributionWorkflow', taskQueue, args: [{ frequency: 'MONTHLY' }] } },
  ];
}

/** The Schedule the worker kept before: notification-delivery every minute (stack/notification-schedules.ts, before #19). */
const retiredNotificationSchedule: ScheduleOptions = {
  scheduleId: 'notification-delivery',
  spec: { intervals: [{ every: '1 minute' }] },
  action: { type: 'startWorkflow', workflowType: 'notificationDeliveryWorkflow', taskQueue, args: [] },
};

function schedulesOf(policy: Policy, withRetiredNotificationSchedule: boolean): ScheduleOptions[] {
  return [
    ...commissionScheduleOptions(taskQueue, policy),
    ...payoutScheduleOptions(taskQueue, { ...policy, payouts: { ...policy.payouts, schedule: { ...policy.payouts.schedule, enabled: true } } }),
    ...payoutSweepScheduleOptions(taskQueue),
    ...poolSchedules(),
    ...(withRetiredNotificationSchedule ? [retiredNotificationSchedule] : []),
    ...reconciliationScheduleOptions(taskQueue),
  ];
}

/** Children a run of this workflow type starts on an idle day. */
const childrenPerRun: Record<string, number> = { reconciliationScheduleWorkflow: 1 };

function nextMondayUtc(): Date {
  const today = new Date();
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return new Date(midnight + (((8 - today.getUTCDay()) % 7) || 7) * dayMs);
}

async function countPerDay(client: Client, schedules: ScheduleOptions[], label: string) {
  const start = nextMondayUtc(); // 28 days from a Monday are 4 whole weeks
  const end = new Date(start.getTime() + days * dayMs);
  const rows: { scheduleId: string; workflowType: string; fires: number; perDay: number }[] = [];
  for (const options of schedules) {
    const scheduleId = `${label}-${options.scheduleId}-${randomBytes(3).toString('hex')}`;
    await client.schedule.create({ ...options, scheduleId, state: { paused: true } });
    const times = new Set<string>();
    // The server answers at most 1,000 times per call: a window that comes back full is asked again in halves.
    const collect = async (fromMs: number, toMs: number): Promise<void> => {
      // A loaded machine makes the dev server miss its deadline now and then: ask again, a few times.
      let matching;
      for (let attempt = 1; ; attempt += 1) {
        try {
          matching = await client.workflowService.listScheduleMatchingTimes({ namespace: 'default', scheduleId, startTime: msToTs(fromMs), endTime: msToTs(toMs) });
          break;
        } catch (error) {
          if ((error as { code?: unknown }).code !== 4 || attempt >= 5) throw error;
        }
      }
      const found = matching.startTime ?? [];
      if (found.length >= 1_000) {
        const middleMs = fromMs + Math.floor((toMs - fromMs) / 2 / 1_000) * 1_000;
        await collect(fromMs, middleMs);
        await collect(middleMs, toMs);
        return;
      }
      for (const time of found) {
        const atMs = tsToMs(time);
        // Each window is inclusive at both ends on the server; the set removes the repeats at the seams.
        if (atMs >= start.getTime() && atMs < end.getTime()) times.add(String(atMs));
      }
    };
    // Half-day windows: at most 720 times for a per-minute spec.
    const windowMs = dayMs / 2;
    for (let fromMs = start.getTime(); fromMs < end.getTime(); fromMs += windowMs) {
      await collect(fromMs, Math.min(fromMs + windowMs, end.getTime())).catch((error: unknown) => {
        throw new Error(`${options.scheduleId} ${new Date(fromMs).toISOString()}: ${(error as Error).message}`);
      });
    }
    const workflowType = (options.action as { workflowType: string }).workflowType;
    const fires = times.size * (1 + (childrenPerRun[workflowType] ?? 0));
    rows.push({ scheduleId: options.scheduleId, workflowType, fires, perDay: fires / days });
    await client.schedule.getHandle(scheduleId).delete();
  }
  return rows;
}

async function main() {
  const cli = await findTemporalCli({ TEMPORAL_CLI: process.env.TEMPORAL_CLI || undefined });
  const server = await startTemporalDevServer({
    cli, port: await freePort(), uiPort: await freePort(), databaseFile: undefined, headless: true,
    logFile: path.join(os.tmpdir(), `ledgerflow-bench-schedules-${process.pid}.log`), namespace: 'default',
  });
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const beforePolicy: Policy = { ...defaultPolicy, commissions: { ...defaultPolicy.commissions, releaseSweepInterval: '1m' } };
    const before = await countPerDay(client, schedulesOf(beforePolicy, true), 'before');
    const after = await countPerDay(client, schedulesOf(defaultPolicy, false), 'after');
    // The long-lived delivery workflow: idle, it wakes once per safety sweep; a new run only at continue-as-new.
    const sweepsPerDay = dayMs / notificationSweepIntervalMs;
    const notificationRunsPerDay = sweepsPerDay / notificationIterationsPerRun;

    const print = (title: string, rows: typeof before, extra: { label: string; perDay: number } | null) => {
      console.log(`\n${title}`);
      console.log('| schedule | workflow | fires in 28 days (incl. children) | executions / day |');
      console.log('|---|---|---:|---:|');
      for (const row of rows) console.log(`| ${row.scheduleId} | ${row.workflowType} | ${row.fires} | ${row.perDay.toFixed(2)} |`);
      if (extra) console.log(`| ${extra.label} | notificationDeliveryWorkflow | — | ${extra.perDay.toFixed(2)} |`);
      const total = rows.reduce((sum, row) => sum + row.perDay, 0) + (extra?.perDay ?? 0);
      console.log(`| **total** | | | **${total.toFixed(2)}** |`);
      return total;
    };
    console.log(`Temporal dev server (CLI ${path.basename(cli)}), ${days} days from ${nextMondayUtc().toISOString().slice(0, 10)}; payout schedule counted as enabled (days ${defaultPolicy.payouts.schedule.paymentDays.join(', ')})`);
    const totalBefore = print('Before (per-minute notification-delivery Schedule, commission-release every 1 minute):', before, null);
    const totalAfter = print(
      `After (one long-lived notification-delivery workflow: ${sweepsPerDay} idle sweeps a day / ${notificationIterationsPerRun} iterations per run; commission-release every ${defaultPolicy.commissions.releaseSweepInterval}):`,
      after,
      { label: 'notification-delivery (continue-as-new runs)', perDay: notificationRunsPerDay },
    );
    console.log(`\nexecutions per idle day: before ${totalBefore.toFixed(2)}, after ${totalAfter.toFixed(2)} (${(totalBefore / totalAfter).toFixed(1)} times fewer)`);
  } finally {
    await connection.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
