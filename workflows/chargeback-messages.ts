import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ChargebackActor, ChargebackOutcome, ChargebackState, ChargebackStep } from '../domain/chargeback.ts';

/**
 * Messages of `chargeback-<id>`. Every step and decision carries who acts: an admin the API verified (session,
 * permission, and a fresh TOTP for a decision), or the provider (its signed webhook). The validators refuse what the
 * state does not allow, before anything is recorded.
 */

/** The ApplicationFailure type of a refusal (the workflow's validators and its activities); its details are a Refusal. */
export const chargebackRefusedType = 'ChargebackRefused';

export interface ChargebackStepInput {
  actor: ChargebackActor;
  step: ChargebackStep;
  note?: string | null;
}

export interface ChargebackDecisionInput {
  actor: ChargebackActor;
  outcome: ChargebackOutcome;
  /** PARTIAL: the part of the chargeback amount won (order currency). */
  amountWon?: string | null;
  note?: string | null;
}

/** An investigation step (EVIDENCE_GATHERED, SUBMITTED_TO_PROVIDER, AWAITING_DECISION) with its note. */
export const recordChargebackStepUpdate = defineUpdate<ChargebackState, [ChargebackStepInput]>('recordChargebackStep');
/** The outcome: the update returns once the re-credit (if any) is posted and the flag cleared. */
export const decideChargebackUpdate = defineUpdate<ChargebackState, [ChargebackDecisionInput]>('decideChargeback');
export const getChargebackStateQuery = defineQuery<ChargebackState>('getChargebackState');

/** The chargeback lifecycle's workflow id. */
export const chargebackWorkflowId = (chargebackId: string) => `chargeback-${chargebackId}`;

export const chargebackMonitoringWorkflowId = (chargebackId: string) => `chargeback-monitoring-${chargebackId}`;
