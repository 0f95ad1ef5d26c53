import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { payoutStatuses, type PayoutStatus } from '../../domain/payout.ts';
import { detailsChangedSinceMany, type DetailsChange } from './details-change.ts';

/**
 * Payments history and search (docs: docs/rules.md#payment-history): payouts newest first,
 * each with the copy of the payment details it was (or is to be) paid to and whether they changed since the
 * partner's previous completed payout by the same method.
 */
const historyRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  partner_name: z.string(),
  method_id: z.string(),
  currency: z.string(),
  amount: z.string(),
  fee: z.string(),
  amount_to_transfer: z.string(),
  status: z.enum(payoutStatuses),
  payment_details: z.record(z.string()),
  external_reference: z.string().nullable(),
  provider_reference: z.string().nullable(),
  created_at: z.date(),
  closed_at: z.date().nullable(),
  cursor_time: z.string(),
});

export type PaymentHistoryRow = z.infer<typeof historyRow> & { detailsChange: DetailsChange };

export interface PaymentHistoryQuery {
  partnerId?: string;
  methodId?: string;
  status?: PayoutStatus;
  /** Drafts are not payments: listed only when an admin asks for them by status. */
  includeDrafts: boolean;
  /** Free text matched against the payment details, references, and the partner's id and name. */
  text?: string;
  /** Continue after this (created_at, id), newest first. */
  after?: { cursorTime: string; id: string };
  limit: number;
}

/** ILIKE's wildcards and its escape character, taken literally. */
export function likePattern(text: string): string {
  return `%${text.replaceAll(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

export async function searchPaymentHistory(database: Database, query: PaymentHistoryQuery): Promise<PaymentHistoryRow[]> {
  const conditions = [sql.fragment`TRUE`];
  if (query.partnerId) conditions.push(sql.fragment`p.partner_id = ${query.partnerId}`);
  if (query.methodId) conditions.push(sql.fragment`p.method_id = ${query.methodId}`);
  if (query.status) conditions.push(sql.fragment`p.status = ${query.status}`);
  if (!query.includeDrafts) conditions.push(sql.fragment`p.status <> 'DRAFT'`);
  if (query.after) {
    conditions.push(sql.fragment`(p.created_at, p.id) < (${query.after.cursorTime}::timestamptz, ${query.after.id}::uuid)`);
  }
  if (query.text) {
    // Two searches, each able to use its trigram index (migration 009): the payout's own text, and its partner's
    // id and name. An OR across the join would scan every payout instead.
    const pattern = likePattern(query.text);
    conditions.push(sql.fragment`p.id IN (
      SELECT s.id FROM payouts s
      WHERE payout_search_text(s.payment_details, s.external_reference, s.provider_reference) ILIKE ${pattern}
      UNION
      SELECT s.id FROM payouts s JOIN partners sp ON sp.id = s.partner_id
      WHERE sp.name ILIKE ${pattern} OR sp.id ILIKE ${pattern})`);
  }
  const rows = await database.any(sql.type(historyRow)`
    SELECT p.id, p.partner_id, pa.name AS partner_name, p.method_id, p.currency, p.amount, p.fee, p.amount_to_transfer,
           p.status, p.payment_details, p.external_reference, p.provider_reference, p.created_at, p.closed_at,
           to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time
    FROM payouts p JOIN partners pa ON pa.id = p.partner_id
    WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT ${query.limit}`);
  const changes = await detailsChangedSinceMany(database, rows.map((row) => row.id));
  return rows.map((row) => ({ ...row, detailsChange: changes.get(row.id) ?? { changedFields: [], previousPayoutId: null } }));
}
