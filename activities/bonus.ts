import type { BonusRequest } from '../domain/bonus.ts';
import { DomainError, domainErrorFailure } from '../domain/errors.ts';
import { markBonusFailed } from '../modules/bonuses/bonus-store.ts';
import { postBonus } from '../modules/bonuses/post-bonus.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';

/** The failure type of each refusal, as the workflow lists them non-retryable (workflows/bonus.ts). */
const refusalTypes: Record<string, string> = { bonus_not_found: 'BonusNotFound', partner_not_found: 'PartnerNotFound' };

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

    async markBonusFailed({ bonusId, failure }: { bonusId: string; failure: string }): Promise<void> {
      await markBonusFailed(ledger.database, bonusId, failure);
    },
  };
}

export type BonusActivities = ReturnType<typeof createBonusActivities>;
