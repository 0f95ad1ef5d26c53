import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ApplicationFailure, log, proxyActivities, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { PoolActivities } from '../activities/pools.ts';
import {
  lastCompletePeriod,
  periodStartingAt,
  poolFailureTypes,
  PoolPeriodError,
  type PoolDistributionResult,
  type PoolFrequency,
  type PoolPeriod,
} from '../domain/pools.ts';
import { statusKey } from './search-attributes.ts';

/** Refusals that retrying cannot cure; a database or worker failure is retried. */
export const poolNonRetryableErrors = [poolFailureTypes.invalidPeriod, poolFailureTypes.policyInvalid];

/** Set by the server on every workflow a Schedule starts: the time the action was due, not when it ran. */
const scheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export interface PoolDistributionRequest {
  frequency: PoolFrequency;
  /** The period to distribute (a Monday or the 1st, 00:00 UTC). Absent: the last period complete when scheduled. */
  periodStart?: string;
}

/*
 * The activity reads a whole network and writes one transaction per pool; minutes are plenty even for millions
 * of partners. The policy has no setting for it, and the workflow cannot read the policy before it knows the
 * period, so the bound lives here.
 */
const { distributePools } = proxyActivities<PoolActivities>({
  startToCloseTimeout: '15 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: poolNonRetryableErrors,
  },
});

function periodOf(request: PoolDistributionRequest): PoolPeriod {
  try {
    if (request.periodStart !== undefined) return periodStartingAt(request.frequency, new Date(request.periodStart));
    // A Schedule that catches up after an outage starts late; the period follows the time the run was due.
    const info = workflowInfo();
    const scheduledAt = info.typedSearchAttributes.get(scheduledStartTimeKey) ?? info.startTime;
    return lastCompletePeriod(request.frequency, scheduledAt);
  } catch (error) {
    if (error instanceof PoolPeriodError) throw ApplicationFailure.nonRetryable(error.message, poolFailureTypes.invalidPeriod);
    throw error;
  }
}

/**
 * `pool-distribution-weekly` / `pool-distribution-monthly` (started by their Schedules, which append the time),
 * or any id for a manual run of an explicit period: distributes every leadership pool of the frequency for one
 * period. The activity is idempotent per pool and period, so a retry, a duplicate firing or a rerun posts nothing
 * twice.
 */
export async function poolDistributionWorkflow(request: PoolDistributionRequest): Promise<PoolDistributionResult> {
  if (request.frequency !== 'WEEKLY' && request.frequency !== 'MONTHLY') {
    throw ApplicationFailure.nonRetryable(`frequency must be WEEKLY or MONTHLY, not ${String(request.frequency)}`, poolFailureTypes.invalidPeriod);
  }
  const period = periodOf(request);
  upsertMemo({ summary: `${request.frequency} leadership pools for ${period.start.toISOString()} – ${period.end.toISOString()}` });
  const result = await distributePools({
    frequency: request.frequency,
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
  });
  const summary = result.runs
    .map((run) => `${run.pool}: ${run.qualified} qualified × ${run.share}${run.created ? '' : ' (already run)'}`)
    .join('; ');
  log.info('leadership pools distributed', { periodStart: result.periodStart, summary });
  upsertMemo({ summary: `${request.frequency} leadership pools for ${result.periodStart} – ${result.periodEnd}: ${summary || 'no pools'}` });
  upsertSearchAttributes([{ key: statusKey, value: 'COMPLETED' }]);
  return result;
}
