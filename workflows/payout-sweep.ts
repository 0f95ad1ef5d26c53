import { proxyActivities, upsertMemo } from '@temporalio/workflow';
import type { PayoutSweepActivities } from '../activities/payout-sweep.ts';
import { startPayoutChildren } from './payout-children.ts';

const { requestedPayoutsWithoutProgress } = proxyActivities<PayoutSweepActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface PayoutSweepInput {
  /** Only payouts requested at least this long ago (default 5 minutes). */
  olderThanSeconds?: number;
}

/** Payouts per page, and pages per run (the next run of the Schedule takes the rest). */
const pageSize = 100;
const pagesPerRun = 10;

/**
 * `payout-sweep` (a Temporal Schedule, every 5 minutes): starts `payout-<id>` for payouts whose request was recorded
 * but whose workflow never started (modules/payouts/start-payout.ts), so a reservation is never left without its lifecycle.
 */
export async function payoutSweepWorkflow(input: PayoutSweepInput = {}): Promise<{ started: number; alreadyStarted: number }> {
  const totals = { started: 0, alreadyStarted: 0 };
  let after: string | null = null;
  for (let pages = 0; pages < pagesPerRun; pages += 1) {
    const page: Awaited<ReturnType<PayoutSweepActivities['requestedPayoutsWithoutProgress']>> = await requestedPayoutsWithoutProgress({ olderThanSeconds: input.olderThanSeconds ?? 300, after, limit: pageSize });
    const outcome = await startPayoutChildren(page, 'started by the sweep');
    totals.started += outcome.started;
    totals.alreadyStarted += outcome.alreadyStarted;
    if (page.next === null) break;
    after = page.next;
  }
  if (totals.started > 0 || totals.alreadyStarted > 0) {
    upsertMemo({ summary: `payout sweep: ${totals.started} workflow(s) started, ${totals.alreadyStarted} already running` });
  }
  return totals;
}
