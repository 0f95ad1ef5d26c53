import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

/**
 * Aggregates for the web console's charts and its history panels (issue #6). Amounts are decimal strings summed by
 * PostgreSQL's NUMERIC (never a float), one row per currency so nothing of two currencies is ever added together.
 * Ranges are [from, to) on the rows' creation time, as ISO 8601 instants.
 */

export interface ReportRange {
  from: string;
  to: string;
}

const payoutRow = z.object({ bucket: z.string(), status: z.string(), method_id: z.string(), currency: z.string(), count: z.number(), amount: z.string() });

/** Payouts per period (`bucket`: the period's first UTC day, YYYY-MM-DD), status and method, oldest period first. */
export async function payoutsByStatusMethod(connection: CommonQueryMethods, range: ReportRange & { bucket: 'day' | 'week' | 'month' }) {
  const rows = await connection.any(sql.type(payoutRow)`
    SELECT to_char(date_trunc(${range.bucket}::text, created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS bucket,
           status, method_id, currency, count(*)::int AS count, sum(amount)::text AS amount
    FROM payouts
    WHERE created_at >= ${range.from} AND created_at < ${range.to}
    GROUP BY 1, status, method_id, currency
    ORDER BY 1, status, method_id, currency`);
  return rows.map((row) => ({ bucket: row.bucket, status: row.status, methodId: row.method_id, currency: row.currency, count: row.count, amount: row.amount }));
}

const commissionRow = z.object({ level: z.number(), source_type: z.string(), currency: z.string(), count: z.number(), amount: z.string() });

/** Commissions created in the range per level and source type. */
export async function commissionsByLevelSource(connection: CommonQueryMethods, range: ReportRange) {
  const rows = await connection.any(sql.type(commissionRow)`
    SELECT level, source_type, currency, count(*)::int AS count, sum(amount)::text AS amount
    FROM commissions
    WHERE created_at >= ${range.from} AND created_at < ${range.to}
    GROUP BY level, source_type, currency
    ORDER BY level, source_type, currency`);
  return rows.map((row) => ({ level: row.level, sourceType: row.source_type, currency: row.currency, count: row.count, amount: row.amount }));
}

