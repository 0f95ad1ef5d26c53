import type { BonusDecisionActor, BonusRequest } from '../domain/bonus.ts';
import { DomainError, domainErrorFailure } from '../domain/errors.ts';
import { markBonusFailed, recordBonusDecision } from '../modules/bonuses/bonus-store.ts';
import { postBonus } from '../modules/bonuses/post-bonus.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';

/** The failure type of each refusal, as the workflow lists them non-retryable (workflows/bonus.ts). */
const refusalTypes: Record<string, string> = {
  bonus_not_found: 'BonusNotFound', partner_not_found: 'PartnerNotFound', bonus_not_approved: 'BonusRefused', invalid_state: 'BonusRefused',
};

export function createBonusActivities({ ledger }: { ledger: LedgerStore }) {
  return {
    async postBonus(request: BonusRequest): Promise<{ entryId: string }> {
      try {
        return await postBonus(ledger, request);
      } catch (error) {
        if (error instanceof DomainError && refusalTypes[error.code]) throw domainErrorFailure(refusalTypes[error.code]!, error);
        throw error;
      }
    },

    /** A checker's decision, or the end of the wait (docs/rules.md#four-eyes), with its audit record. */
    async recordBonusDecision(input: {
      bonusId: string; decision: 'APPROVED' | 'REJECTED' | 'EXPIRED'; actor: BonusDecisionActor | null; reason: string | null; ip: string | null;
    }): Promise<void> {
      try {
        await recordBonusDecision(ledger.database, input);
      } catch (error) {
        if (error instanceof DomainError && refusalTypes[error.code]) throw domainErrorFailure(refusalTypes[error.code]!, error);
        throw error;
      }
    },

    async markBonusFailed({ bonusId, failure }: { bonusId: string; failure: string }): Promise<void> {
      await markBonusFailed(ledger.database, bonusId, failure);
    },
  };
}

export type BonusActivities = ReturnType<typeof createBonusActivities>;
