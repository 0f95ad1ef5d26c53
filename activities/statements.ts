import { ApplicationFailure } from '@temporalio/common';
import type { Database } from '../db/pool.ts';
import { DomainError } from '../domain/errors.ts';
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
      const stored = await signedDayIsNoOp(recordProviderStatement(database, { day: input.day, statement, receivedBy: `system:provider:${provider.name}` }), false);
      return { status: stored ? 'STORED' : 'ALREADY_STORED', lines: statement.lines.length };
    },

    /** Records the day's provider statement as missing (deduplicated per day). */
    async recordProviderStatementMissing(input: { day: string; detail: string }): Promise<void> {
      await signedDayIsNoOp(recordStatementMissing(database, input), 0);
    },

    /** Matches the day's payouts of each source against its statements; idempotent. */
    async matchStatements(input: { day: string }): Promise<MatchDayResult[]> {
      const results: MatchDayResult[] = [];
      for (const source of statementSources) {
        const result = await signedDayIsNoOp(matchDay(database, { day: input.day, source, actor: 'system:statement-matching' }), null);
        if (result) results.push(result);
      }
      return results;
    },
  };
}

export type StatementActivities = ReturnType<typeof createStatementActivities>;

/**
 * A day signed off while its workflow was between steps takes no more statements or exceptions: the step is then a
 * no-op (retrying could never succeed), and the workflow sees the signature at its next look.
 */
async function signedDayIsNoOp<T, F>(work: Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'already_signed') return fallback;
    throw error;
  }
}
