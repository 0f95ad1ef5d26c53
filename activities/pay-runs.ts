import type { Database } from '../db/pool.ts';
import type { PayoutDeliveryOutcome } from '../modules/payouts/payout-delivery.ts';
import { nextPayRunDeliveries, prepareScheduledPayRun, recordPayRunDeliveries, reserveScheduledPayRunId, syncPayRun } from '../modules/pay-runs/pay-run-store.ts';
import { approvePayRunChunkForWorkflow } from '../modules/pay-runs/pay-run-approvals.ts';
import { payoutScheduleActor } from '../modules/payouts/payout-schedule.ts';
import type { PolicyStore } from '../modules/policy/policy-store.ts';

/** The pay run's activities (docs/rules.md#pay-runs): thin adapters over modules/pay-runs; the delivery itself is activities/payout-delivery.ts. */
export function createPayRunActivities({ database, policies }: { database: Database; policies: PolicyStore }) {
  return {
    reserveScheduledPayRunId: (input: { paymentDate: string }) => reserveScheduledPayRunId(database, input.paymentDate),
    prepareScheduledPayRun: (input: { runId: string; paymentDate: string; force: boolean }) =>
      prepareScheduledPayRun(database, () => policies.active(), { ...input, createdBy: payoutScheduleActor }),
    nextPayRunDeliveries: (input: { runId: string; decisionId: string; limit: number; requireDeclaredFunds: boolean }) => nextPayRunDeliveries(database, input),
    recordPayRunDeliveries: (input: { runId: string; decisionId: string; outcomes: PayoutDeliveryOutcome[] }) => recordPayRunDeliveries(database, input),
    syncPayRun: (input: { runId: string; delivering: boolean }) => syncPayRun(database, input),
    /** Fan-out design 2: one chunk's approvals in one set-based transaction; answers the outcomes and the signals to send. */
    approvePayRunChunk: (input: { runId: string; decisionId: string; payoutIds: string[] }) => approvePayRunChunkForWorkflow(database, input),
  };
}
export type PayRunActivities = ReturnType<typeof createPayRunActivities>;
