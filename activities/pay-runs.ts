import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../db/pool.ts';
import type { PayoutDeliveryOutcome } from '../modules/payouts/payout-delivery.ts';
import { signalPayRunApprovals } from '../modules/payouts/payout-delivery.ts';
import { approvePayRunChunk } from '../modules/pay-runs/pay-run-approvals.ts';
import { nextPayRunDeliveries, prepareScheduledPayRun, recordPayRunDeliveries, reserveScheduledPayRunId, syncPayRun } from '../modules/pay-runs/pay-run-store.ts';
import { payoutScheduleActor } from '../modules/payouts/payout-schedule.ts';
import type { PolicyStore } from '../modules/policy/policy-store.ts';

/**
 * The pay run's activities (docs/rules.md#pay-runs): thin adapters over modules/pay-runs; design 1's delivery is
 * activities/payout-delivery.ts, design 2's is `approveAndWakeDecision` here.
 */
export function createPayRunActivities({ database, policies, temporal = null }: { database: Database; policies: PolicyStore; temporal?: Client | null }) {
  return {
    reserveScheduledPayRunId: (input: { paymentDate: string }) => reserveScheduledPayRunId(database, input.paymentDate),
    prepareScheduledPayRun: (input: { runId: string; paymentDate: string; force: boolean }) =>
      prepareScheduledPayRun(database, () => policies.active(), { ...input, createdBy: payoutScheduleActor }),
    nextPayRunDeliveries: (input: { runId: string; decisionId: string; limit: number; requireDeclaredFunds: boolean }) => nextPayRunDeliveries(database, input),
    recordPayRunDeliveries: (input: { runId: string; decisionId: string; outcomes: PayoutDeliveryOutcome[] }) => recordPayRunDeliveries(database, input),
    syncPayRun: (input: { runId: string; delivering: boolean }) => syncPayRun(database, input),

    /**
     * Fan-out design 2 for one decision, whole: chunk after chunk of its funded undelivered items, each approved in one
     * set-based transaction (`approvePayRunChunk`) and then woken with one `payRunApproved` signal per approved payout,
     * heartbeating after each chunk and signal. One activity for the decision, not three workflow steps per chunk: the
     * run's own workflow tasks would otherwise queue behind the tasks of the payouts it has just woken. A retry (the
     * worker died) first signals again every payout the decision approved so far (the payouts ignore a repeat), then
     * goes on where the database says. Answers what is left (waiting for funds) and how many chunks it approved.
     */
    approveAndWakeDecision: async (input: { runId: string; decisionId: string; chunkSize: number; concurrency: number; requireDeclaredFunds: boolean }) => {
      if (!temporal) throw ApplicationFailure.retryable('this worker has no Temporal client to wake payouts with', 'TemporalClientNotConfigured');
      const context = Context.current();
      let chunks = 0;
      let accepted = 0;
      let refused = 0;
      const wake = async (signals: Awaited<ReturnType<typeof approvePayRunChunk>>['signals']) => {
        if (signals.length === 0) return;
        await signalPayRunApprovals(temporal, signals, { concurrency: input.concurrency, onDelivered: (signalled) => context.heartbeat({ chunks, signalled }) });
      };
      if (context.info.attempt > 1) {
        const approved = [
          ...(await database.anyFirst(sql.type(z.object({ payout_id: z.string() }))`
            SELECT payout_id FROM pay_run_decision_items WHERE decision_id = ${input.decisionId} AND outcome = 'accepted' ORDER BY payout_id`)),
        ];
        for (let start = 0; start < approved.length; start += input.chunkSize) {
          // Recorded already: the chunk answers their signals again and writes nothing.
          await wake((await approvePayRunChunk(database, { runId: input.runId, decisionId: input.decisionId, payoutIds: approved.slice(start, start + input.chunkSize) })).signals);
        }
      }
      for (;;) {
        const next = await nextPayRunDeliveries(database, { runId: input.runId, decisionId: input.decisionId, limit: input.chunkSize, requireDeclaredFunds: input.requireDeclaredFunds });
        if (next.deliveries.length === 0) return { remaining: next.remaining, waiting: next.waiting, chunks, accepted, refused };
        const { outcomes, signals } = await approvePayRunChunk(database, { runId: input.runId, decisionId: input.decisionId, payoutIds: next.deliveries.map((delivery) => delivery.payoutId) });
        chunks += 1;
        accepted += outcomes.filter((outcome) => outcome.outcome === 'accepted').length;
        refused += outcomes.filter((outcome) => outcome.outcome !== 'accepted').length;
        context.heartbeat({ chunks, signalled: 0 });
        await wake(signals);
      }
    },
  };
}
export type PayRunActivities = ReturnType<typeof createPayRunActivities>;
