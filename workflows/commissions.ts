import { proxyActivities, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { CommissionActivities } from '../activities/commission-release.ts';

/**
 * The hold's end and the pay batch run as short workflows that Temporal Schedules start (stack/schedules.ts):
 * `commission-release` every policy.commissions.releaseSweepInterval, `commission-pay-batch` daily. A run that
 * was due while the worker was down starts when it is back (the schedules' catch-up window), and the sweeps
 * themselves are idempotent, so a late, repeated or overlapping run moves every commission exactly once.
 */
const { releaseDueCommissions, payApprovedCommissions } = proxyActivities<CommissionActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** The moment the run is for: the schedule's nominal time when a Schedule started it, else the start time. */
function scheduledTime(): Date {
  const info = workflowInfo();
  const scheduled = info.searchAttributes?.TemporalScheduledStartTime?.[0];
  return scheduled instanceof Date ? scheduled : typeof scheduled === 'string' ? new Date(scheduled) : info.startTime;
}

export async function commissionReleaseWorkflow(input: { asOf?: string } = {}) {
  const asOf = input.asOf ?? scheduledTime().toISOString();
  const result = await releaseDueCommissions({ asOf });
  await upsertMemo({ summary: `approved ${result.approved} commission(s) due by ${asOf}, ${result.total} in total` });
  return result;
}

export async function commissionPayBatchWorkflow(input: { asOf?: string } = {}) {
  const asOf = input.asOf ?? scheduledTime().toISOString();
  const result = await payApprovedCommissions({ key: workflowInfo().workflowId, asOf });
  await upsertMemo({ summary: `pay batch ${result.batchId}: ${result.commissions} commission(s) of ${result.partners} partner(s), ${result.total} paid, ${result.debtRepaid} of it to debt` });
  return result;
}
