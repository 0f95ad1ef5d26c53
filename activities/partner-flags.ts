import type { Database } from '../db/pool.ts';
import { heldPayoutIds } from '../modules/partner-flags/partner-flags-store.ts';

/** What lifecycles ask about partner flags from workflow code (see workflows/payout-holds.ts). */
export function createPartnerFlagActivities({ database }: { database: Database }) {
  return {
    /** The partner's HELD payouts, to nudge after a hold's cause cleared. */
    async heldPayoutsOf(input: { partnerId: string }): Promise<string[]> {
      return heldPayoutIds(database, input.partnerId);
    },
  };
}
export type PartnerFlagActivities = ReturnType<typeof createPartnerFlagActivities>;
