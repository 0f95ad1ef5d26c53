import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

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
const detailsRow = z.object({ details: z.record(z.string()) });

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
 * Saves a partner's details for a method (validated by the caller against the method's fields), audited as
 * PARTNER_CHANGE with the fields that changed, not their values: the audit log is read more widely than payment
 * details should be.
 */
export async function savePaymentMethod(
  database: Database,
  input: { partnerId: string; methodId: string; details: Record<string, string>; actor: string; ip: string | null },
): Promise<SavedPaymentMethod> {
  const { partnerId, methodId, details } = input;
  await database.transaction(async (transaction) => {
    const before = await transaction.maybeOneFirst(sql.type(detailsRow)`
      SELECT details FROM partner_payment_methods WHERE partner_id = ${partnerId} AND method_id = ${methodId} FOR UPDATE`);
    await transaction.query(sql.unsafe`
      INSERT INTO partner_payment_methods (partner_id, method_id, details) VALUES (${partnerId}, ${methodId}, ${sql.jsonb(details)})
      ON CONFLICT (partner_id, method_id) DO UPDATE SET details = EXCLUDED.details, updated_at = now()`);
    await appendAuditRecord(transaction, {
      action: 'PARTNER_CHANGE',
      actor: input.actor,
      targetType: 'partner',
      targetId: partnerId,
      ip: input.ip,
      details: { paymentMethod: methodId, changedFields: changedFields(details, before ?? {}), created: before === null },
    });
  });
  return (await savedPaymentMethods(database, partnerId, methodId))[0]!;
}
