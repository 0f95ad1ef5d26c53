import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec } from '@temporalio/client';
import type { PoolFrequency } from '../domain/pools.ts';
import type { poolDistributionWorkflow } from '../workflows/pools.ts';

/**
 * The Temporal Schedules that run ledgerflow's calendar work. Weekly pools are distributed on Monday at 00:15
 * UTC for the week that just ended (Monday to Sunday; the "Sunday night" in docs/rules.md#pool-schedule in the Americas), monthly
 * pools on the 1st at 00:15 UTC for the previous month. The quarter hour lets the last events of the period
 * arrive; the workflow derives the period from the time the run was due, so a late or caught-up run still
 * distributes the right period.
 */

export const poolScheduleIds = { WEEKLY: 'pool-distribution-weekly', MONTHLY: 'pool-distribution-monthly' } as const satisfies Record<PoolFrequency, string>;

const poolScheduleSpecs: Record<PoolFrequency, ScheduleSpec> = {
  WEEKLY: { calendars: [{ dayOfWeek: 'MONDAY', hour: 0, minute: 15, comment: 'the week just ended' }], timezone: 'UTC' },
  MONTHLY: { calendars: [{ dayOfMonth: 1, hour: 0, minute: 15, comment: 'the month just ended' }], timezone: 'UTC' },
};

/** A run missed while the cluster was down is still taken up to a week late; each run is idempotent anyway. */
const poolSchedulePolicies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' } as const;

function poolScheduleAction(frequency: PoolFrequency, taskQueue: string, workflowId: string): ScheduleOptionsStartWorkflowAction<typeof poolDistributionWorkflow> {
  return {
    type: 'startWorkflow',
    workflowType: 'poolDistributionWorkflow',
    // Temporal appends the scheduled time to this id: pool-distribution-weekly-2025-01-06T00:15:00Z.
    workflowId,
    taskQueue,
    args: [{ frequency }],
  };
}

/**
 * Creates both pool Schedules, or brings existing ones up to date (spec, action, policies), keeping whether an
 * operator paused them. Safe to call on every start, from many processes. `ids` (schedule and workflow id per
 * frequency) is for tests that share a Temporal server.
 */
export async function ensurePoolSchedules(client: Client, taskQueue: string, ids: Record<PoolFrequency, string> = poolScheduleIds): Promise<void> {
  await ensureSchedules(
    client,
    (['WEEKLY', 'MONTHLY'] as const).map((frequency) => ({
      scheduleId: ids[frequency],
      spec: poolScheduleSpecs[frequency],
      action: poolScheduleAction(frequency, taskQueue, ids[frequency]),
      policies: poolSchedulePolicies,
      memo: { summary: `${frequency} leadership pool distribution` },
    })),
  );
}

/** Creates the schedules, or updates them to the current spec and action while keeping an operator's pause. */
export async function ensureSchedules(client: Client, schedules: ScheduleOptions[]): Promise<void> {
  for (const options of schedules) {
    try {
      await client.schedule.create(options);
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: options.policies ?? previous.policies,
        state: { paused: previous.state.paused, note: previous.state.note },
      }) as never);
    }
  }
}

/** The workflow id of a manual run for an explicit period, e.g. `pool-distribution-weekly-2025-01-06T00:00:00.000Z`. */
export function poolDistributionWorkflowId(frequency: PoolFrequency, periodStart: string): string {
  return `${poolScheduleIds[frequency]}-${periodStart}`;
}

/**
 * The workflow id the pool Schedule gives its run for a period (docs/rules.md#pools-on-demand): the schedule id and
 * the time the run is due (the period's end plus the quarter hour of poolScheduleSpecs), as Temporal writes it
 * (RFC 3339, whole seconds): `pool-distribution-weekly-2025-03-10T00:15:00Z` for the week of 3 March 2025. A run on
 * demand takes the same id, so it and the Schedule's run of that period are one workflow.
 */
export function scheduledPoolWorkflowId(frequency: PoolFrequency, periodEnd: Date, ids: Record<PoolFrequency, string> = poolScheduleIds): string {
  const due = new Date(periodEnd.getTime() + 15 * 60_000);
  return `${ids[frequency]}-${due.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}
