import { ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import type { Policy } from '../domain/policy.ts';
import { paymentDayCalendars } from '../domain/payout-schedule.ts';
import type { payoutScheduleRunWorkflow } from '../workflows/payout-schedule.ts';
import type { payoutSweepWorkflow } from '../workflows/payout-sweep.ts';

/**
 * The Schedule that runs the payment schedule (docs/rules.md#payment-schedule): `payoutScheduleRunWorkflow` at
 * policy.payouts.schedule.runHourUtc on each payment day (month ends included for days a month lacks). The
 * calendar comes from the policy in force when a worker starts; the run itself re-checks the policy in force
 * (enabled, and the date a payment date), so a disabled schedule or a removed day pays nothing even before the next
 * worker start updates the calendar. Runs missed while the cluster was down are caught up within two days (overlap
 * SKIP); a run is idempotent per wallet and payment date anyway.
 */
export const payoutScheduleId = 'payout-schedule';

export function payoutScheduleOptions(taskQueue: string, policy: Policy, scheduleId: string = payoutScheduleId): ScheduleOptions[] {
  const schedule = policy.payouts.schedule;
  return [
    {
      scheduleId,
      spec: { calendars: paymentDayCalendars(schedule.paymentDays, schedule.runHourUtc), timezone: 'UTC' },
      action: {
        type: 'startWorkflow',
        workflowType: 'payoutScheduleRunWorkflow',
        // Temporal appends the scheduled time: payout-schedule-2025-01-15T06:00:00Z.
        workflowId: scheduleId,
        taskQueue,
        args: [{}] satisfies Parameters<typeof payoutScheduleRunWorkflow>,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '2 days' },
      memo: { summary: `payouts on days ${schedule.paymentDays.join(', ')} at ${schedule.runHourUtc}:00 UTC (${schedule.enabled ? 'enabled' : 'disabled by policy'})` },
    },
  ];
}

/** `payout-sweep` every 5 minutes: payouts recorded whose workflow never started get it (workflows/payout-sweep.ts). */
export const payoutSweepScheduleId = 'payout-sweep';

export function payoutSweepScheduleOptions(taskQueue: string, scheduleId: string = payoutSweepScheduleId): ScheduleOptions[] {
  return [
    {
      scheduleId,
      spec: { intervals: [{ every: '5 minutes' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'payoutSweepWorkflow',
        workflowId: scheduleId,
        taskQueue,
        args: [{}] satisfies Parameters<typeof payoutSweepWorkflow>,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      memo: { summary: 'starts the workflow of any payout left REQUESTED without one for 5 minutes' },
    },
  ];
}
