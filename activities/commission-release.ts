import { Context } from '@temporalio/activity';
import type { Database } from '../db/pool.ts';
import { CommissionRelease, type PayBatchResult, type ReleaseResult } from '../modules/commissions/commission-release.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { nextCommissionReleaseAt } from '../modules/commissions/next-release.ts';

/** The activities the release and pay-batch workflows call; each heartbeats after every committed batch. */
export function createCommissionActivities({ database, ledger }: { database: Database; ledger: LedgerStore }) {
  const release = new CommissionRelease(database, ledger, (details) => Context.current().heartbeat(details));
  return {
    async releaseDueCommissions(input: { asOf: string }): Promise<ReleaseResult> {
      return release.releaseDue(new Date(input.asOf));
    },
    /** When the next release is due (ISO) and how long until then, or null (docs/rules.md#release-cadence). */
    async nextCommissionReleaseAt(input: { after: string; notBefore: string }): Promise<{ releaseAt: string; waitMs: number } | null> {
      const next = await nextCommissionReleaseAt(database, new Date(input.after), new Date(input.notBefore));
      return next && { releaseAt: next.releaseAt.toISOString(), waitMs: next.waitMs };
    },
    async payApprovedCommissions(input: { key: string; asOf: string }): Promise<PayBatchResult> {
      return release.payBatch(input.key, new Date(input.asOf));
    },
  };
}

export type CommissionActivities = ReturnType<typeof createCommissionActivities>;
