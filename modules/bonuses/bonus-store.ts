import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { bonusStatuses, type BonusDecisionActor, type BonusRequest } from '../../domain/bonus.ts';
import { DomainError } from '../../domain/errors.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/**
 * The `bonuses` table: one row per requested bonus, AWAITING_APPROVAL while a second person is needed
 * (docs/rules.md#four-eyes), PENDING until its workflow posts it (or gives up).
 */

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
  created_by: z.string(),
  needs_approval: z.boolean(),
  amount_rub: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_at: z.date().nullable(),
  idempotency_key: z.string().nullable(),
});
export type BonusRow = z.infer<typeof bonusRow>;

/**
 * Records a requested bonus (status PENDING) and its BONUS_CREATE audit record, on the caller's connection so
 * both commit with whatever else the caller writes. The workflow started afterwards posts it.
 */
const bonusColumns = sql.fragment`
  id, partner_id, amount, currency, reason, status, entry_id, failure, created_at, created_by::text AS created_by, needs_approval,
  amount_rub::text AS amount_rub, decided_by::text AS decided_by, decided_at, idempotency_key`;

export async function recordBonusRequest(
  connection: CommonQueryMethods,
  request: BonusRequest,
  extra: { idempotencyKey?: string | null; amountRub?: string | null } = {},
): Promise<BonusRow> {
  const needsApproval = Boolean(request.approval);
  const row = await connection.one(sql.type(bonusRow)`
    INSERT INTO bonuses (id, partner_id, amount, currency, reason, status, created_by, idempotency_key, amount_rub, needs_approval)
    VALUES (${request.bonusId}, ${request.partnerId}, ${request.amount}, ${request.currency}, ${request.reason},
            ${needsApproval ? 'AWAITING_APPROVAL' : 'PENDING'}, ${request.actorUserId}, ${extra.idempotencyKey ?? null},
            ${extra.amountRub ?? null}, ${needsApproval})
    RETURNING ${bonusColumns}`);
  await appendAuditRecord(connection, {
    action: 'BONUS_CREATE',
    actor: request.actorUserId,
    targetType: 'partner',
    targetId: request.partnerId,
    amount: request.amount,
    currency: request.currency,
    reason: request.reason,
    ip: request.ip,
    details: { bonusId: request.bonusId, needsApproval, amountRub: extra.amountRub ?? null, checkerRoles: request.approval?.checkerRoles ?? null },
  });
  return row;
}

export async function findBonus(connection: CommonQueryMethods, bonusId: string): Promise<BonusRow | null> {
  return connection.maybeOne(sql.type(bonusRow)`SELECT ${bonusColumns} FROM bonuses WHERE id = ${bonusId}`);
}

/** The bonus a maker requested with this Idempotency-Key, if any (the key names at most one: a unique index). */
export async function findBonusByIdempotencyKey(connection: CommonQueryMethods, makerUserId: string, key: string): Promise<BonusRow | null> {
  return connection.maybeOne(sql.type(bonusRow)`
    SELECT ${bonusColumns} FROM bonuses WHERE created_by = ${makerUserId} AND idempotency_key = ${key}`);
}

/** Bonuses waiting for a second person, oldest first (the checkers' queue). */
export async function listBonusesAwaitingApproval(connection: CommonQueryMethods): Promise<readonly BonusRow[]> {
  return connection.any(sql.type(bonusRow)`
    SELECT ${bonusColumns} FROM bonuses WHERE status = 'AWAITING_APPROVAL' ORDER BY created_at LIMIT 1000`);
}

const decidedRow = z.object({ partner_id: z.string(), amount: z.string(), currency: z.string(), status: z.string() });

/**
 * A checker's decision (or the end of the wait: `actor` null, EXPIRED) on a bonus AWAITING_APPROVAL, with its audit
 * record: APPROVED moves it to PENDING (its workflow posts it next), REJECTED and EXPIRED end it. Keyed by the
 * status: a retried activity finds the decision made and records nothing twice.
 */
export async function recordBonusDecision(
  connection: CommonQueryMethods,
  input: { bonusId: string; decision: 'APPROVED' | 'REJECTED' | 'EXPIRED'; actor: BonusDecisionActor | null; reason: string | null; ip?: string | null },
): Promise<void> {
  const statusAfter = input.decision === 'APPROVED' ? 'PENDING' : input.decision;
  const row = await connection.maybeOne(sql.type(decidedRow)`
    UPDATE bonuses SET status = ${statusAfter}, decided_by = ${input.actor?.userId ?? null}, decided_at = now(),
      completed_at = ${statusAfter === 'PENDING' ? null : sql.fragment`now()`}
    WHERE id = ${input.bonusId} AND status = 'AWAITING_APPROVAL'
    RETURNING partner_id, amount::text AS amount, currency, status`);
  if (!row) {
    const current = await connection.maybeOne(sql.type(z.object({ status: z.string() }))`SELECT status FROM bonuses WHERE id = ${input.bonusId}`);
    if (!current) throw new DomainError('not_found', 'bonus_not_found', `bonus ${input.bonusId} does not exist`);
    if (current.status === statusAfter || (statusAfter === 'PENDING' && ['COMPLETED', 'FAILED'].includes(current.status))) return;
    throw new DomainError('conflict', 'invalid_state', `the bonus is ${current.status}`, 'status');
  }
  await appendAuditRecord(connection, {
    action: `BONUS_${input.decision === 'APPROVED' ? 'APPROVE' : input.decision === 'REJECTED' ? 'REJECT' : 'EXPIRE'}`,
    actor: input.actor?.userId ?? 'system:bonus-workflow',
    targetType: 'partner',
    targetId: row.partner_id,
    amount: row.amount,
    currency: row.currency,
    reason: input.reason,
    ip: input.ip ?? null,
    details: { bonusId: input.bonusId, role: input.actor?.role ?? null },
  });
}

/** A bonus whose workflow could not be started is PENDING again when a retry with its key starts it (see modules/bonuses/start-bonus.ts). */
export async function reopenUnstartedBonus(connection: CommonQueryMethods, bonusId: string): Promise<void> {
  await connection.query(sql.unsafe`
    UPDATE bonuses SET status = CASE WHEN needs_approval THEN 'AWAITING_APPROVAL' ELSE 'PENDING' END, failure = NULL, completed_at = NULL
    WHERE id = ${bonusId} AND status = 'FAILED' AND entry_id IS NULL AND failure = ${workflowNotStarted}`);
}

/** The failure recorded on a bonus whose workflow could not be started. */
export const workflowNotStarted = 'the workflow could not be started';

/** A PENDING bonus becomes FAILED with why (a refused posting, or a workflow that could not be started). */
export async function markBonusFailed(connection: CommonQueryMethods, bonusId: string, failure: string): Promise<void> {
  await connection.query(sql.unsafe`
    UPDATE bonuses SET status = 'FAILED', failure = ${failure}, completed_at = now()
    WHERE id = ${bonusId} AND status IN ('PENDING', 'AWAITING_APPROVAL')`);
}
