import type { Database } from '../db/pool.ts';
import type { PayoutDeliveryOutcome } from '../modules/payouts/payout-delivery.ts';
import {
  finishPaymentFileClose,
  finishPaymentFileLock,
  loadPaymentFileCloseChunk,
  loadPaymentFileLockChunk,
  recordPaymentFileCloseOutcomes,
  recordPaymentFileLockRefusals,
} from '../modules/payouts/payment-files.ts';

/**
 * The database steps of `payment-file-<exportId>` and its closes (docs/rules.md#payment-files); the deliveries to
 * the payouts go through `deliverPayoutUpdates` (activities/payout-delivery.ts). Each step is idempotent: a worker
 * killed after one committed re-runs it with the same outcome.
 */
export function createPaymentFileActivities({ database }: { database: Database }) {
  return {
    loadPaymentFileLockChunk: (input: { exportId: string; fromPosition: number; limit: number }) => loadPaymentFileLockChunk(database, input),
    recordPaymentFileLockRefusals: (input: { exportId: string; refused: PayoutDeliveryOutcome[] }) => recordPaymentFileLockRefusals(database, input),
    finishPaymentFileLock: (input: { exportId: string }) => finishPaymentFileLock(database, input),
    loadPaymentFileCloseChunk: (input: { closeId: string; fromPosition: number; limit: number }) => loadPaymentFileCloseChunk(database, input),
    recordPaymentFileCloseOutcomes: (input: { closeId: string; outcomes: PayoutDeliveryOutcome[] }) => recordPaymentFileCloseOutcomes(database, input),
    finishPaymentFileClose: (input: { closeId: string }) => finishPaymentFileClose(database, input),
  };
}

export type PaymentFileActivities = ReturnType<typeof createPaymentFileActivities>;
