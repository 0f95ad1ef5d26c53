import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { lockSavedDetails, saveAndRecordDetails, type DetailsChanger } from './payment-details-changes.ts';

/** The details a partner keeps for one payment method, and what changed since their last completed payout by it. */
export interface SavedPaymentMethod {
  methodId: string;
  details: Record<string, string>;
  updatedAt: Date;
  /** Fields whose values differ from the last completed payout's copy (empty when there was none). */
  changedSinceLastCompleted: string[];
  lastCompletedPayoutId: string | null;
}

const savedRow = z.object({
  method_id: z.string(),
  details: z.record(z.string()),
  updated_at: z.date(),
  last_completed_id: z.string().nullable(),
  last_completed_details: z.record(z.string()).nullable(),
});

/** The fields whose values differ between two sets of details (added and removed fields included). */
function changedFields(current: Record<string, string>, previous: Record<string, string> | null): string[] {
  if (previous === null) return [];
  return [...new Set([...Object.keys(current), ...Object.keys(previous)])].filter((key) => current[key] !== previous[key]).sort();
}

/** A partner's saved details, every method or one. */
export async function savedPaymentMethods(connection: CommonQueryMethods, partnerId: string, methodId: string | null = null): Promise<SavedPaymentMethod[]> {
  const rows = await connection.any(sql.type(savedRow)`
    SELECT m.method_id, m.details, m.updated_at, last.id AS last_completed_id, last.payment_details AS last_completed_details
    FROM partner_payment_methods m
    LEFT JOIN LATERAL (
      SELECT id, payment_details FROM payouts
      WHERE partner_id = m.partner_id AND method_id = m.method_id AND status = 'COMPLETED'
      ORDER BY closed_at DESC, id DESC LIMIT 1
    ) last ON TRUE
    WHERE m.partner_id = ${partnerId} ${methodId === null ? sql.fragment`` : sql.fragment`AND m.method_id = ${methodId}`}
    ORDER BY m.method_id`);
  return rows.map((row) => ({
    methodId: row.method_id,
    details: row.details,
    updatedAt: row.updated_at,
    changedSinceLastCompleted: changedFields(row.details, row.last_completed_details),
    lastCompletedPayoutId: row.last_completed_id,
  }));
}

/**
 * Saves a partner's details for a method (validated by the caller against the method's fields). A change is recorded,
 * audited as PARTNER_CHANGE with the fields it touched and masked values, and e-mailed to the partner
 * (payment-details-changes.ts, docs/rules.md#details-change-controls): the audit log is read more widely than
 * payment details should be.
 */
export async function savePaymentMethod(
  database: Database,
  input: { partnerId: string; methodId: string; details: Record<string, string>; changer: DetailsChanger; ip: string | null },
): Promise<SavedPaymentMethod> {
  const { partnerId, methodId, details } = input;
  await database.transaction(async (transaction) => {
    const before = await lockSavedDetails(transaction, partnerId, methodId);
    await saveAndRecordDetails(transaction, { partnerId, methodId, before, after: details, changer: input.changer, source: 'SAVED_METHOD', ip: input.ip });
  });
  return (await savedPaymentMethods(database, partnerId, methodId))[0]!;
}
