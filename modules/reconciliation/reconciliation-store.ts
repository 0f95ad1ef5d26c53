import { createHash } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import type { FourEyesActor } from '../../domain/four-eyes.ts';
import {
  buildReport,
  itemsToExplain,
  reportCsv,
  signOffRefusal,
  unexplainedItems,
  type ArchivedFinding,
  type RebuildFinding,
  type ReconciliationReport,
  type ReportRow,
} from '../../domain/reconciliation.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { rebuildFindings } from './rebuild-check.ts';
import { archiveReconciliationPdf } from '../reports/reconciliation-pdf.ts';

/**
 * Daily reconciliation (docs/rules.md#daily-reconciliation): computes a day's report and the balance rebuild in SQL
 * (migration 033's functions), stores them once per day, records findings, signs the day off and archives the signed
 * report as CSV with its SHA-256. The stored report never changes: a rerun returns it.
 */

const reportRow = z.object({
  section: z.enum(['opening', 'movement', 'closing', 'variance']),
  movement: z.string().nullable(),
  owner_type: z.string(),
  bucket: z.string(),
  currency: z.string(),
  amount: z.string(),
});

/** The day's report, computed now (one statement, one snapshot). */
export async function computeReport(connection: CommonQueryMethods, day: string): Promise<ReconciliationReport> {
  const rows = await connection.any(sql.type(reportRow)`SELECT * FROM reconciliation_report(${day}::date)`);
  return buildReport(day, rows as ReportRow[]);
}

const reconciliationRow = z.object({
  day: z.string(),
  status: z.enum(['AWAITING_SIGN_OFF', 'SIGNED']),
  requested_by: z.string().nullable(),
  computed_at: z.date(),
  report: z.unknown(),
  rebuild_findings: z.unknown(),
  open_items: z.array(z.string()),
  signed_by: z.string().nullable(),
  signed_role: z.string().nullable(),
  signed_at: z.date().nullable(),
});
type ReconciliationRow = z.infer<typeof reconciliationRow>;

const findingRow = z.object({
  id: z.string(),
  item: z.string(),
  note: z.string(),
  adjustment_id: z.string().nullable(),
  recorded_by: z.string(),
  recorded_at: z.date(),
});

export interface Finding {
  id: string;
  item: string;
  note: string;
  adjustmentId: string | null;
  recordedBy: string;
  recordedAt: string;
}

export interface Reconciliation {
  day: string;
  status: 'AWAITING_SIGN_OFF' | 'SIGNED';
  requestedBy: string | null;
  computedAt: string;
  report: ReconciliationReport;
  rebuildFindings: RebuildFinding[];
  /** Every variance line and rebuild finding that needs a finding before sign-off. */
  items: string[];
  /** Those of `items` with no finding recorded yet. */
  unexplained: string[];
  findings: Finding[];
  signedBy: string | null;
  signedRole: string | null;
  signedAt: string | null;
  archive: { fileName: string; sha256: string; archivedAt: string } | null;
}

const selectReconciliation = sql.fragment`
  SELECT day::text AS day, status, requested_by, computed_at, report, rebuild_findings, open_items, signed_by, signed_role, signed_at
  FROM reconciliations`;

const toFinding = (row: z.infer<typeof findingRow>): Finding => ({
  id: row.id, item: row.item, note: row.note, adjustmentId: row.adjustment_id, recordedBy: row.recorded_by, recordedAt: row.recorded_at.toISOString(),
});

async function loadFindings(connection: CommonQueryMethods, day: string): Promise<Finding[]> {
  const rows = await connection.any(sql.type(findingRow)`
    SELECT id, item, note, adjustment_id, recorded_by, recorded_at FROM reconciliation_findings WHERE day = ${day}::date ORDER BY id`);
  return rows.map(toFinding);
}

const archiveRow = z.object({ file_name: z.string(), sha256: z.string(), archived_at: z.date() });

