import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { deliverPayoutUpdates, type PayoutDelivery, type PayoutDeliveryOutcome } from '../modules/payouts/payout-delivery.ts';

/**
 * The activity a batch decision (a pay run's approval, a payment file's bulk close) delivers its chunk through:
 * the Temporal updates to each `payout-<id>`, at most `concurrency` at once, heartbeating the count delivered.
 * Retried whole on a worker's death: every delivery carries its update id, so what was accepted is not run again.
 */
export function createPayoutDeliveryActivities({ temporal }: { temporal: Client | null }) {
  const requireClient = () => {
    // Retryable on purpose: a worker built without a Temporal client leaves the batch waiting, not failed.
    if (!temporal) throw ApplicationFailure.retryable('this worker has no Temporal client to deliver payout decisions with', 'TemporalClientNotConfigured');
    return temporal;
  };
  return {
    deliverPayoutUpdates: async (input: { deliveries: PayoutDelivery[]; concurrency: number }): Promise<PayoutDeliveryOutcome[]> => {
      return deliverPayoutUpdates(requireClient(), input.deliveries, {
        concurrency: input.concurrency,
        onDelivered: (delivered) => Context.current().heartbeat({ delivered }),
      });
    },
  };
}
