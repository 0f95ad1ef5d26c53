import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ApprovalStep,
  ChecklistResult,
  PayoutActor,
  PayoutApproval,
  PayoutFailureCode,
  PayoutRejectionCode,
  PayoutStatus,
} from '../domain/payout.ts';
import type { PayoutPriority } from '../domain/payout-policy.ts';
import type { PayoutSwitches } from '../domain/ops-switches.ts';

/**
 * The payout lifecycle's messages (kept beside workflows/messages.ts, which holds the bonus's). Every update
 * carries the actor the API verified (session, permission, fresh TOTP where due); validators refuse what the
 * payout's state or the approval chain does not allow before the update is accepted.
 */

/** What `payout-<id>` is started with: decided at creation, in the same transaction as the reserve entry. */
export interface PayoutRequest {
  payoutId: string;
  partnerId: string;
  methodId: string;
  processing: 'MANUAL' | 'AUTOMATIC';
  currency: string;
  amount: string;
  fee: string;
  amountToTransfer: string;
  amountRub: string | null;
  priority: PayoutPriority;
  detailsHash: string;
  requiredChain: ApprovalStep[];
  initiatedBy: PayoutActor;
}

export interface PayoutState {
  payoutId: string;
  status: PayoutStatus;
  partnerId: string;
  currency: string;
  amount: string;
  fee: string;
  amountToTransfer: string;
  detailsHash: string;
  requiredChain: ApprovalStep[];
  approvals: PayoutApproval[];
  checklist: ChecklistResult[];
  checklistRuns: number;
  rejection: { code: PayoutRejectionCode; reason: string; by: string } | null;
  externalReference: string | null;
  failure: { code: PayoutFailureCode; reason: string | null } | null;
  settleEntryId: string | null;
  /** The policy version the lifecycle started under (docs/rules.md#policy). */
  policyVersion: number;
  /** AUTOMATIC methods: the current attempt at the provider (0 before the first), and its reference there. */
  attempt?: number;
  providerReference?: string | null;
  /** AUTOMATIC methods: attempts ran out, an admin completes or fails it (GET /v1/payouts?needsReview=true). */
  needsReview?: boolean;
  /** How it is processed now: its method's, or MANUAL once an outage switched the method to manual (docs/rules.md#emergency-switches). */
  processing?: 'MANUAL' | 'AUTOMATIC';
  /** Why an approved payout waits (processing paused, partner frozen): one line per switch, empty when it does not. */
  waitingFor?: string[];
  /**
   * The partner validation in docs/rules.md#partner-validation, when the policy asks for it: set once the partner validated (what they saw,
   * and the invoice current then). Absent for payouts that never wait for the partner.
   */
  partnerValidation?: { userId: string; at: string; amount: string; detailsHash: string; invoiceId: string | null } | null;
}

/**
 * A provider's verified webhook, as the API passes it on (POST /v1/webhooks/provider). The workflow uses a result
 * only for the attempt it waits on (the attempt is in the idempotency key) and ignores a repeated `eventId`.
 */
export interface ProviderResultInput {
  eventId: string;
  idempotencyKey: string;
  providerReference: string;
  status: 'COMPLETED' | 'FAILED';
  failureCode?: PayoutFailureCode;
  message?: string;
  /** The provider's time of the outcome (ISO). */
  occurredAt: string;
}

export interface ApprovePayoutInput {
  actor: PayoutActor;
  /** The amount and details hash the approver was shown: an approval of something else is refused. */
  amount: string;
  detailsHash: string;
}
/**
 * The partner confirms the payout (docs/rules.md#partner-validation: "the partner will then Validate the payout"): the amount and details
 * hash they were shown, and the invoice current when they validated (the API reads it; null when none was uploaded).
 */
export interface ValidatePayoutInput {
  actor: PayoutActor;
  amount: string;
  detailsHash: string;
  invoiceId: string | null;
}
export interface RejectPayoutInput {
  actor: PayoutActor;
  code: PayoutRejectionCode;
  reason: string;
}
export interface CancelPayoutInput {
  actor: PayoutActor;
  reason: string | null;
}
export interface ReleasePayoutInput {
  actor: PayoutActor;
}
export interface MarkPayoutProcessingInput {
  actor: PayoutActor;
  externalReference: string;
}
export interface CompletePayoutInput {
  actor: PayoutActor;
}
export interface FailPayoutInput {
  actor: PayoutActor;
  failureCode: PayoutFailureCode;
  reason: string | null;
}

/**
 * Refusals of an update travel as an ApplicationFailure of this type whose first detail is the Refusal
 * (domain/errors.ts `refusalFailure`); the type is in recorded histories and never changes.
 */
export const payoutRefusedType = 'PayoutRefused';

export const getPayoutStateQuery = defineQuery<PayoutState>('getPayoutState');
export const approvePayoutUpdate = defineUpdate<PayoutState, [ApprovePayoutInput]>('approve');
export const validatePayoutUpdate = defineUpdate<PayoutState, [ValidatePayoutInput]>('validateByPartner');
export const rejectPayoutUpdate = defineUpdate<PayoutState, [RejectPayoutInput]>('reject');
export const cancelPayoutUpdate = defineUpdate<PayoutState, [CancelPayoutInput]>('cancel');
export const releasePayoutUpdate = defineUpdate<PayoutState, [ReleasePayoutInput]>('release');
export const markPayoutProcessingUpdate = defineUpdate<PayoutState, [MarkPayoutProcessingInput]>('markProcessing');
export const completePayoutUpdate = defineUpdate<PayoutState, [CompletePayoutInput]>('complete');
export const failPayoutUpdate = defineUpdate<PayoutState, [FailPayoutInput]>('fail');
export const providerResultSignal = defineSignal<[ProviderResultInput]>('providerResult');
/**
 * A cause of holds cleared (a dispute closed, an account review or debt flag cleared; workflows/payout-holds.ts):
 * a HELD payout runs its checklist now instead of at the next re-check. Any other status ignores it.
 */
export const holdCauseClearedSignal = defineSignal<[{ reason: string }]>('holdCauseCleared');

/**
 * A pay run's set-based approval (docs/rules.md#pay-runs, fan-out design 2): the run already recorded this approval
 * (and, when it completed an automatic payout's chain, the start of its processing) in the database, in one
 * transaction for its chunk; the signal tells the payout to take it into its state and go on. Repeated signals of
 * one decision are ignored.
 */
export interface PayRunApprovedInput {
  runId: string;
  decisionId: string;
  actor: PayoutActor;
  step: number;
  at: string;
  completesChain: boolean;
  /** The start of automatic processing recorded with the approval (null: not started by the run). */
  start: { started: boolean; switches: PayoutSwitches | null } | null;
}
export const payRunApprovedSignal = defineSignal<[PayRunApprovedInput]>('payRunApproved');

/** The payout lifecycle's workflow id: one workflow per payout, addressed by its id. */
export const payoutWorkflowId = (payoutId: string) => `payout-${payoutId}`;
