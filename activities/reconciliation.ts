import { Context } from '@temporalio/activity';
import type { Database } from '../db/pool.ts';
import { DomainError, domainErrorFailure } from '../domain/errors.ts';
import { reconcilableDay } from '../domain/reconciliation.ts';
import { getReconciliation, runReconciliation } from '../modules/reconciliation/reconciliation-store.ts';
import type { ReconciliationOutcome } from '../workflows/reconciliation-messages.ts';

/** The failure type of a reconciliation refused for its input (a future day): retrying cannot cure it. */
export const reconciliationRefused = 'ReconciliationRefused';

export function createReconciliationActivities({ database }: { database: Database }) {
  return {
    /**
     * Computes and stores the day's report and rebuild check, and notifies finance of a variance, in one transaction;
     * idempotent per day (a retry after a crash returns the stored report).
     */
    async runReconciliation(input: { day: string; requestedBy: string | null }): Promise<ReconciliationOutcome> {
      // The report's statements run for minutes on a large ledger: heartbeats tell Temporal the worker is alive, so a
      // killed worker's attempt is retried after the heartbeat timeout, not after the start-to-close timeout.
      const beat = setInterval(() => Context.current().heartbeat(), 5_000);
      try {
        const day = reconcilableDay(input.day, new Date(), 'day');
        const { reconciliation, created } = await runReconciliation(database, { day, requestedBy: input.requestedBy });
        return { day, status: reconciliation.status, balanced: reconciliation.report.balanced, items: reconciliation.items.length, created };
      } catch (error) {
        if (error instanceof DomainError) throw domainErrorFailure(reconciliationRefused, error);
        throw error;
      } finally {
        clearInterval(beat);
      }
    },

    /** Whether the day is signed off (the workflow's check when no signal came). */
    async reconciliationStatus(input: { day: string }): Promise<{ status: 'AWAITING_SIGN_OFF' | 'SIGNED' | 'MISSING'; signedBy: string | null }> {
      const reconciliation = await getReconciliation(database, input.day);
      if (!reconciliation) return { status: 'MISSING', signedBy: null };
      return { status: reconciliation.status, signedBy: reconciliation.signedBy };
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
