import pg from 'pg';
import { expect } from 'vitest';
import { rebuildChecks, rebuildFindingsWith } from '../../modules/reconciliation/rebuild-check.ts';

/**
 * The ledger's invariants, checked with SQL over the whole database (docs/style.md#tests: "assert invariants after every
 * scenario"). Give it the owner URL of a test database, or a connected client (owner or application role; both
 * may read every table involved). Every failure message names the offending entries or accounts.
 *
 *   (i)   every journal entry has at least two postings and sums to zero in each currency; each posting is in
 *         its account's currency and within that currency's scale
 *   (ii)  each account's cached balance (the sum over its stripes in account_balances) equals the sum of its
 *         postings, and it has exactly `stripes` balance rows carrying the account's limits
 *   (iii) no constrained account is outside its limits (min_balance / max_balance)
 *   (iv)  the whole ledger sums to zero in each currency, over postings and over cached balances alike
 */
export async function assertLedgerInvariants(target: string | pg.ClientBase): Promise<void> {
  if (typeof target === 'string') {
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    try {
      await checkInvariants(client);
    } finally {
      await client.end();
    }
    return;
  }
  await checkInvariants(target);
}

async function checkInvariants(client: pg.ClientBase): Promise<void> {
  // One statement, so one snapshot: a writer committing meanwhile cannot make two checks disagree. The SQL is the
  // reconciliation's rebuild check (modules/reconciliation/rebuild-check.ts, migration 033), run here unchanged.
  const findings = await rebuildFindingsWith(client);
  for (const [check, meaning] of Object.entries(rebuildChecks)) {
    const rows = findings.filter((finding) => finding.check === check).map((finding) => finding.detail);
    expect(rows, `${meaning}: ${describe(rows)}`).toEqual([]);
  }
  const unknown = findings.filter((finding) => !(finding.check in rebuildChecks));
  expect(unknown, `rebuild findings of an unknown check: ${describe(unknown as never)}`).toEqual([]);
}

function describe(rows: Record<string, unknown>[]): string {
  return rows.map((row) => JSON.stringify(row)).join('; ');
}