async function toReconciliation(connection: CommonQueryMethods, row: ReconciliationRow): Promise<Reconciliation> {
  const findings = await loadFindings(connection, row.day);
  const archive = await connection.maybeOne(sql.type(archiveRow)`
    SELECT file_name, sha256, archived_at FROM reconciliation_archives WHERE day = ${row.day}::date`);
  return {
    day: row.day,
    status: row.status,
    requestedBy: row.requested_by,
    computedAt: row.computed_at.toISOString(),
    report: row.report as ReconciliationReport,
    rebuildFindings: row.rebuild_findings as RebuildFinding[],
    items: row.open_items,
    unexplained: unexplainedItems(row.open_items, findings),
    findings,
    signedBy: row.signed_by,
    signedRole: row.signed_role,
    signedAt: row.signed_at?.toISOString() ?? null,
    archive: archive ? { fileName: archive.file_name, sha256: archive.sha256, archivedAt: archive.archived_at.toISOString() } : null,
  };
}

export async function getReconciliation(connection: CommonQueryMethods, day: string): Promise<Reconciliation | null> {
  const row = await connection.maybeOne(sql.type(reconciliationRow)`${selectReconciliation} WHERE day = ${day}::date`);
  return row ? toReconciliation(connection, row) : null;
}

export interface ReconciliationSummary {
  day: string;
  status: 'AWAITING_SIGN_OFF' | 'SIGNED';
  balanced: boolean;
  rebuildFindings: number;
  unexplained: number;
  signedBy: string | null;
  signedAt: string | null;
  archiveSha256: string | null;
}

const summaryRow = z.object({
  day: z.string(),
  status: z.enum(['AWAITING_SIGN_OFF', 'SIGNED']),
  balanced: z.boolean(),
  rebuild_findings: z.number(),
  unexplained: z.number(),
  signed_by: z.string().nullable(),
  signed_at: z.date().nullable(),
  sha256: z.string().nullable(),
});

/** Reconciled days, newest first, a page at a time (`before`: the last day of the previous page). */
export async function listReconciliations(connection: CommonQueryMethods, page: { limit: number; before?: string }): Promise<ReconciliationSummary[]> {
  const rows = await connection.any(sql.type(summaryRow)`
    SELECT r.day::text AS day, r.status, (r.report ->> 'balanced')::boolean AS balanced,
           jsonb_array_length(r.rebuild_findings)::int AS rebuild_findings,
           (SELECT count(*)::int FROM unnest(r.open_items) AS i (item)
            WHERE NOT EXISTS (SELECT 1 FROM reconciliation_findings f WHERE f.day = r.day AND f.item = i.item)) AS unexplained,
           r.signed_by, r.signed_at, a.sha256
    FROM reconciliations r LEFT JOIN reconciliation_archives a ON a.day = r.day
    WHERE ${page.before === undefined ? sql.fragment`true` : sql.fragment`r.day < ${page.before}::date`}
    ORDER BY r.day DESC LIMIT ${page.limit}`);
  return rows.map((row) => ({
    day: row.day, status: row.status, balanced: row.balanced, rebuildFindings: row.rebuild_findings, unexplained: row.unexplained,
    signedBy: row.signed_by, signedAt: row.signed_at?.toISOString() ?? null, archiveSha256: row.sha256,
  }));
}

/** How many items a variance notification lists by name (the day's page lists them all). */
const notifiedItems = 50;

/** Where finance is told of a variance: the roles that record findings and sign. */
const financeRoles = ['finance_manager', 'finance_director'] as const;

/**
 * Computes and stores the day's report and rebuild findings, once: if the day is already stored (a rerun after a
 * crash, a second request), the stored reconciliation is returned unchanged. Report and rebuild are read in one
 * REPEATABLE READ snapshot. A variance or a rebuild finding is notified to finance in the same transaction (one
 * notification per day, by its dedupe key). The caller has checked the day (reconcilableDay).
 */
export async function runReconciliation(
  database: Database,
  input: { day: string; requestedBy: string | null; ip?: string | null },
): Promise<{ reconciliation: Reconciliation; created: boolean }> {
  const existing = await getReconciliation(database, input.day);
  if (existing) return { reconciliation: existing, created: false };
  let created: boolean;
  try {
    created = await storeReconciliation(database, input);
  } catch (error) {
    // A concurrent run of the same day stored it first (in this REPEATABLE READ snapshot its row conflicts invisibly,
    // a serialization failure): the stored one is the answer.
    const stored = await getReconciliation(database, input.day);
    if (stored) return { reconciliation: stored, created: false };
    throw error;
  }
  const reconciliation = await getReconciliation(database, input.day);
  if (!reconciliation) throw new Error(`the reconciliation of ${input.day} was stored but cannot be read`);
  return { reconciliation, created };
}

