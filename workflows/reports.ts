import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { proxyActivities, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { ReportActivities } from '../activities/reports.ts';
import { scheduledPeriod, type ScheduledPeriod } from '../domain/summary-reports.ts';

/** Set by the server on every workflow a Schedule starts: the time the action was due, not when it ran. */
const scheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** Reports are read-only and idempotent per period: any failure is worth retrying, with a bound on each attempt. */
const { generateScheduledSummaryReports } = proxyActivities<ReportActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 20 },
});

export interface SummaryReportScheduleInput {
  period: ScheduledPeriod;
}

export interface SummaryReportScheduleResult {
  period: ScheduledPeriod;
  from: string;
  to: string;
  reportIds: string[];
  created: number;
}

/**
 * `summary-reports-<daily|weekly|monthly>` (docs/rules.md#summary-reports): the commission and payout summaries of the
 * UTC day, ISO week or month that ended before the run was due, each stored once per period (a retried or caught-up
 * run finds the stored reports).
 */
export async function summaryReportScheduleWorkflow(input: SummaryReportScheduleInput): Promise<SummaryReportScheduleResult> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(scheduledStartTimeKey) ?? info.startTime;
  const range = scheduledPeriod(input.period, scheduledAt);
  upsertMemo({ summary: `${input.period.toLowerCase()} summary reports of ${range.from} to ${range.to}` });
  const stored = await generateScheduledSummaryReports({ period: input.period, ...range });
  return { period: input.period, ...range, reportIds: stored.map((report) => report.id), created: stored.filter((report) => report.created).length };
}
