import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { RebuildFinding } from '../../domain/reconciliation.ts';

/**
 * The independent rebuild check (docs/rules.md#ledger-rebuild-check): every account's balance rebuilt from its
 * postings against its cached balance, every entry summing to zero per currency, no constrained account past its
 * limit, and the rest of the ledger's invariants. The SQL is one database function, `ledger_rebuild_findings()`
 * (migration 033), so the daily reconciliation and the tests' `assertLedgerInvariants` run the very same check.
 */

/** The checks, in the order the function reports them, with what each finding means. */
export const rebuildChecks = {
  drifted_balance: 'accounts whose cached balance differs from the sum of their postings',
  malformed_posting: 'postings in the wrong currency, finer than its scale, or zero',
  misshapen_balances: 'accounts whose balance rows do not match their stripes or limits',
  outside_limits: 'constrained accounts outside their limits',
  thin_entry: 'journal entries with fewer than 2 postings',
  unbalanced_currency: 'currencies in which the ledger does not sum to zero',
  unbalanced_entry: 'journal entries not summing to zero per currency',
} as const;
export type RebuildCheck = keyof typeof rebuildChecks;

/** The statement both callers run; read in one snapshot (it is a single statement). */
export const rebuildFindingsQuery = 'SELECT check_name, subject, detail FROM ledger_rebuild_findings()';

const findingRow = z.object({ check_name: z.string(), subject: z.string(), detail: z.record(z.unknown()) });

/** The rebuild findings on a slonik connection (the application's). */
export async function rebuildFindings(connection: CommonQueryMethods): Promise<RebuildFinding[]> {
  const rows = await connection.any(sql.type(findingRow)`SELECT check_name, subject, detail FROM ledger_rebuild_findings()`);
  return rows.map((row) => ({ check: row.check_name, subject: row.subject, detail: row.detail }));
}

/** The same on any client with pg's `query(text)` (the tests' helper connects with pg directly). */
export async function rebuildFindingsWith(client: { query(text: string): Promise<{ rows: unknown[] }> }): Promise<RebuildFinding[]> {
  const { rows } = await client.query(rebuildFindingsQuery);
  return rows.map((row) => {
    const parsed = findingRow.parse(row);
    return { check: parsed.check_name, subject: parsed.subject, detail: parsed.detail };
  });
}