/** Computes and inserts the day unless present; true when this call inserted it. */
async function storeReconciliation(database: Database, input: { day: string; requestedBy: string | null; ip?: string | null }): Promise<boolean> {
  return database.transaction(async (transaction) => {
    await transaction.query(sql.unsafe`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
    const report = await computeReport(transaction, input.day);
    const rebuild = await rebuildFindings(transaction);
    const items = itemsToExplain(report, rebuild);
    const inserted = await transaction.maybeOne(sql.type(z.object({ day: z.string() }))`
      INSERT INTO reconciliations (day, status, requested_by, report, rebuild_findings, open_items)
      VALUES (${input.day}::date, 'AWAITING_SIGN_OFF', ${input.requestedBy}, ${sql.jsonb(report as never)},
              ${sql.jsonb(rebuild as never)}, ${sql.array(items, 'text')})
      ON CONFLICT (day) DO NOTHING
      RETURNING day::text AS day`);
    if (inserted) {
      await appendAuditRecord(transaction, {
        action: 'RECONCILIATION_RUN', actor: input.requestedBy ?? 'system:reconciliation', targetType: 'reconciliation', targetId: input.day,
        ip: input.ip ?? null, reason: items.length === 0 ? 'balanced' : `${items.length} item(s) to explain`,
        details: { balanced: report.balanced, rebuildFindings: rebuild.length, items },
      });
      if (items.length > 0) {
        await enqueueNotification(transaction, {
          dedupeKey: `reconciliation-variance:${input.day}`,
          kind: 'RECONCILIATION_VARIANCE',
          recipient: { kind: 'admin_role', roles: financeRoles },
          subject: `Reconciliation of ${input.day}: ${items.length} item(s) to explain`,
          text: `The reconciliation of ${input.day} found:\n${items.slice(0, notifiedItems).map((item) => `- ${item}`).join('\n')}` +
            `${items.length > notifiedItems ? `\n- … and ${items.length - notifiedItems} more` : ''}` +
            `\n\nRecord a finding for each (and link the correcting adjustment) before the day is signed off.`,
        });
      }
    }
    return inserted !== null;
  });
}

async function lockReconciliation(connection: CommonQueryMethods, day: string): Promise<ReconciliationRow> {
  const row = await connection.maybeOne(sql.type(reconciliationRow)`${selectReconciliation} WHERE day = ${day}::date FOR UPDATE`);
  if (!row) throw new DomainError('not_found', 'reconciliation_not_found', `no reconciliation of ${day}: run it first`, 'date');
  return row;
}

/** Records a finding against one of the day's items (a variance line or a rebuild finding); refused once signed. */
export async function recordFinding(
  database: Database,
  input: { day: string; item: string; note: string; adjustmentId: string | null; actor: string; ip?: string | null },
): Promise<Finding> {
  return database.transaction(async (transaction) => {
    const row = await lockReconciliation(transaction, input.day);
    if (row.status === 'SIGNED') throw new DomainError('conflict', 'already_signed', `${input.day} is signed off: record corrections in an open day`, 'date');
    if (!row.open_items.includes(input.item)) {
      throw new DomainError('invalid', 'unknown_item', `${input.item} is not an item of ${input.day}; one of: ${row.open_items.join(', ') || '(none)'}`, 'body.item');
    }
    if (input.adjustmentId !== null) {
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.adjustmentId);
      const found = uuid && (await transaction.maybeOne(sql.type(z.object({ id: z.string() }))`
        SELECT id::text AS id FROM adjustments WHERE id = ${input.adjustmentId}::uuid`));
      if (!found) throw new DomainError('invalid', 'adjustment_not_found', `adjustment ${input.adjustmentId} does not exist`, 'body.adjustmentId');
    }
    const inserted = await transaction.one(sql.type(findingRow)`
      INSERT INTO reconciliation_findings (day, item, note, adjustment_id, recorded_by)
      VALUES (${input.day}::date, ${input.item}, ${input.note}, ${input.adjustmentId}, ${input.actor})
      RETURNING id, item, note, adjustment_id, recorded_by, recorded_at`);
    await appendAuditRecord(transaction, {
      action: 'RECONCILIATION_FINDING', actor: input.actor, targetType: 'reconciliation', targetId: input.day, ip: input.ip ?? null,
      reason: input.note, details: { item: input.item, adjustmentId: input.adjustmentId, findingId: inserted.id },
    });
    return toFinding(inserted);
  });
}

/** The archive's file name for a day. */
export const archiveFileName = (day: string) => `reconciliation-${day}.csv`;

/**
 * Signs the day off (the caller has verified the signer's fresh TOTP code): refused for a role that may not sign, the
 * person who ran it on demand, a second time, or while an item has no finding. The signed report is archived as CSV
 * with its SHA-256; the archive row seals the day (migration 033's trigger).
 */
export async function signOffReconciliation(
  database: Database,
  input: { day: string; signer: FourEyesActor; ip?: string | null },
): Promise<Reconciliation> {
  return database.transaction(async (transaction) => {
    const row = await lockReconciliation(transaction, input.day);
    const findings = await loadFindings(transaction, input.day);
    const refusal = signOffRefusal({ status: row.status, requestedBy: row.requested_by, items: row.open_items, findings }, input.signer);
    if (refusal) throw refusal;
    const signedAt = await transaction.oneFirst(sql.type(z.object({ now: z.date() }))`SELECT now() AS now`);
    const archived: ArchivedFinding[] = findings.map(({ item, note, adjustmentId, recordedBy, recordedAt }) => ({ item, note, adjustmentId, recordedBy, recordedAt }));
    const csv = reportCsv(row.report as ReconciliationReport, row.rebuild_findings as RebuildFinding[], archived, {
      signedBy: input.signer.userId, role: input.signer.role, signedAt: signedAt.toISOString(),
    });
    const bytes = Buffer.from(csv, 'utf8');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await transaction.query(sql.unsafe`
      UPDATE reconciliations SET status = 'SIGNED', signed_by = ${input.signer.userId}, signed_role = ${input.signer.role}, signed_at = ${signedAt.toISOString()}
      WHERE day = ${input.day}::date`);
    await transaction.query(sql.unsafe`
      INSERT INTO reconciliation_archives (day, file_name, csv, sha256, signed_by)
      VALUES (${input.day}::date, ${archiveFileName(input.day)}, ${sql.binary(bytes)}, ${sha256}, ${input.signer.userId})`);
    // issue #18: the signed report is archived as PDF too, beside the CSV, in the same transaction (modules/reports).
    await archiveReconciliationPdf(transaction, { report: row.report as ReconciliationReport, rebuild: row.rebuild_findings as RebuildFinding[], findings: archived, signOff: { signedBy: input.signer.userId, role: input.signer.role, signedAt: signedAt.toISOString() } });
    await appendAuditRecord(transaction, {
      action: 'RECONCILIATION_SIGN_OFF', actor: input.signer.userId, targetType: 'reconciliation', targetId: input.day, ip: input.ip ?? null,
      reason: 'day signed off and sealed', details: { role: input.signer.role, sha256, findings: findings.length },
    });
    const signed = await transaction.one(sql.type(reconciliationRow)`${selectReconciliation} WHERE day = ${input.day}::date`);
    return toReconciliation(transaction, signed);
  });
}

const csvRow = z.object({ file_name: z.string(), csv: z.instanceof(Buffer), sha256: z.string() });

/** The archived CSV of a signed day, byte for byte, with its SHA-256. */
export async function archivedReport(connection: CommonQueryMethods, day: string): Promise<{ fileName: string; bytes: Buffer; sha256: string } | null> {
  const row = await connection.maybeOne(sql.type(csvRow)`SELECT file_name, csv, sha256 FROM reconciliation_archives WHERE day = ${day}::date`);
  return row ? { fileName: row.file_name, bytes: row.csv, sha256: row.sha256 } : null;
}
