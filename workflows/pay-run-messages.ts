import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PayRunPolicy, PayRunStatus } from '../domain/pay-run.ts';

/**
 * The pay run's messages (docs/rules.md#pay-runs). The API records each decision in the database first (what it
 * approves, item by item, under the approver's TOTP) and then tells the run by id; the run delivers it.
 */

/** What `pay-run-<id>` is started with, and what it carries across continue-as-new. */
export interface PayRunInput {
  runId: string;
  /** Absent for the schedule's run: it is read when the run is prepared. */
  policy?: PayRunPolicy;
  runApprovalRequired?: boolean;
  /** The schedule's run: the run row is created by the workflow once the date's payouts finished their checklists. */
  prepare?: { paymentDate: string };
  carried?: PayRunCarried;
}
export interface PayRunCarried {
  queue: string[];
  runApproved: boolean;
  status: PayRunStatus;
  chunksDelivered: number;
}

export interface PayRunState {
  runId: string;
  /** PREPARING: the schedule's run waiting for its date's payouts to finish their checklists (no run row yet). */
  status: PayRunStatus | 'PREPARING';
  /** Decisions recorded and not yet fully delivered, oldest first. */
  queue: string[];
  runApproved: boolean;
  /** Method+currency groups whose delivery waits for declared funds. */
  waitingForFunds: { methodId: string; currency: string; needed: string; declared: string | null }[];
  chunksDelivered: number;
  byPayoutStatus: Record<string, number>;
}

export const approveGroupUpdate = defineUpdate<{ queued: number }, [{ decisionId: string }]>('approveGroup');
export const approveRunUpdate = defineUpdate<{ runApproved: boolean }, [{ by: string }]>('approveRun');
export const excludeItemsUpdate = defineUpdate<{ excluded: number }, [{ payoutIds: string[] }]>('excludeItems');
export const rejectPayRunUpdate = defineUpdate<{ rejected: boolean }, [{ by: string; reason: string }]>('reject');
/** Funds were declared for some method and currency: a delivery waiting for them checks again now. */
export const fundsDeclaredSignal = defineSignal<[]>('fundsDeclared');
export const getPayRunQuery = defineQuery<PayRunState>('getPayRun');

export const payRunWorkflowId = (runId: string) => `pay-run-${runId}`;
