import { ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import type { ScheduledPeriod } from '../domain/summary-reports.ts';

/**
 * The summary reports' Schedules (docs/rules.md#summary-reports): daily at 01:00 UTC for the day just ended, weekly on
 * Monday at 01:10 for the ISO week just ended, monthly on the 1st at 01:20 for the month just ended (after the 00:30
 * reconciliation, and apart from each other, so they never compete for the database). Each run derives its period from
 * the time it was due; a run missed while the cluster was down is caught up for up to a week, and a period is stored once.
 */
export const reportScheduleIds = {
  DAILY: 'summary-reports-daily',
  WEEKLY: 'summary-reports-weekly',
  MONTHLY: 'summary-reports-monthly',
} as const satisfies Record<ScheduledPeriod, string>;

const calendars: Record<ScheduledPeriod, NonNullable<ScheduleOptions['spec']['calendars']>> = {
  DAILY: [{ hour: 1, minute: 0, comment: 'the day just ended' }],
  WEEKLY: [{ dayOfWeek: 'MONDAY', hour: 1, minute: 10, comment: 'the ISO week just ended' }],
  MONTHLY: [{ dayOfMonth: 1, hour: 1, minute: 20, comment: 'the month just ended' }],
};

export function reportScheduleOptions(taskQueue: string, ids: Record<ScheduledPeriod, string> = reportScheduleIds): ScheduleOptions[] {
  return (['DAILY', 'WEEKLY', 'MONTHLY'] as const).map((period) => ({
    scheduleId: ids[period],
    spec: { calendars: calendars[period], timezone: 'UTC' },
    action: { type: 'startWorkflow', workflowType: 'summaryReportScheduleWorkflow', workflowId: ids[period], taskQueue, args: [{ period }] },
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '7 days' },
    memo: { summary: `${period.toLowerCase()} commission and payout summary reports` },
  }));
}
