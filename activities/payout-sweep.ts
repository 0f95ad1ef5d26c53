import { sql } from 'slonik';
import { payoutRecord, payoutRecordColumns } from '../modules/payouts/create-payout.ts';
import type { Database } from '../db/pool.ts';
import { startableRequests } from '../modules/payouts/payout-schedule.ts';
import type { PolicyStore } from '../modules/policy/policy-store.ts';

/**
 * The payout sweep's one activity: a page of payouts still REQUESTED some time after they were requested. A request
 * is recorded (reserve, row, audit) before its workflow is started; when the start's outcome is unknown (Temporal
 * unreachable at that moment, the API killed between commit and start) the row is all there is, and the sweep starts
 * `payout-<id>` from it. A payout whose workflow does run is REQUESTED only while its checklist has not finished, so
 * `olderThanSeconds` keeps the sweep off those; starting one anyway is refused by Temporal (REJECT_DUPLICATE).
 */
export function createPayoutSweepActivities({ database, policies }: { database: Database; policies: PolicyStore }) {
  return {
    async requestedPayoutsWithoutProgress(input: { olderThanSeconds: number; after: string | null; limit: number }) {
      const rows = await database.any(sql.type(payoutRecord)`
        SELECT ${payoutRecordColumns} FROM payouts
        WHERE status = 'REQUESTED' AND coalesce(requested_at, created_at) < now() - make_interval(secs => ${input.olderThanSeconds})
          AND id > ${input.after ?? '00000000-0000-0000-0000-000000000000'}::uuid
        ORDER BY id LIMIT ${input.limit + 1}`);
      const page = rows.slice(0, input.limit);
      return { ...(await startableRequests(policies, page)), next: rows.length > input.limit ? page.at(-1)!.id : null };
    },
  };
}

export type PayoutSweepActivities = ReturnType<typeof createPayoutSweepActivities>;
