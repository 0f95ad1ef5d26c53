import type { Database } from '../db/pool.ts';
import type { PolicyStore } from '../modules/policy/policy-store.ts';
import { requestedPayoutsWithoutProgress } from '../modules/payouts/start-payout.ts';

/**
 * The payout sweep's one activity: a page of payouts still REQUESTED some time after they were requested, for the
 * sweep's workflow to start (modules/payouts/start-payout.ts says why such payouts exist).
 */
export function createPayoutSweepActivities({ database, policies }: { database: Database; policies: PolicyStore }) {
  return {
    async requestedPayoutsWithoutProgress(input: { olderThanSeconds: number; after: string | null; limit: number }) {
      return requestedPayoutsWithoutProgress({ database, policies }, input);
    },
  };
}

export type PayoutSweepActivities = ReturnType<typeof createPayoutSweepActivities>;
