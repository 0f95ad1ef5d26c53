import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { BonusDecisionActor, BonusStatus } from '../domain/bonus.ts';

export interface BonusState {
  status: BonusStatus;
  entryId: string | null;
  failure: string | null;
  /** The policy version the lifecycle started under (docs/rules.md#policy). */
  policyVersion: number;
  /** The checker who approved or rejected it (docs/rules.md#four-eyes); absent on bonuses that needed none. */
  decidedBy?: string | null;
}

/** A checker's decision: the actor the API verified (session, permission, a fresh TOTP code). */
export interface BonusDecisionInput {
  actor: BonusDecisionActor;
  reason?: string | null;
  ip?: string | null;
}

/** The failure type of a refused decision (its details: domain/errors.ts `Refusal`). */
export const bonusRefusedType = 'BonusRefused';

export const getBonusStateQuery = defineQuery<BonusState>('getBonusState');
export const approveBonusUpdate = defineUpdate<BonusState, [BonusDecisionInput]>('approveBonus');
export const rejectBonusUpdate = defineUpdate<BonusState, [BonusDecisionInput]>('rejectBonus');

/** The bonus lifecycle's workflow id. */
export const bonusWorkflowId = (bonusId: string) => `bonus-${bonusId}`;
