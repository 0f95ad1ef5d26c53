import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { CommissionBreakdown, IncomeType, SourceType } from '../../domain/commission.ts';
import { appendAuditRecords } from '../audit/audit-store.ts';

export interface NewCommission {
  eventId: string | null;
  poolRunId: string | null;
  partnerId: string;
  incomeType: IncomeType;
  level: number;
  sourceType: SourceType | 'POOL';
  base: string;
  rate: string;
  amount: string;
  currency: string;
  releaseAt: Date;
  breakdown: CommissionBreakdown | Record<string, unknown>;
  policyVersion: number;
}

/**
 * Inserts commissions (status PENDING) and their COMMISSION_CREATE audit records in one round trip each, on the
 * caller's connection, inside the transaction that posts their ledger entry (before it, so the balances that
 * entry locks are held for as short a time as possible). Returns ids in input order.
 */
export async function insertCommissions(
  connection: CommonQueryMethods,
  rows: readonly NewCommission[],
  actor: string,
): Promise<string[]> {
  if (rows.length === 0) return [];
  const column = <T>(pick: (row: NewCommission) => T) => rows.map(pick);
  const ids = await connection.manyFirst(sql.type(z.object({ id: z.string() }))`
    INSERT INTO commissions (event_id, pool_run_id, partner_id, income_type, level, source_type, base, rate, amount,
                             currency, status, release_at, breakdown, policy_version)
    SELECT event_id, pool_run_id, partner_id, income_type, level, source_type, base, rate, amount, currency,
           'PENDING', release_at, breakdown, policy_version
    FROM unnest(
      ${sql.array(column((row) => row.eventId), 'int8')}, ${sql.array(column((row) => row.poolRunId), 'int8')},
      ${sql.array(column((row) => row.partnerId), 'text')}, ${sql.array(column((row) => row.incomeType), 'int2')},
      ${sql.array(column((row) => row.level), 'int4')}, ${sql.array(column((row) => row.sourceType), 'text')},
      ${sql.array(column((row) => row.base), 'numeric')}, ${sql.array(column((row) => row.rate), 'numeric')},
      ${sql.array(column((row) => row.amount), 'numeric')}, ${sql.array(column((row) => row.currency), 'text')},
      ${sql.array(column((row) => row.releaseAt.toISOString()), 'timestamptz')},
      ${sql.array(column((row) => JSON.stringify(row.breakdown)), 'jsonb')},
      ${sql.array(column((row) => row.policyVersion), 'int4')}
    ) WITH ORDINALITY AS r(event_id, pool_run_id, partner_id, income_type, level, source_type, base, rate, amount,
                           currency, release_at, breakdown, policy_version, position)
    ORDER BY position
    RETURNING id`);
  await appendAuditRecords(
    connection,
    rows.map((row, index) => ({
      action: 'COMMISSION_CREATE' as const,
      actor,
      targetType: 'commission',
      targetId: ids[index]!,
      amount: row.amount,
      currency: row.currency,
      details: { incomeType: row.incomeType, level: row.level, eventId: row.eventId, poolRunId: row.poolRunId },
    })),
  );
  return [...ids];
}
