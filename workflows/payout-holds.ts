import { getExternalWorkflowHandle, log } from '@temporalio/workflow';
import { holdCauseClearedSignal, payoutWorkflowId } from './payout-messages.ts';

/**
 * Tells each of a partner's HELD payouts (ids from the `heldPayoutIds` activity, activities/partner-flags-store.ts)
 * that a hold's cause cleared, from a workflow that just cleared it (a dispute closing, a review cleared). A payout
 * whose workflow has closed meanwhile is skipped: the signal is a nudge, the timer re-check remains.
 */
export async function nudgeHeldPayouts(payoutIds: readonly string[], reason: string): Promise<void> {
  for (const payoutId of payoutIds) {
    try {
      await getExternalWorkflowHandle(payoutWorkflowId(payoutId)).signal(holdCauseClearedSignal, { reason });
    } catch (error) {
      log.warn('held payout not signalled', { payoutId, error: (error as Error).message });
    }
  }
}
