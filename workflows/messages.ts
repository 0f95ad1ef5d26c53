import { defineQuery } from '@temporalio/workflow';
import type { BonusStatus } from '../domain/bonus.ts';

export interface BonusState {
  status: BonusStatus;
  entryId: string | null;
  failure: string | null;
}

export const getBonusStateQuery = defineQuery<BonusState>('getBonusState');
