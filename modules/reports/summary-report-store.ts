import { createHash } from 'node:crypto';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import {
  checkedRange,
  summaryFileName,
  type ReportPeriod,
  type SummaryReportFormat,
  type SummaryReportKind,
  type SummaryReportPeriod,
} from '../../domain/summary-reports.ts';
import { summaryFile } from './summary-files.ts';
import { commissionSummary, payoutSummary, type SummaryReport } from './summary-reports.ts';

/**
 * Stored summary reports (migration 036, docs/rules.md#summary-reports): each generated once with its JSON, CSV and PDF
 * and their SHA-256, listed newest first, downloaded byte for byte. A Schedule's period is stored once (a retried or
 * repeated run finds the stored one); on-demand reports are stored each time they are asked for.
 */

export interface StoredSummaryReport {
  id: string;
  kind: SummaryReportKind;
  period: SummaryReportPeriod;
  from: string;
  to: string;
  requestedBy: string | null;
  sha256: Record<SummaryReportFormat, string>;
  createdAt: string;
}

const storedRow = z.object({
  id: z.string(),
  kind: z.enum(['commissions', 'payouts']),
  period: z.enum(['DAILY', 'WEEKLY', 'MONTHLY', 'ON_DEMAND']),
  period_from: z.date(),
  period_to: z.date(),
  requested_by: z.string().nullable(),
  json_sha256: z.string(),
  csv_sha256: z.string(),
  pdf_sha256: z.string(),
  created_at: z.date(),
});

const storedColumns = sql.fragment`id::text AS id, kind, period, period_from, period_to, requested_by, json_sha256, csv_sha256, pdf_sha256, created_at`;

function toStored(row: z.infer<typeof storedRow>): StoredSummaryReport {
  return {
    id: row.id,
    kind: row.kind,
    period: row.period,
    from: row.period_from.toISOString(),
    to: row.period_to.toISOString(),
    requestedBy: row.requested_by,
    sha256: { json: row.json_sha256, csv: row.csv_sha256, pdf: row.pdf_sha256 },
    createdAt: row.created_at.toISOString(),
  };
}

/** The summary of one kind over a range (read-only; see modules/reports/summary-reports.ts). */
export async function summaryOf(database: DatabasePool, kind: SummaryReportKind, request: ReportPeriod & { partnerRows?: number }): Promise<SummaryReport> {
  return kind === 'commissions' ? commissionSummary(database, request) : payoutSummary(database, request);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Generates the report of `kind` for the range and stores it in all three formats. `requestedBy` is the user who
 * asked (ON_DEMAND) or null for a Schedule's run (DAILY, WEEKLY, MONTHLY), which is stored once per period.
 */
export async function generateSummaryReport(
  database: DatabasePool,
  input: { kind: SummaryReportKind; period: SummaryReportPeriod; from: string; to: string; requestedBy: string | null },
): Promise<{ report: StoredSummaryReport; created: boolean }> {
  if ((input.period === 'ON_DEMAND') !== (input.requestedBy !== null)) {
    throw new DomainError('invalid', 'invalid_request', 'an on-demand report names who asked for it; a scheduled one does not', 'requestedBy');
  }
  const range = checkedRange(input.from, input.to);
  if (input.period !== 'ON_DEMAND') {
    const existing = await findScheduled(database, input.kind, input.period, range.from);
    if (existing) return { report: existing, created: false };
  }
  const summary = await summaryOf(database, input.kind, range);
  const generatedAt = new Date();
  const context = { generatedAt, generatedBy: input.requestedBy ?? `schedule (${input.period.toLowerCase()})` };
  const [json, csv, pdf] = await Promise.all((['json', 'csv', 'pdf'] as const).map((format) => summaryFile(summary, format, context)));
  const inserted = await database.maybeOne(sql.type(storedRow)`
    INSERT INTO summary_reports (kind, period, period_from, period_to, requested_by, json, json_sha256, csv, csv_sha256, pdf, pdf_sha256, created_at)
    VALUES (${input.kind}, ${input.period}, ${range.from}, ${range.to}, ${input.requestedBy},
            ${sql.binary(json!)}, ${sha256(json!)}, ${sql.binary(csv!)}, ${sha256(csv!)}, ${sql.binary(pdf!)}, ${sha256(pdf!)}, ${generatedAt.toISOString()})
    ON CONFLICT (kind, period, period_from) WHERE period <> 'ON_DEMAND' DO NOTHING
    RETURNING ${storedColumns}`);
  if (inserted) return { report: toStored(inserted), created: true };
  // A concurrent run of the same Schedule period stored it first.
  const stored = await findScheduled(database, input.kind, input.period, range.from);
  if (!stored) throw new Error(`summary report ${input.kind} ${input.period} ${range.from} neither inserted nor found`);
  return { report: stored, created: false };
}

async function findScheduled(database: DatabasePool, kind: SummaryReportKind, period: SummaryReportPeriod, from: string): Promise<StoredSummaryReport | null> {
  const row = await database.maybeOne(sql.type(storedRow)`
    SELECT ${storedColumns} FROM summary_reports WHERE kind = ${kind} AND period = ${period} AND period_from = ${from}`);
  return row ? toStored(row) : null;
}

/** Stored reports, newest first, optionally of one kind and period; paged by `before` (an id). */
export async function listSummaryReports(
  database: DatabasePool,
  filter: { kind?: SummaryReportKind; period?: SummaryReportPeriod; limit: number; before?: string },
): Promise<StoredSummaryReport[]> {
  const conditions = [sql.fragment`TRUE`];
  if (filter.kind) conditions.push(sql.fragment`kind = ${filter.kind}`);
  if (filter.period) conditions.push(sql.fragment`period = ${filter.period}`);
  if (filter.before) conditions.push(sql.fragment`id < ${filter.before}`);
  const rows = await database.any(sql.type(storedRow)`
    SELECT ${storedColumns} FROM summary_reports WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY id DESC LIMIT ${filter.limit}`);
  return rows.map(toStored);
}

export async function getSummaryReport(database: DatabasePool, id: string): Promise<StoredSummaryReport | null> {
  const row = await database.maybeOne(sql.type(storedRow)`SELECT ${storedColumns} FROM summary_reports WHERE id = ${id}`);
  return row ? toStored(row) : null;
}

const fileRow = z.object({ kind: z.enum(['commissions', 'payouts']), period_from: z.date(), period_to: z.date(), bytes: z.instanceof(Buffer), sha256: z.string() });

/** One stored file, byte for byte, with its name and SHA-256; null when there is no such report. */
export async function summaryReportFile(
  database: DatabasePool,
  id: string,
  format: SummaryReportFormat,
): Promise<{ fileName: string; bytes: Buffer; sha256: string } | null> {
  const columns = {
    json: sql.fragment`json AS bytes, json_sha256 AS sha256`,
    csv: sql.fragment`csv AS bytes, csv_sha256 AS sha256`,
    pdf: sql.fragment`pdf AS bytes, pdf_sha256 AS sha256`,
  }[format];
  const row = await database.maybeOne(sql.type(fileRow)`SELECT kind, period_from, period_to, ${columns} FROM summary_reports WHERE id = ${id}`);
  if (!row) return null;
  return {
    fileName: summaryFileName(row.kind, { from: row.period_from.toISOString(), to: row.period_to.toISOString() }, format),
    bytes: row.bytes,
    sha256: row.sha256,
  };
}
