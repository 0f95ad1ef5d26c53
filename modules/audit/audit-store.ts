import { createHash } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';

/** The action types in docs/rules.md#audit-actions. */
export const auditActions = [
  'COMMISSION_CREATE', 'COMMISSION_APPROVE', 'COMMISSION_PAY', 'COMMISSION_REVERSE', 'COMMISSION_ADJUST', 'COMMISSION_CLAWBACK',
  'PAYOUT_REQUEST', 'PAYOUT_APPROVE', 'PAYOUT_REJECT', 'PAYOUT_PROCESS', 'PAYOUT_COMPLETE', 'PAYOUT_FAIL',
  'PAYOUT_CANCEL', 'BALANCE_ADJUST', 'BALANCE_FREEZE', 'BALANCE_UNFREEZE', 'REFUND_REQUEST', 'REFUND_APPROVE',
  'REFUND_PROCESS', 'BONUS_CREATE', 'BONUS_POST', 'USER_CREATE', 'USER_DISABLE', 'PARTNER_CREATE', 'POLICY_CHANGE',
  'PARTNER_CHANGE', 'PAYOUT_EXPORT', 'PAYOUT_PARTNER_VALIDATE', 'PAYOUT_INVOICE_UPLOAD', 'PAYOUT_CONFIRMATION_UPLOAD',
  // Issue #5's lifecycles.
  'PARTNER_FLAG', 'PARTNER_UNFLAG', 'REFUND_REJECT', 'ORDER_CANCEL', 'CHARGEBACK_OPEN', 'CHARGEBACK_UPDATE',
  'CHARGEBACK_DECIDE', 'CHARGEBACK_PENALTY', 'DISPUTE_OPEN', 'DISPUTE_UPDATE', 'DISPUTE_RESOLVE', 'ADJUSTMENT_CREATE',
  'ADJUSTMENT_APPROVE', 'ADJUSTMENT_REJECT', 'BULK_ADJUSTMENT_CREATE', 'BULK_ADJUSTMENT_APPROVE', 'BULK_ADJUSTMENT_EXECUTE', 'BULK_ADJUSTMENT_REJECT',
  // Issue #16's sign-in hardening.
  'SIGN_IN_LOCKOUT', 'USER_UNLOCK', 'CLIENT_ADDRESS_UNLOCK', 'SESSION_REVOKE',
  // Issue #16: API keys for machines (docs/rules.md#api-keys).
  'API_KEY_CREATE', 'API_KEY_REVOKE',
  // Issue #16: a partner's TOTP enrolment.
  'USER_TOTP_ENROL',
  // Issue #16's four eyes (docs/rules.md#four-eyes).
  'BONUS_APPROVE', 'BONUS_REJECT', 'BONUS_EXPIRE', 'FX_RATE_CHANGE', 'FX_RATE_REQUEST', 'FX_RATE_APPROVE', 'FX_RATE_REJECT',
  'DISPUTE_APPROVE', 'DISPUTE_REJECT', 'POLICY_CHANGE_REQUEST', 'POLICY_CHANGE_REJECT',
  // Issue #17: a payment file's bulk close (docs/rules.md#payment-files).
  'PAYMENT_FILE_CLOSE',
  // Issue #18: daily reconciliation (docs/rules.md#daily-reconciliation).
  'RECONCILIATION_RUN', 'RECONCILIATION_FINDING', 'RECONCILIATION_SIGN_OFF',
  // Issue #17's pay runs (docs/rules.md#pay-runs).
  'PAY_RUN_CREATE', 'PAY_RUN_DECIDE', 'PAY_RUN_APPROVE', 'PAY_RUN_EXCLUDE', 'PAY_RUN_REJECT', 'PLATFORM_FUNDS_DECLARE',
  // Issue #18: statement matching (docs/rules.md#statement-matching).
  'STATEMENT_RECEIVE', 'STATEMENT_MATCH', 'STATEMENT_EXCEPTION_ACT', 'STATEMENT_RULES_CHANGE',
  // Issue #18: the audit schedule (docs/rules.md#audit-schedule).
  'AUDIT_RUN', 'AUDIT_FINDING_DECIDE', 'AUDIT_SIGN_OFF',
] as const;
export type AuditAction = (typeof auditActions)[number];

