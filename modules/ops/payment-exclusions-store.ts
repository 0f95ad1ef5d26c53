import { sql, type CommonQueryMethods, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/money.ts';
import { matchValueProblem, type ExclusionMatchField } from '../../domain/ops-switches.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/**
 * The payments exclude list (docs/rules.md#payment-exclusions): while an exclusion is active, the pay
 * batch leaves the APPROVED commissions it covers where they are (`commission_approved`, status APPROVED), still
 * counted in every statistic; removing it lets the next pay batch pay them. Commissions already PAID are not
 * touched (no clawback): docs/rules.md#source-004 allows excluding a paid period, but that is a reversal, which has its own path.
 */

/**
 * The transaction-level lock between adding an exclusion and the pay batch. Each pay-batch transaction holds it
 * shared from its first statement; adding an exclusion takes it exclusively. So once an exclusion's add has
 * committed, no pay-batch transaction that started before it is still running, and every later one sees it:
 * nothing the exclusion covers is paid after the API answered 201.
 */
const exclusionLockKey = sql.fragment`hashtext('ledgerflow.payment_exclusions')`;

export async function lockPaymentExclusionsShared(transaction: DatabaseTransactionConnection): Promise<void> {
  await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock_shared(${exclusionLockKey})`);
}

/**
 * A condition, true when the commission row of `table` (the table's name or alias in the surrounding query) is
 * covered by an active exclusion: domain/ops-switches.ts `exclusionCovers`, in SQL. The transaction time is the
 * event's `completed_at`, or the commission's creation for a pool commission (which has no event).
 */
export function commissionExcludedFromPayment(table: string) {
  const c = sql.identifier([table]);
  return sql.fragment`EXISTS (
    SELECT 1 FROM payment_exclusions x
    LEFT JOIN commission_events xe ON xe.id = ${c}.event_id
    WHERE x.removed_at IS NULL
      AND CASE x.match_field WHEN 'SOURCE_TYPE' THEN x.match_value = ${c}.source_type
                             WHEN 'SOURCE_ID' THEN x.match_value = xe.source_id END
      AND coalesce(xe.completed_at, ${c}.created_at) >= x.from_at
      AND (x.to_at IS NULL OR coalesce(xe.completed_at, ${c}.created_at) < x.to_at))`;
}

const exclusionRow = z.object({
  id: z.string(),
  match_field: z.enum(['SOURCE_TYPE', 'SOURCE_ID']),
  match_value: z.string(),
  from_at: z.date(),
  to_at: z.date().nullable(),
  reason: z.string(),
  created_by: z.string(),
  created_at: z.date(),
  removed_by: z.string().nullable(),
  removed_at: z.date().nullable(),
  removal_reason: z.string().nullable(),
});
type ExclusionRow = z.infer<typeof exclusionRow>;
const exclusionColumns = sql.fragment`
  id, match_field, match_value, from_at, to_at, reason, created_by, created_at, removed_by, removed_at, removal_reason`;

const withheldRow = z.object({ exclusion_id: z.string(), currency: z.string(), commissions: z.number(), amount: z.string() });

export interface WithheldAmount {
  currency: string;
  /** APPROVED commissions the exclusion keeps out of the pay batch right now. */
  commissions: number;
  amount: string;
}

export interface PaymentExclusion {
  id: string;
  matchField: ExclusionMatchField;
  matchValue: string;
  from: Date;
  to: Date | null;
  reason: string;
  createdBy: string;
  createdAt: Date;
  removal: { by: string; at: Date; reason: string } | null;
  /** Filled by `list` for active exclusions; empty for removed ones. */
  withheld: WithheldAmount[];
}

/** A refused exclusion; `field` names the input field (`matchValue`, `from`, …). */
export class ExclusionInputError extends DomainError {
  declare readonly field: string;

  constructor(message: string, field: string) {
    super('invalid', 'invalid_request', message, field);
  }
}

export class ExclusionNotFoundError extends DomainError {
  constructor(readonly id: string) {
    super('not_found', 'not_found', `payment exclusion ${id} does not exist`, 'id');
  }
}

function toExclusion(row: ExclusionRow, withheld: WithheldAmount[] = []): PaymentExclusion {
  return {
    id: row.id,
    matchField: row.match_field,
    matchValue: row.match_value,
    from: row.from_at,
    to: row.to_at,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
    removal: row.removed_at ? { by: row.removed_by!, at: row.removed_at, reason: row.removal_reason! } : null,
    withheld,
  };
}

export class PaymentExclusionStore {
  constructor(readonly database: Database) {}

  /** Adds an exclusion and its POLICY_CHANGE audit record in one transaction (see the lock above). */
  async add(input: {
    matchField: ExclusionMatchField;
    matchValue: string;
    from: Date;
    to: Date | null;
    reason: string;
    actor: string;
    ip?: string | null;
  }): Promise<PaymentExclusion> {
    const problem = matchValueProblem(input.matchField, input.matchValue);
    if (problem) throw new ExclusionInputError(problem, 'matchValue');
    if (Number.isNaN(input.from.getTime())) throw new ExclusionInputError('from is not a valid time', 'from');
    if (input.to && !(input.to.getTime() > input.from.getTime())) throw new ExclusionInputError('to must be after from', 'to');
    if (!input.actor) throw new Error('an exclusion needs an actor');
    return this.database.transaction(async (transaction) => {
      await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(${exclusionLockKey})`);
      const row = await transaction.one(sql.type(exclusionRow)`
        INSERT INTO payment_exclusions (match_field, match_value, from_at, to_at, reason, created_by)
        VALUES (${input.matchField}, ${input.matchValue}, ${sql.timestamp(input.from)},
                ${input.to ? sql.timestamp(input.to) : null}, ${input.reason}, ${input.actor})
        RETURNING ${exclusionColumns}`);
      await appendAuditRecord(transaction, {
        action: 'POLICY_CHANGE', actor: input.actor, targetType: 'payment_exclusion', targetId: row.id,
        reason: input.reason, ip: input.ip ?? null,
        details: { change: 'exclusion_added', ...ruleDetails(row) },
      });
      return toExclusion(row);
    });
  }

  /**
   * Removes an exclusion (the next pay batch pays what it held back). Removing one that is removed already changes
   * nothing and writes no audit record: `changed` says which happened.
   */
  async remove(input: { id: string; reason: string; actor: string; ip?: string | null }): Promise<{ exclusion: PaymentExclusion; changed: boolean }> {
    if (!input.actor) throw new Error('a removal needs an actor');
    return this.database.transaction(async (transaction) => {
      const current = await transaction.maybeOne(sql.type(exclusionRow)`
        SELECT ${exclusionColumns} FROM payment_exclusions WHERE id = ${input.id} FOR UPDATE`);
      if (!current) throw new ExclusionNotFoundError(input.id);
      if (current.removed_at) return { exclusion: toExclusion(current), changed: false };
      const row = await transaction.one(sql.type(exclusionRow)`
        UPDATE payment_exclusions SET removed_by = ${input.actor}, removed_at = now(), removal_reason = ${input.reason}
        WHERE id = ${input.id}
        RETURNING ${exclusionColumns}`);
      await appendAuditRecord(transaction, {
        action: 'POLICY_CHANGE', actor: input.actor, targetType: 'payment_exclusion', targetId: row.id,
        reason: input.reason, ip: input.ip ?? null,
        details: { change: 'exclusion_removed', ...ruleDetails(row) },
      });
      return { exclusion: toExclusion(row), changed: true };
    });
  }

  /**
   * Exclusions newest first, each active one with what it withholds now (APPROVED commissions it covers, per
   * currency): the "shown as excluded in the payment details" in docs/rules.md#payment-exclusions.
   */
  async list(options: { active?: boolean; limit: number }, connection: CommonQueryMethods = this.database): Promise<PaymentExclusion[]> {
    const filter =
      options.active === undefined ? sql.fragment`TRUE` : options.active ? sql.fragment`removed_at IS NULL` : sql.fragment`removed_at IS NOT NULL`;
    const rows = await connection.any(sql.type(exclusionRow)`
      SELECT ${exclusionColumns} FROM payment_exclusions WHERE ${filter} ORDER BY id DESC LIMIT ${options.limit}`);
    const activeIds = rows.filter((row) => row.removed_at === null).map((row) => row.id);
    const withheld = activeIds.length === 0 ? [] : await connection.any(sql.type(withheldRow)`
      SELECT x.id AS exclusion_id, c.currency, count(*)::int AS commissions, sum(c.amount - c.reversed_amount) AS amount
      FROM payment_exclusions x
      JOIN commissions c ON c.status = 'APPROVED'
        AND (x.match_field <> 'SOURCE_TYPE' OR c.source_type = x.match_value)
      LEFT JOIN commission_events e ON e.id = c.event_id
      WHERE x.id = ANY(${sql.array(activeIds, 'int8')})
        AND CASE x.match_field WHEN 'SOURCE_TYPE' THEN TRUE WHEN 'SOURCE_ID' THEN e.source_id = x.match_value END
        AND coalesce(e.completed_at, c.created_at) >= x.from_at
        AND (x.to_at IS NULL OR coalesce(e.completed_at, c.created_at) < x.to_at)
      GROUP BY x.id, c.currency
      ORDER BY c.currency`);
    const byExclusion = new Map<string, WithheldAmount[]>();
    for (const row of withheld) {
      const list = byExclusion.get(row.exclusion_id) ?? [];
      list.push({ currency: row.currency, commissions: row.commissions, amount: formatMoney(row.amount, row.currency) });
      byExclusion.set(row.exclusion_id, list);
    }
    return rows.map((row) => toExclusion(row, byExclusion.get(row.id) ?? []));
  }
}

function ruleDetails(row: ExclusionRow) {
  return {
    matchField: row.match_field,
    matchValue: row.match_value,
    from: row.from_at.toISOString(),
    to: row.to_at?.toISOString() ?? null,
  };
}
