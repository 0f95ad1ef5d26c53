import { ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';

/**
 * The daily reconciliation's Schedule (docs/rules.md#daily-reconciliation): `reconciliation-daily` runs
 * reconciliationScheduleWorkflow at 00:30 UTC, which starts `reconciliation-<day>` for the day that just ended (the
 * half hour lets entries of transactions begun before midnight commit). A run missed while the cluster was down is
 * caught up for up to a week, one at a time; each derives its day from the time it was due, and a day is computed once.
 */
export const reconciliationScheduleIds = { daily: 'reconciliation-daily' } as const;

export function reconciliationScheduleOptions(taskQueue: string, ids: { daily: string } = reconciliationScheduleIds): ScheduleOptions[] {
  return [
    {
      scheduleId: ids.daily,
      spec: { calendars: [{ hour: 0, minute: 30, comment: 'the day just ended' }], timezone: 'UTC' },
      action: { type: 'startWorkflow', workflowType: 'reconciliationScheduleWorkflow', workflowId: ids.daily, taskQueue, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '7 days' },
      memo: { summary: 'reconciles the UTC day that just ended and waits for its sign-off' },
    },
  ];
}