export interface AuditRecordInput {
  action: AuditAction;
  /** Who acted: a user id, or `system:<component>` for automatic steps. */
  actor: string;
  targetType: string;
  targetId: string;
  amount?: string | null;
  currency?: string | null;
  balanceBefore?: string | null;
  balanceAfter?: string | null;
  reason?: string | null;
  ip?: string | null;
  entryId?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Appends audit records. Run it on the same connection as the change it records, so both commit or neither:
 * the record's checksum is set by the database as it is inserted, and the sealer links it into the chain later.
 */
export async function appendAuditRecord(connection: CommonQueryMethods, record: AuditRecordInput): Promise<string> {
  return connection.oneFirst(sql.type(z.object({ id: z.string() }))`
    INSERT INTO audit_records (action, actor, target_type, target_id, amount, currency, balance_before,
                               balance_after, reason, ip, entry_id, details, checksum)
    VALUES (${record.action}, ${record.actor}, ${record.targetType}, ${record.targetId}, ${record.amount ?? null},
            ${record.currency ?? null}, ${record.balanceBefore ?? null}, ${record.balanceAfter ?? null},
            ${record.reason ?? null}, ${record.ip ?? null}, ${record.entryId ?? null},
            ${sql.jsonb((record.details ?? {}) as never)}, '\\x')
    RETURNING id`);
}

/** Appends many records in one statement (same rules as appendAuditRecord); for batch steps. */
export async function appendAuditRecords(connection: CommonQueryMethods, records: readonly AuditRecordInput[]): Promise<void> {
  if (records.length === 0) return;
  const column = <T>(pick: (record: AuditRecordInput) => T) => records.map(pick);
  await connection.query(sql.unsafe`
    INSERT INTO audit_records (action, actor, target_type, target_id, amount, currency, balance_before,
                               balance_after, reason, ip, entry_id, details, checksum)
    SELECT action, actor, target_type, target_id, amount, currency, balance_before, balance_after, reason, ip::inet,
           entry_id, details, '\\x'
    FROM unnest(
      ${sql.array(column((r) => r.action), 'text')}, ${sql.array(column((r) => r.actor), 'text')},
      ${sql.array(column((r) => r.targetType), 'text')}, ${sql.array(column((r) => r.targetId), 'text')},
      ${sql.array(column((r) => r.amount ?? null), 'numeric')}, ${sql.array(column((r) => r.currency ?? null), 'text')},
      ${sql.array(column((r) => r.balanceBefore ?? null), 'numeric')},
      ${sql.array(column((r) => r.balanceAfter ?? null), 'numeric')},
      ${sql.array(column((r) => r.reason ?? null), 'text')}, ${sql.array(column((r) => r.ip ?? null), 'text')},
      ${sql.array(column((r) => r.entryId ?? null), 'int8')},
      ${sql.array(column((r) => JSON.stringify(r.details ?? {})), 'jsonb')}
    ) AS r(action, actor, target_type, target_id, amount, currency, balance_before, balance_after, reason, ip,
           entry_id, details)`);
}

/** Seals committed records into the hash chain; returns how many it sealed. Safe to call from many processes. */
export async function sealAuditRecords(database: Database): Promise<number> {
  return database.oneFirst(sql.type(z.object({ sealed: z.number() }))`SELECT seal_audit_records() AS sealed`);
}

export type AuditVerification =
  | { ok: true; recordsChecked: number; sealedRecords: number; unsealedRecords: number }
  | { ok: false; recordsChecked: number; firstBrokenRecordId: string; problem: string };

const chainRow = z.object({
  position: z.string(),
  record_id: z.string(),
  chain_hash: z.instanceof(Buffer),
  stored_checksum: z.instanceof(Buffer).nullable(),
  computed_checksum: z.instanceof(Buffer).nullable(),
});
const recordCheckRow = z.object({ id: z.string(), matches: z.boolean() });

/**
 * Walks the chain in order, recomputing each sealed record's checksum from its content and each link of the
 * chain; then checks the records not yet sealed. Names the first record that is altered, missing or unchained.
 */
export async function verifyAuditLog(database: Database, pageSize = 5_000): Promise<AuditVerification> {
  let previousHash: Buffer = Buffer.alloc(0);
  let position = '0';
  let checked = 0;
  for (;;) {
    const rows = await database.any(sql.type(chainRow)`
      SELECT c.position, c.record_id, c.chain_hash, r.checksum AS stored_checksum,
             CASE WHEN r.id IS NULL THEN NULL ELSE audit_record_checksum(r) END AS computed_checksum
      FROM audit_chain c LEFT JOIN audit_records r ON r.id = c.record_id
      WHERE c.position > ${position}
      ORDER BY c.position
      LIMIT ${pageSize}`);
    for (const row of rows) {
      if (!row.stored_checksum || !row.computed_checksum) {
        return { ok: false, recordsChecked: checked, firstBrokenRecordId: row.record_id, problem: 'record is missing' };
      }
      if (!row.stored_checksum.equals(row.computed_checksum)) {
        return { ok: false, recordsChecked: checked, firstBrokenRecordId: row.record_id, problem: 'content does not match its checksum' };
      }
      const expected = sha256(Buffer.concat([previousHash, row.stored_checksum]));
      if (!expected.equals(row.chain_hash)) {
        return { ok: false, recordsChecked: checked, firstBrokenRecordId: row.record_id, problem: 'checksum does not match the sealed chain' };
      }
      previousHash = row.chain_hash;
      position = row.position;
      checked += 1;
    }
    if (rows.length < pageSize) break;
  }
  // Each seal's recorded count and final hash must match the chain it closed: rewriting the chain from a
  // tampered record onwards would otherwise go unnoticed.
  const brokenSeal = await database.maybeOne(sql.type(z.object({ first_record_id: z.string().nullable() }))`
    SELECT (SELECT c.record_id FROM audit_chain c WHERE c.seal_id = s.id ORDER BY c.position LIMIT 1) AS first_record_id
    FROM audit_seals s
    WHERE s.record_count <> (SELECT count(*) FROM audit_chain c WHERE c.seal_id = s.id)
       OR s.chain_hash IS DISTINCT FROM (SELECT c.chain_hash FROM audit_chain c WHERE c.seal_id = s.id ORDER BY c.position DESC LIMIT 1)
    ORDER BY s.id LIMIT 1`);
  if (brokenSeal) {
    return { ok: false, recordsChecked: checked, firstBrokenRecordId: brokenSeal.first_record_id ?? 'unknown', problem: 'the chain does not match its seal' };
  }
  // Records the chain does not hold: a record older than the last seal's horizon should be in the chain.
  const strays = await database.any(sql.type(recordCheckRow)`
    SELECT r.id, (r.checksum = audit_record_checksum(r)) AS matches
    FROM audit_records r
    WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.record_id = r.id)
      AND r.xid < coalesce((SELECT max(horizon_to) FROM audit_seals), '0'::xid8)
    ORDER BY r.id LIMIT 1`);
  if (strays[0]) {
    return { ok: false, recordsChecked: checked, firstBrokenRecordId: strays[0].id, problem: 'record inside a sealed range is not in the chain' };
  }
  const unsealed = await database.any(sql.type(recordCheckRow)`
    SELECT r.id, (r.checksum = audit_record_checksum(r)) AS matches
    FROM audit_records r
    WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.record_id = r.id)
    ORDER BY r.id`);
  const altered = unsealed.find((row) => !row.matches);
  if (altered) {
    return { ok: false, recordsChecked: checked, firstBrokenRecordId: altered.id, problem: 'content does not match its checksum' };
  }
  return { ok: true, recordsChecked: checked + unsealed.length, sealedRecords: checked, unsealedRecords: unsealed.length };
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

// ---------------------------------------------------------------------------------------------------------------
// The audit trail as the API and the console show it (docs/rules.md#audit-trail).

/** Whose audit records: one target (a payout's history), or a partner's own and those of their payouts. */
export type AuditTrailSubject = { targetType: string; targetId: string } | { partnerId: string };

const trailRow = z.object({
  id: z.string(),
  action: z.string(),
  actor: z.string(),
  target_type: z.string(),
  target_id: z.string(),
  amount: z.string().nullable(),
  currency: z.string().nullable(),
  balance_before: z.string().nullable(),
  balance_after: z.string().nullable(),
  balance_account: z.string().nullable(),
  reason: z.string().nullable(),
  ip: z.string().nullable(),
  entry_id: z.string().nullable(),
  checksum: z.string(),
  checksum_valid: z.boolean(),
  created_at: z.date(),
});

export interface AuditTrailRecord {
  id: string;
  action: string;
  actor: string;
  targetType: string;
  targetId: string;
  amount: string | null;
  currency: string | null;
  /** The partner balance the action moved, before and after it (null when it moved none), and which account it is. */
  balanceBefore: string | null;
  balanceAfter: string | null;
  balanceAccount: string | null;
  reason: string | null;
  /** The client address of the person who acted (null for automatic steps). */
  clientAddress: string | null;
  entryId: string | null;
  /** SHA-256 of the record's content (hex), and whether the content still hashes to it. */
  checksum: string;
  checksumValid: boolean;
  createdAt: string;
}

/** Newest first, at most `limit`; every field of the record, and whether its checksum still matches its content. */
export async function readAuditTrail(connection: CommonQueryMethods, subject: AuditTrailSubject, limit: number): Promise<AuditTrailRecord[]> {
  const condition =
    'partnerId' in subject
      ? sql.fragment`(r.target_type = 'partner' AND r.target_id = ${subject.partnerId})
          OR (r.target_type = 'payout' AND r.target_id IN (SELECT id::text FROM payouts WHERE partner_id = ${subject.partnerId}))`
      : sql.fragment`r.target_type = ${subject.targetType} AND r.target_id = ${subject.targetId}`;
  const rows = await connection.any(sql.type(trailRow)`
    SELECT r.id::text AS id, r.action, r.actor, r.target_type, r.target_id, r.amount::text AS amount, r.currency,
           r.balance_before::text AS balance_before, r.balance_after::text AS balance_after,
           r.details ->> 'balanceAccount' AS balance_account, r.reason, host(r.ip) AS ip, r.entry_id::text AS entry_id,
           encode(r.checksum, 'hex') AS checksum, r.checksum = audit_record_checksum(r) AS checksum_valid, r.created_at
    FROM audit_records r WHERE ${condition}
    ORDER BY r.id DESC LIMIT ${limit}`);
  return rows.map((row) => ({
    id: row.id,
    action: row.action,
    actor: row.actor,
    targetType: row.target_type,
    targetId: row.target_id,
    amount: row.amount,
    currency: row.currency,
    balanceBefore: row.balance_before,
    balanceAfter: row.balance_after,
    balanceAccount: row.balance_account,
    reason: row.reason,
    clientAddress: row.ip,
    entryId: row.entry_id,
    checksum: row.checksum,
    checksumValid: row.checksum_valid,
    createdAt: row.created_at.toISOString(),
  }));
}
