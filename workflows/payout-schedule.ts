import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, WorkflowIdReusePolicy, continueAsNew, patched, proxyActivities, startChild, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { PayoutScheduleActivities } from '../activities/payout-schedule.ts';
import type { ScheduleRecordPage } from '../modules/payouts/payout-schedule.ts';
import { utcDateOf } from '../domain/payout-schedule.ts';
import { startPayoutChildren } from './payout-children.ts';
import type { PayRunActivities } from '../activities/pay-runs.ts';
import { payRunWorkflowId } from './pay-run-messages.ts';
import { payRunWorkflow } from './pay-run.ts';
import { statusKey } from './search-attributes.ts';

/**
 * From this patch on, a run that started its date's payouts also starts the date's pay run (docs/rules.md#pay-runs),
 * `pay-run-<id>` with an id derived from the date; runs recorded before it replay without that command.
 */
export const schedulePayRunPatch = 'payout-schedule-pay-run';

const { reserveScheduledPayRunId } = proxyActivities<PayRunActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * Starts the date's pay run as an abandoned child, under the id the database reserved for the date; a run already
 * started for the date (a repeated schedule run) is left as it is.
 */
async function startScheduledPayRun(paymentDate: string): Promise<{ runId: string; started: boolean }> {
  const runId = await reserveScheduledPayRunId({ paymentDate });
  try {
    await startChild(payRunWorkflow, {
      workflowId: payRunWorkflowId(runId),
      args: [{ runId, prepare: { paymentDate } }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [{ key: statusKey, value: 'PREPARING' }],
      memo: { summary: `Pay run ${runId} of payment date ${paymentDate}: PREPARING` },
    });
    return { runId, started: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { runId, started: false };
    throw error;
  }
}

/**
 * The payment schedule's run (docs/rules.md#payment-schedule): started on each payment date by the `payout-schedule` Temporal Schedule
 * (stack/payout-schedules.ts), or by hand with an explicit `paymentDate`. First it records one payout per eligible
 * wallet, a page of partners per activity (reserve, row and audit record per payout, unique per payment date, so
 * a retried or repeated run creates nothing twice). Then it starts `payout-<id>` for every scheduled payout of the
 * date that is still REQUESTED, as a child with ParentClosePolicy ABANDON — the payouts outlive the run — and
 * WorkflowIdReusePolicy REJECT_DUPLICATE, so a payout whose workflow exists (running or closed) is never started
 * again. Long runs continue as new between pages.
 */
const { beginPayoutScheduleRun, recordScheduledPayouts, scheduledPayoutsToStart } = proxyActivities<PayoutScheduleActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Partners per recording page and payouts per starting page. */
const pageSize = 100;
/** Pages per run before continuing as new: each child start carries the request and its policy in the history. */
const pagesPerRun = 10;

export interface PayoutScheduleRunTotals {
  created: number;
  started: number;
  alreadyStarted: number;
  skipped: ScheduleRecordPage['skipped'];
}

export interface PayoutScheduleRunInput {
  /** The payment date (YYYY-MM-DD). Absent when the Schedule started the run: the UTC date the firing was due. */
  paymentDate?: string;
  /** Carried across continue-as-new: where the run is. */
  resume?: { phase: 'record' | 'start'; after: string | null; totals: PayoutScheduleRunTotals };
}

export interface PayoutScheduleRunResult extends PayoutScheduleRunTotals {
  paymentDate: string;
  ran: boolean;
  reason: string;
}

/** The moment the run is for: the schedule's nominal time when a Schedule started it, else the start time. */
function scheduledTime(): Date {
  const info = workflowInfo();
  const scheduled = info.searchAttributes?.TemporalScheduledStartTime?.[0];
  return scheduled instanceof Date ? scheduled : typeof scheduled === 'string' ? new Date(scheduled) : info.startTime;
}

export async function payoutScheduleRunWorkflow(input: PayoutScheduleRunInput = {}): Promise<PayoutScheduleRunResult> {
  const paymentDate = input.paymentDate ?? utcDateOf(scheduledTime());
  const totals: PayoutScheduleRunTotals = input.resume?.totals ?? { created: 0, started: 0, alreadyStarted: 0, skipped: {} };
  if (!input.resume) {
    const begun = await beginPayoutScheduleRun({ paymentDate, scheduled: input.paymentDate === undefined });
    if (!begun.run) {
      await upsertMemo({ summary: `payment schedule ${paymentDate}: nothing to do — ${begun.reason}` });
      return { paymentDate, ran: false, reason: begun.reason, ...totals };
    }
  }
  let phase = input.resume?.phase ?? 'record';
  let after = input.resume?.after ?? null;
  let pages = 0;
  const carryOn = () => continueAsNew<typeof payoutScheduleRunWorkflow>({ paymentDate, resume: { phase, after, totals } });

  while (phase === 'record') {
    if (pages >= pagesPerRun || workflowInfo().continueAsNewSuggested) return carryOn();
    const page = await recordScheduledPayouts({ paymentDate, after, limit: pageSize });
    pages += 1;
    totals.created += page.created;
    for (const [reason, count] of Object.entries(page.skipped)) {
      const key = reason as keyof PayoutScheduleRunTotals['skipped'];
      totals.skipped[key] = (totals.skipped[key] ?? 0) + (count ?? 0);
    }
    if (page.next === null) {
      phase = 'start';
      after = null;
    } else {
      after = page.next;
    }
  }

  for (;;) {
    if (pages >= pagesPerRun || workflowInfo().continueAsNewSuggested) return carryOn();
    const page = await scheduledPayoutsToStart({ paymentDate, after, limit: pageSize });
    pages += 1;
    const outcomes = await startPayoutChildren(page, `schedule ${paymentDate}`);
    totals.started += outcomes.started;
    totals.alreadyStarted += outcomes.alreadyStarted;
    if (page.next === null) break;
    after = page.next;
  }

  // docs/rules.md#pay-runs: the date's payouts are reviewed and approved as one pay run.
  const payRun = patched(schedulePayRunPatch) ? await startScheduledPayRun(paymentDate) : null;
  const skipped = Object.entries(totals.skipped).map(([reason, count]) => `${count} ${reason}`).join(', ') || 'none';
  await upsertMemo({
    summary: `payment schedule ${paymentDate}: ${totals.created} payout(s) created, ${totals.started} started; skipped: ${skipped}`
      + `${payRun === null ? '' : `; pay run pay-run-${payRun.runId} ${payRun.started ? 'started' : 'already started'}`}`,
  });
  return { paymentDate, ran: true, reason: 'payment date', ...totals };
}
