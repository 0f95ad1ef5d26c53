import type { Database } from '../db/pool.ts';
import { closeDisputeWithoutInformation, closeExplainedDispute, openDispute } from '../modules/disputes/automatic-steps.ts';
import { holdDisputeResolution, recordDisputeApprovalDecision } from '../modules/disputes/dispute-approval.ts';
import { resolveDispute, type ResolveDisputeInput } from '../modules/disputes/resolve-dispute.ts';
import { assignDispute, provideDisputeEvidence, requestDisputeEscalation } from '../modules/disputes/review-dispute.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { disputeRefusedType } from '../workflows/dispute-messages.ts';
import { refusing } from './refusals.ts';

type Input<F extends (database: Database, input: never) => unknown> = Parameters<F>[1];

/**
 * The dispute lifecycle's activities (workflows/dispute.ts) over modules/disputes: the first decision, evidence,
 * assignment, each resolution, the partner's escalation request and the closing steps. A refusal of the module is
 * the workflow's DisputeRefused.
 */
export function createDisputeActivities({ database, ledger }: { database: Database; ledger: LedgerStore }) {
  return {
    openDispute: (input: Input<typeof openDispute>) => refusing(disputeRefusedType, () => openDispute(database, input)),
    provideDisputeEvidence: (input: Input<typeof provideDisputeEvidence>) => refusing(disputeRefusedType, () => provideDisputeEvidence(database, input)),
    assignDispute: (input: Input<typeof assignDispute>) => refusing(disputeRefusedType, () => assignDispute(database, input)),
    resolveDispute: (input: ResolveDisputeInput) => refusing(disputeRefusedType, () => resolveDispute({ database, ledger }, input)),
    holdDisputeResolution: (input: Input<typeof holdDisputeResolution>) => refusing(disputeRefusedType, () => holdDisputeResolution(database, input)),
    recordDisputeApprovalDecision: (input: Input<typeof recordDisputeApprovalDecision>) =>
      refusing(disputeRefusedType, () => recordDisputeApprovalDecision(database, input)),
    requestDisputeEscalation: (input: Input<typeof requestDisputeEscalation>) => refusing(disputeRefusedType, () => requestDisputeEscalation(database, input)),
    closeDisputeWithoutInformation: (input: Input<typeof closeDisputeWithoutInformation>) =>
      refusing(disputeRefusedType, () => closeDisputeWithoutInformation(database, input)),
    closeExplainedDispute: (input: Input<typeof closeExplainedDispute>) => refusing(disputeRefusedType, () => closeExplainedDispute(database, input)),
  };
}

export type DisputeActivities = ReturnType<typeof createDisputeActivities>;
