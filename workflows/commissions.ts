import { patched, proxyActivities, sleep, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { CommissionActivities } from '../activities/commission-release.ts';
import { Money } from '../domain/money.ts';

/**
 * The hold's end and the pay batch run as short workflows that Temporal Schedules start (stack/schedules.ts):
 * `commission-release` every policy.commissions.releaseSweepInterval, `commission-pay-batch` daily. A run that
 * was due while the worker was down starts when it is back (the schedules' catch-up window), and the sweeps
 * themselves are idempotent, so a late, repeated or overlapping run moves every commission exactly once.
 */
const { releaseDueCommissions, payApprovedCommissions, nextCommissionReleaseAt } = proxyActivities<CommissionActivities>({
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

/** The finest step of a release run that follows due times: holds ending within a minute are released together. */
export const releaseStepMs = 60_000;

/**
 * Releases what is due by the run's time. With `followDueTimesForMs` (the Schedule's interval, e.g. an hour) the
 * run then stays up until one step before the next scheduled run, sleeping until each hold end it finds in that
 * window and releasing at that time, and ends as soon as no hold ends in the rest of the window
 * (docs/rules.md#release-cadence): holds end on time to the minute, while the
 * Temporal UI shows one run per interval instead of one a minute. Holds are days long, so an hour is a fitting
 * interval. Behind a patch: a recorded run of the old code replays as it ran.
 */
export async function commissionReleaseWorkflow(input: { asOf?: string; followDueTimesForMs?: number; stepMs?: number } = {}) {
  const stepMs = input.stepMs ?? releaseStepMs;
  const startedFor = input.asOf ? new Date(input.asOf) : scheduledTime();
  let asOf = startedFor.toISOString();
  const result = await releaseDueCommissions({ asOf });
  let releases = 1;
  if (input.followDueTimesForMs && input.followDueTimesForMs > stepMs && patched('commission-release-follows-due-times')) {
    const windowEndMs = startedFor.getTime() + input.followDueTimesForMs - stepMs;
    for (;;) {
      // At least a step after the last release: a burst of hold ends a second apart costs one release, not many.
      const next = await nextCommissionReleaseAt({ after: asOf, notBefore: new Date(Date.parse(asOf) + stepMs).toISOString() });
      if (next === null || Date.parse(next.releaseAt) >= windowEndMs) break;
      await sleep(next.waitMs);
      asOf = next.releaseAt;
      const later = await releaseDueCommissions({ asOf });
      releases += 1;
      result.approved += later.approved;
      result.batches += later.batches;
      // An exact sum of two decimal strings: no rounding takes place.
      result.total = new Money(result.total).plus(later.total).toFixed();
    }
  }
  await upsertMemo({ summary: `approved ${result.approved} commission(s) due by ${asOf} in ${releases} release(s), ${result.total} in total` });
  return result;
}

export async function commissionPayBatchWorkflow(input: { asOf?: string } = {}) {
  const asOf = input.asOf ?? scheduledTime().toISOString();
  const result = await payApprovedCommissions({ key: workflowInfo().workflowId, asOf });
  await upsertMemo({ summary: `pay batch ${result.batchId}: ${result.commissions} commission(s) of ${result.partners} partner(s), ${result.total} paid, ${result.debtRepaid} of it to debt` });
  return result;
}
