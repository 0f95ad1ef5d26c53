import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { holdsPayouts, partnerFlagKinds, type PartnerFlag, type PartnerFlagKind } from '../../domain/partner-flags.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

const flagRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  kind: z.enum(partnerFlagKinds),
  holds_payouts: z.boolean(),
  source_type: z.string(),
  source_id: z.string(),
  reason: z.string(),
  raised_by: z.string(),
  raised_at: z.date(),
  expires_at: z.date().nullable(),
  cleared_by: z.string().nullable(),
  cleared_at: z.date().nullable(),
  clearance_reason: z.string().nullable(),
});
const columns = sql.fragment`id::text, partner_id, kind, holds_payouts, source_type, source_id, reason, raised_by, raised_at,
  expires_at, cleared_by, cleared_at, clearance_reason`;

function toFlag(row: z.infer<typeof flagRow>): PartnerFlag {
  return {
    id: row.id, partnerId: row.partner_id, kind: row.kind, holdsPayouts: row.holds_payouts, sourceType: row.source_type,
    sourceId: row.source_id, reason: row.reason, raisedBy: row.raised_by, raisedAt: row.raised_at, expiresAt: row.expires_at,
    clearedBy: row.cleared_by, clearedAt: row.cleared_at, clearanceReason: row.clearance_reason,
  };
}

export interface RaiseFlagInput {
  partnerId: string;
  kind: PartnerFlagKind;
  /** What raised it ('refund', 'chargeback', 'dispute', 'commission', 'admin', …) and its id: one flag per kind and source. */
  sourceType: string;
  sourceId: string;
  reason: string;
  actor: string;
  expiresAt?: Date | null;
}

/**
 * Raises a flag in the caller's transaction, once per (kind, source): a retried activity gets the flag it raised
 * the first time (`raised: false`) and writes no second audit record. Audited as PARTNER_FLAG.
 */
export async function raisePartnerFlag(connection: CommonQueryMethods, input: RaiseFlagInput): Promise<{ flag: PartnerFlag; raised: boolean }> {
  const inserted = await connection.maybeOne(sql.type(flagRow)`
    INSERT INTO partner_flags (partner_id, kind, holds_payouts, source_type, source_id, reason, raised_by, expires_at)
    VALUES (${input.partnerId}, ${input.kind}, ${holdsPayouts(input.kind)}, ${input.sourceType}, ${input.sourceId},
            ${input.reason}, ${input.actor}, ${input.expiresAt ? sql.timestamp(input.expiresAt) : null})
    ON CONFLICT (kind, source_type, source_id) DO NOTHING
    RETURNING ${columns}`);
  if (inserted) {
    await appendAuditRecord(connection, {
      action: 'PARTNER_FLAG', actor: input.actor, targetType: 'partner', targetId: input.partnerId, reason: input.reason,
      details: { flagId: inserted.id, kind: input.kind, sourceType: input.sourceType, sourceId: input.sourceId, holdsPayouts: inserted.holds_payouts },
    });
    return { flag: toFlag(inserted), raised: true };
  }
  const existing = await connection.one(sql.type(flagRow)`
    SELECT ${columns} FROM partner_flags WHERE kind = ${input.kind} AND source_type = ${input.sourceType} AND source_id = ${input.sourceId}`);
  return { flag: toFlag(existing), raised: false };
}

/**
 * Clears the active flags a source raised (all its kinds, or only `kind`), in the caller's transaction. Clearing
 * what is already cleared is a no-op, so a retry is safe. Audited as PARTNER_UNFLAG, one record per flag.
 * Returns the flags it cleared (their partners' HELD payouts may now pass: see workflows/payout-holds.ts).
 */
export async function clearPartnerFlags(
  connection: CommonQueryMethods,
  input: { sourceType: string; sourceId: string; kind?: PartnerFlagKind; actor: string; reason: string },
): Promise<PartnerFlag[]> {
  const cleared = await connection.any(sql.type(flagRow)`
    UPDATE partner_flags SET cleared_by = ${input.actor}, cleared_at = now(), clearance_reason = ${input.reason}
    WHERE source_type = ${input.sourceType} AND source_id = ${input.sourceId} AND cleared_at IS NULL
      ${input.kind ? sql.fragment`AND kind = ${input.kind}` : sql.fragment``}
    RETURNING ${columns}`);
  for (const row of cleared) {
    await appendAuditRecord(connection, {
      action: 'PARTNER_UNFLAG', actor: input.actor, targetType: 'partner', targetId: row.partner_id, reason: input.reason,
      details: { flagId: row.id, kind: row.kind, sourceType: row.source_type, sourceId: row.source_id },
    });
  }
  return cleared.map(toFlag);
}

/** Clears one flag by id (an admin closing an account review, say). Null when there is no such active flag. */
export async function clearPartnerFlagById(
  connection: CommonQueryMethods,
  input: { flagId: string; actor: string; reason: string; ip?: string | null },
): Promise<PartnerFlag | null> {
  const row = await connection.maybeOne(sql.type(flagRow)`
    UPDATE partner_flags SET cleared_by = ${input.actor}, cleared_at = now(), clearance_reason = ${input.reason}
    WHERE id = ${input.flagId} AND cleared_at IS NULL
    RETURNING ${columns}`);
  if (!row) return null;
  await appendAuditRecord(connection, {
    action: 'PARTNER_UNFLAG', actor: input.actor, targetType: 'partner', targetId: row.partner_id, reason: input.reason,
    ip: input.ip ?? null, details: { flagId: row.id, kind: row.kind, sourceType: row.source_type, sourceId: row.source_id },
  });
  return toFlag(row);
}

/** A partner's flags, active first then newest first; `activeOnly` for the ones in force. */
export async function partnerFlags(connection: CommonQueryMethods, partnerId: string, { activeOnly = false } = {}): Promise<PartnerFlag[]> {
  const rows = await connection.any(sql.type(flagRow)`
    SELECT ${columns} FROM partner_flags
    WHERE partner_id = ${partnerId} ${activeOnly ? sql.fragment`AND cleared_at IS NULL` : sql.fragment``}
    ORDER BY (cleared_at IS NULL) DESC, raised_at DESC, id DESC`);
  return rows.map(toFlag);
}

/** The ids of a partner's HELD payouts (to tell their workflows a hold's cause has cleared). */
export async function heldPayoutIds(connection: CommonQueryMethods, partnerId: string): Promise<string[]> {
  const rows = await connection.any(sql.type(z.object({ id: z.string() }))`
    SELECT id::text FROM payouts WHERE partner_id = ${partnerId} AND status = 'HELD' ORDER BY id`);
  return rows.map((row) => row.id);
}
