import { ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import { durationMs, type Policy } from '../domain/policy.ts';

/**
 * The Schedules that end holds and pay commissions: `commission-release` every
 * policy.commissions.releaseSweepInterval, `commission-pay-batch` daily at policy.commissions.payBatchHourUtc.
 * Runs missed while the cluster or the workers were down are caught up (one at a time: overlap SKIP), and the
 * sweeps are idempotent, so a hold that ended during an outage is released once, after it. The release interval is
 * an hour by default (holds are days long); each run sleeps until the hold ends that fall before the next run and
 * releases them on time (docs/rules.md#release-cadence), so the Temporal UI shows 24 release runs a day, not 1,440.
 */
export const commissionScheduleIds = { release: 'commission-release', payBatch: 'commission-pay-batch' } as const;

export function commissionScheduleOptions(taskQueue: string, policy: Policy, ids: { release: string; payBatch: string } = commissionScheduleIds): ScheduleOptions[] {
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } as const;
  return [
    {
      scheduleId: ids.release,
      spec: { intervals: [{ every: durationMs(policy.commissions.releaseSweepInterval) }] },
      // Each run follows the hold ends due before the next run (docs/rules.md#release-cadence).
      action: { type: 'startWorkflow', workflowType: 'commissionReleaseWorkflow', workflowId: ids.release, taskQueue, args: [{ followDueTimesForMs: durationMs(policy.commissions.releaseSweepInterval) }] },
      policies,
      memo: { summary: 'approves commissions whose holding period is over' },
    },
    {
      scheduleId: ids.payBatch,
      spec: { calendars: [{ hour: policy.commissions.payBatchHourUtc, minute: 0, comment: 'daily pay batch' }], timezone: 'UTC' },
      action: { type: 'startWorkflow', workflowType: 'commissionPayBatchWorkflow', workflowId: ids.payBatch, taskQueue, args: [{}] },
      policies,
      memo: { summary: 'moves APPROVED commissions into available, repaying debt first' },
    },
  ];
}
