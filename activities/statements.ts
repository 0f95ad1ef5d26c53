import { ApplicationFailure } from '@temporalio/common';
import type { Database } from '../db/pool.ts';
import { ProviderRequestRejectedError } from '../providers/adapter.ts';
import {
  isSettlementStatementSource,
  matchDay,
  recordProviderStatement,
  recordStatementMissing,
  statementSources,
  type MatchDayResult,
} from '../modules/reconciliation/statement-store.ts';

/**
 * Statement matching inside `reconciliation-<date>` (docs/rules.md#statement-matching): fetch and store the provider's
 * statement of the day, match each source's statement, record a missing statement. Each is idempotent per day.
 */
export function createStatementActivities({ database, provider }: { database: Database; provider: unknown }) {
  return {
    /**
     * Fetches the provider's statement of the day and stores it (once: a stored one stands). A provider that cannot be
     * reached throws, and Temporal retries; with no provider able to give statements the answer is NO_PROVIDER.
     */
    async fetchProviderStatement(input: { day: string }): Promise<{ status: 'STORED' | 'ALREADY_STORED' | 'NO_PROVIDER'; lines: number }> {
      if (!isSettlementStatementSource(provider)) return { status: 'NO_PROVIDER', lines: 0 };
      let statement;
      try {
        statement = await provider.settlementStatement(input.day);
      } catch (error) {
        // A 4xx is our request's fault: retrying the same request cannot cure it.
        if (error instanceof ProviderRequestRejectedError) throw ApplicationFailure.nonRetryable(error.message, 'StatementRequestRejected');
        throw error;
      }
      const stored = await recordProviderStatement(database, { day: input.day, statement, receivedBy: `system:provider:${provider.name}` });
      return { status: stored ? 'STORED' : 'ALREADY_STORED', lines: statement.lines.length };
    },

    /** Records the day's provider statement as missing (deduplicated per day). */
    async recordProviderStatementMissing(input: { day: string; detail: string }): Promise<void> {
      await recordStatementMissing(database, input);
    },

    /** Matches the day's payouts of each source against its statements; idempotent. */
    async matchStatements(input: { day: string }): Promise<MatchDayResult[]> {
      const results: MatchDayResult[] = [];
      for (const source of statementSources) results.push(await matchDay(database, { day: input.day, source, actor: 'system:statement-matching' }));
      return results;
    },
  };
}

export type StatementActivities = ReturnType<typeof createStatementActivities>;
