import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PayRunPolicy, PayRunStatus } from '../domain/pay-run.ts';

/**
 * The pay run's messages (docs/rules.md#pay-runs). The API records each decision in the database first (what it
 * approves, item by item, under the approver's TOTP) and then tells the run by id; the run delivers it.
 */

/** What `pay-run-<id>` is started with, and what it carries across continue-as-new. */
export interface PayRunInput {
  runId: string;
  policy: PayRunPolicy;
  runApprovalRequired: boolean;
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
  status: PayRunStatus;
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
/** The schedule's run of a payment date: derived from the date, so the schedule repeated creates one. */
export const scheduledPayRunId = (paymentDate: string) => {
  // A UUID-shaped id from the date (version nibble 8, "custom"): 00000000-0000-8000-8000-0000YYYYMMDD.
  const digits = paymentDate.replaceAll('-', '');
  return `00000000-0000-8000-8000-0000${digits}`;
};
