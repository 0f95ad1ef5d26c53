import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { bonusStatuses, type BonusRequest } from '../../domain/bonus.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/** The `bonuses` table: one row per requested bonus, PENDING until its workflow posts it (or gives up). */

export const bonusRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  amount: z.string(),
  currency: z.string(),
  reason: z.string(),
  status: z.enum(bonusStatuses),
  entry_id: z.string().nullable(),
  failure: z.string().nullable(),
  created_at: z.date(),
});
export type BonusRow = z.infer<typeof bonusRow>;

/**
 * Records a requested bonus (status PENDING) and its BONUS_CREATE audit record, on the caller's connection so
 * both commit with whatever else the caller writes. The workflow started afterwards posts it.
 */
export async function recordBonusRequest(connection: CommonQueryMethods, request: BonusRequest): Promise<BonusRow> {
  const row = await connection.one(sql.type(bonusRow)`
    INSERT INTO bonuses (id, partner_id, amount, currency, reason, status, created_by)
    VALUES (${request.bonusId}, ${request.partnerId}, ${request.amount}, ${request.currency}, ${request.reason},
            'PENDING', ${request.actorUserId})
    RETURNING id, partner_id, amount, currency, reason, status, entry_id, failure, created_at`);
  await appendAuditRecord(connection, {
    action: 'BONUS_CREATE',
    actor: request.actorUserId,
    targetType: 'partner',
    targetId: request.partnerId,
    amount: request.amount,
    currency: request.currency,
    reason: request.reason,
    ip: request.ip,
    details: { bonusId: request.bonusId },
  });
  return row;
}

export async function findBonus(connection: CommonQueryMethods, bonusId: string): Promise<BonusRow | null> {
  return connection.maybeOne(sql.type(bonusRow)`
    SELECT id, partner_id, amount, currency, reason, status, entry_id, failure, created_at FROM bonuses WHERE id = ${bonusId}`);
}

/** A PENDING bonus becomes FAILED with why (a refused posting, or a workflow that could not be started). */
export async function markBonusFailed(connection: CommonQueryMethods, bonusId: string, failure: string): Promise<void> {
  await connection.query(sql.unsafe`
    UPDATE bonuses SET status = 'FAILED', failure = ${failure}, completed_at = now()
    WHERE id = ${bonusId} AND status = 'PENDING'`);
}
