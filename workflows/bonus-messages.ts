import { defineQuery } from '@temporalio/workflow';
import type { BonusStatus } from '../domain/bonus.ts';

export interface BonusState {
  status: BonusStatus;
  entryId: string | null;
  failure: string | null;
  /** The policy version the lifecycle started under (docs/rules.md#policy). */
  policyVersion: number;
}

export const getBonusStateQuery = defineQuery<BonusState>('getBonusState');

/** The bonus lifecycle's workflow id. */
export const bonusWorkflowId = (bonusId: string) => `bonus-${bonusId}`;
