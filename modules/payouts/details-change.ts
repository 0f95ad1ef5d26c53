import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

/**
 * docs/rules.md#details-changed: before paying, warn when the partner's payment details changed since their last completed
 * payout, and show which fields changed. "Their last completed payout" for a payout P is the latest COMPLETED
 * payout of the same partner and method requested before P; both sides are the payouts' own copies of the
 * details, so the answer never changes after the fact.
 */
export interface DetailsChange {
  /** Keys added, removed or changed since the previous completed payout, sorted; empty when none or no previous. */
  changedFields: string[];
  previousPayoutId: string | null;
}

const comparisonRow = z.object({
  id: z.string(),
  payment_details: z.record(z.string()),
  previous_id: z.string().nullable(),
  previous_details: z.record(z.string()).nullable(),
});

/** The keys whose values differ between two copies of payment details (a key on one side only counts). */
export function changedDetailFields(previous: Readonly<Record<string, string>>, current: Readonly<Record<string, string>>): string[] {
  const keys = new Set([...Object.keys(previous), ...Object.keys(current)]);
  return [...keys]
    .filter((key) => !Object.hasOwn(previous, key) || !Object.hasOwn(current, key) || previous[key] !== current[key])
    .sort();
}

/** What changed for each of the payouts (one query); payouts that do not exist are absent from the map. */
export async function detailsChangedSinceMany(connection: CommonQueryMethods, payoutIds: readonly string[]): Promise<Map<string, DetailsChange>> {
  if (payoutIds.length === 0) return new Map();
  const rows = await connection.any(sql.type(comparisonRow)`
    SELECT p.id, p.payment_details, previous.id AS previous_id, previous.payment_details AS previous_details
    FROM payouts p
    LEFT JOIN LATERAL (
      SELECT q.id, q.payment_details FROM payouts q
      WHERE q.partner_id = p.partner_id AND q.method_id = p.method_id AND q.status = 'COMPLETED'
        AND (q.created_at, q.id) < (p.created_at, p.id)
      ORDER BY q.created_at DESC, q.id DESC
      LIMIT 1
    ) previous ON TRUE
    WHERE p.id = ANY(${sql.array([...payoutIds], 'uuid')})`);
  return new Map(
    rows.map((row) => [
      row.id,
      {
        changedFields: row.previous_details ? changedDetailFields(row.previous_details, row.payment_details) : [],
        previousPayoutId: row.previous_id,
      },
    ]),
  );
}

/** What changed in one payout's details since the partner's previous completed payout by the same method. */
export async function detailsChangedSince(connection: CommonQueryMethods, payoutId: string): Promise<DetailsChange> {
  const change = (await detailsChangedSinceMany(connection, [payoutId])).get(payoutId);
  if (!change) throw new Error(`payout ${payoutId} does not exist`);
  return change;
}
