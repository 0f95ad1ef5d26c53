import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DisputeActor, DisputeResolutionInput, DisputeState } from '../domain/dispute.ts';
import type { CheckerNeeded } from '../domain/four-eyes.ts';

/**
 * Messages of `dispute-<id>`. Every update carries who acts, as the API verified them (session, permission, and a
 * fresh TOTP for a resolution that moves money); the validators refuse what the state does not allow before
 * anything is recorded.
 */

/** The ApplicationFailure type of a refusal (the workflow's validators and its activities); its details are a Refusal. */
export const disputeRefusedType = 'DisputeRefused';

/** The partner's evidence, stored by the API (`dispute_evidence`) before the update. */
export interface ProvideDisputeEvidenceInput {
  actor: DisputeActor;
  evidenceId: string;
}

export interface AssignDisputeInput {
  actor: DisputeActor;
  /** The reviewer (the actor themself when they claim it). */
  assigneeId: string;
}

export interface ResolveDisputeInput {
  actor: DisputeActor;
  resolution: DisputeResolutionInput;
  ip?: string | null;
  /**
   * Set by the API when a CORRECTION or GOODWILL is above the four-eyes threshold (docs/rules.md#four-eyes): the
   * workflow holds it for a second person instead of posting it. Absent in resolutions sent before four eyes existed.
   */
  fourEyes?: CheckerNeeded | null;
}

/** A second person's decision on a held resolution: the actor the API verified with a fresh TOTP code. */
export interface DecideDisputeResolutionInput {
  actor: DisputeActor;
  reason?: string | null;
  ip?: string | null;
}

export interface RequestDisputeEscalationInput {
  actor: DisputeActor;
  reason: string;
}

export const provideDisputeEvidenceUpdate = defineUpdate<DisputeState, [ProvideDisputeEvidenceInput]>('provideDisputeEvidence');
export const assignDisputeUpdate = defineUpdate<DisputeState, [AssignDisputeInput]>('assignDispute');
/** A resolution: returns once any correction is posted and the state recorded. */
export const resolveDisputeUpdate = defineUpdate<DisputeState, [ResolveDisputeInput]>('resolveDispute');
export const approveDisputeResolutionUpdate = defineUpdate<DisputeState, [DecideDisputeResolutionInput]>('approveDisputeResolution');
export const rejectDisputeResolutionUpdate = defineUpdate<DisputeState, [DecideDisputeResolutionInput]>('rejectDisputeResolution');
export const requestDisputeEscalationUpdate = defineUpdate<DisputeState, [RequestDisputeEscalationInput]>('requestDisputeEscalation');
export const getDisputeStateQuery = defineQuery<DisputeState>('getDisputeState');

/** The dispute lifecycle's workflow id. */
export const disputeWorkflowId = (disputeId: string) => `dispute-${disputeId}`;
