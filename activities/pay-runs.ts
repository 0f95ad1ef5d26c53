import type { Database } from '../db/pool.ts';
import type { PayoutDeliveryOutcome } from '../modules/payouts/payout-delivery.ts';
import { nextPayRunDeliveries, recordPayRunDeliveries, syncPayRun } from '../modules/pay-runs/pay-run-store.ts';

/** The pay run's activities (docs/rules.md#pay-runs): thin adapters over modules/pay-runs; the delivery itself is activities/payout-delivery.ts. */
export function createPayRunActivities({ database }: { database: Database }) {
  return {
    nextPayRunDeliveries: (input: { runId: string; decisionId: string; limit: number; requireDeclaredFunds: boolean }) => nextPayRunDeliveries(database, input),
    recordPayRunDeliveries: (input: { runId: string; decisionId: string; outcomes: PayoutDeliveryOutcome[] }) => recordPayRunDeliveries(database, input),
    syncPayRun: (input: { runId: string; delivering: boolean }) => syncPayRun(database, input),
  };
}
export type PayRunActivities = ReturnType<typeof createPayRunActivities>;
