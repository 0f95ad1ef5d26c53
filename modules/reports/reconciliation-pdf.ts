import { createHash } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { ArchivedFinding, BalanceLine, RebuildFinding, ReconciliationReport } from '../../domain/reconciliation.ts';
import { renderPdf, type ReportTable } from './pdf.ts';

/**
 * The signed reconciliation report as PDF (issue #18: "archived immutable (CSV and PDF, with its SHA-256)",
 * docs/rules.md#summary-reports): the same figures as the archived CSV, as tables, stored beside it in the sign-off's
 * transaction (migration 036's `reconciliation_archive_pdfs`, immutable like the CSV's row).
 */

export interface SignedReconciliation {
  report: ReconciliationReport;
  rebuild: readonly RebuildFinding[];
  findings: readonly ArchivedFinding[];
  signOff: { signedBy: string; role: string; signedAt: string };
}

const balanceTable = (caption: string, lines: readonly BalanceLine[]): ReportTable => ({
  caption,
  columns: ['Owner', 'Bucket', 'Currency', 'Amount'],
  numericColumns: [3],
  rows: lines.map((line) => [line.ownerType, line.bucket, line.currency, line.amount]),
});

export function reconciliationTables(signed: SignedReconciliation): ReportTable[] {
  const { report } = signed;
  return [
    balanceTable('Opening Balances', report.opening),
    {
      caption: 'Movements',
      columns: ['Movement', 'Owner', 'Bucket', 'Currency', 'Amount'],
      numericColumns: [4],
      rows: report.movements.map((line) => [line.movement, line.ownerType, line.bucket, line.currency, line.amount]),
    },
    balanceTable('Closing Balances', report.closing),
    balanceTable(`Variance (${report.balanced ? 'balanced' : 'NOT balanced'})`, report.variance),
    {
      caption: 'Balance Rebuild Findings',
      columns: ['Check', 'Subject', 'Detail'],
      rows: signed.rebuild.map((finding) => [finding.check, finding.subject, JSON.stringify(finding.detail)]),
    },
    {
      caption: 'Findings',
      columns: ['Item', 'Note', 'Adjustment', 'Recorded by', 'Recorded at'],
      rows: signed.findings.map((finding) => [finding.item, finding.note, finding.adjustmentId ?? '', finding.recordedBy, finding.recordedAt]),
    },
    {
      caption: 'Sign-off',
      columns: ['Signed by', 'Role', 'Signed at'],
      rows: [[signed.signOff.signedBy, signed.signOff.role, signed.signOff.signedAt]],
    },
  ];
}

export const archivePdfFileName = (day: string) => `reconciliation-${day}.pdf`;

/** Renders the signed day's PDF and stores it with its SHA-256; call it in the sign-off's transaction. */
export async function archiveReconciliationPdf(transaction: CommonQueryMethods, signed: SignedReconciliation): Promise<{ sha256: string }> {
  const bytes = await renderPdf({
    title: `Daily Reconciliation Report ${signed.report.day} (UTC)`,
    headerLines: [`Signed off by ${signed.signOff.signedBy} (${signed.signOff.role}) at ${signed.signOff.signedAt}`],
    tables: reconciliationTables(signed),
    createdAt: new Date(signed.signOff.signedAt),
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await transaction.query(sql.unsafe`
    INSERT INTO reconciliation_archive_pdfs (day, file_name, pdf, sha256)
    VALUES (${signed.report.day}::date, ${archivePdfFileName(signed.report.day)}, ${sql.binary(bytes)}, ${sha256})`);
  return { sha256 };
}

const pdfRow = z.object({ file_name: z.string(), pdf: z.instanceof(Buffer), sha256: z.string() });

/** The archived PDF of a signed day, byte for byte, with its SHA-256; null when the day has none. */
export async function archivedReportPdf(connection: CommonQueryMethods, day: string): Promise<{ fileName: string; bytes: Buffer; sha256: string } | null> {
  const row = await connection.maybeOne(sql.type(pdfRow)`SELECT file_name, pdf, sha256 FROM reconciliation_archive_pdfs WHERE day = ${day}::date`);
  return row ? { fileName: row.file_name, bytes: row.pdf, sha256: row.sha256 } : null;
}
