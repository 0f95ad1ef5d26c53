import { csvRecord } from '../../domain/csv.ts';
import type { SummaryReportFormat } from '../../domain/summary-reports.ts';
import { renderPdf, type ReportTable } from './pdf.ts';
import type { CommissionSummary, CountAmount, PayoutSummary, SummaryReport } from './summary-reports.ts';

/**
 * A summary report as tables, and those tables as CSV and PDF (docs/rules.md#summary-reports). Both files carry the
 * same tables in the same order, so a figure is found in the same place in each; the JSON is the report object.
 */

const totalsTable = (caption: string, lines: [string, CountAmount[]][]): ReportTable => ({
  caption,
  columns: ['Field', 'Currency', 'Count', 'Amount'],
  numericColumns: [2, 3],
  rows: lines.flatMap(([field, values]) => (values.length === 0 ? [[field, '', '0', '0']] : values.map((value) => [field, value.currency, String(value.count), value.amount]))),
});

function commissionTables(report: CommissionSummary): ReportTable[] {
  const breakdownColumns = ['Currency', 'Generated (n)', 'Generated', 'Approved', 'Paid', 'Reversed', 'Net', 'Share %'];
  const breakdown = (row: CommissionSummary['byLevel'][number] | CommissionSummary['bySource'][number]) => [
    row.currency, String(row.generatedCount), row.generated, row.approved, row.paid, row.reversed, row.net, row.sharePercent ?? '',
  ];
  return [
    {
      ...totalsTable('Totals', [
        ['Total Generated', report.totals.generated],
        ['Total Approved', report.totals.approved],
        ['Total Paid', report.totals.paid],
        ['Total Reversed', report.totals.reversed],
      ]),
    },
    { caption: 'Net Commissions (generated minus reversed)', columns: ['Currency', 'Net'], numericColumns: [1], rows: report.totals.net.map((row) => [row.currency, row.amount]) },
    { caption: 'By Level (level analysis)', columns: ['Level', ...breakdownColumns], numericColumns: [0, 2, 3, 4, 5, 6, 7, 8], rows: report.byLevel.map((row) => [String(row.level), ...breakdown(row)]) },
    {
      caption: 'By Source (source analysis)',
      columns: ['Source', 'Group', ...breakdownColumns],
      numericColumns: [3, 4, 5, 6, 7, 8, 9],
      rows: report.bySource.map((row) => [row.sourceType, row.sourceGroup, ...breakdown(row)]),
    },
    {
      caption: 'Daily Commission',
      columns: ['Day', 'Currency', 'Generated (n)', 'Generated', 'Approved', 'Paid', 'Reversed', 'Net'],
      numericColumns: [2, 3, 4, 5, 6, 7],
      rows: report.daily.map((row) => [row.day, row.currency, String(row.generatedCount), row.generated, row.approved, row.paid, row.reversed, row.net]),
    },
    {
      caption: `Trend (per ${report.trend.bucket})`,
      columns: ['From', 'Currency', 'Generated', 'Net', 'Change %'],
      numericColumns: [2, 3, 4],
      rows: report.trend.rows.map((row) => [row.start, row.currency, row.generated, row.net, row.changePercent ?? '']),
    },
    {
      caption: `Partner Commission (${report.byPartner.rows.length} of ${report.byPartner.partners} partner-currencies, largest first)`,
      columns: ['Partner', 'Currency', 'Generated (n)', 'Generated', 'Reversed', 'Net'],
      numericColumns: [2, 3, 4, 5],
      rows: report.byPartner.rows.map((row) => [row.partnerId, row.currency, String(row.generatedCount), row.generated, row.reversed, row.net]),
    },
  ];
}

function payoutTables(report: PayoutSummary): ReportTable[] {
  const totals = report.totals;
  const time = (value: string | null) => value ?? '';
  return [
    totalsTable('Totals', [
      ['Requests Submitted', totals.submitted],
      ['Requests Approved', totals.approved],
      ['Requests Processed', totals.processed],
      ['Requests Completed', totals.completed],
      ['Requests Failed', totals.failed],
      ['Requests Cancelled', totals.cancelled],
      ['Requests Rejected', totals.rejected],
    ]),
    {
      caption: 'Amounts (of completed payouts)',
      columns: ['Currency', 'Total Amount', 'Average Amount'],
      numericColumns: [1, 2],
      rows: totals.totalAmount.map((row) => [row.currency, row.amount, totals.averageAmount.find((average) => average.currency === row.currency)?.amount ?? '']),
    },
    {
      caption: 'Processing Time (request to completion, seconds)',
      columns: ['Completed', 'Mean', 'P90'],
      numericColumns: [0, 1, 2],
      rows: [[String(totals.processingTime.completed), time(totals.processingTime.meanSeconds), time(totals.processingTime.p90Seconds)]],
    },
    {
      caption: 'By Method (method analysis)',
      columns: ['Method', 'Currency', 'Submitted', 'Completed', 'Failed', 'Cancelled', 'Completed amount', 'Average', 'Mean s', 'P90 s'],
      numericColumns: [2, 3, 4, 5, 6, 7, 8, 9],
      rows: report.byMethod.map((row) => [
        row.methodId, row.currency, String(row.submitted), String(row.completed), String(row.failed), String(row.cancelled), row.completedAmount,
        row.averageAmount ?? '', time(row.processingTime.meanSeconds), time(row.processingTime.p90Seconds),
      ]),
    },
    {
      caption: 'By Status (requested in the period, status now)',
      columns: ['Status', 'Currency', 'Count', 'Amount'],
      numericColumns: [2, 3],
      rows: report.byStatus.map((row) => [row.status, row.currency, String(row.count), row.amount]),
    },
    {
      caption: 'Daily Payout',
      columns: ['Day', 'Currency', 'Submitted', 'Approved', 'Processed', 'Completed', 'Failed', 'Cancelled', 'Completed amount'],
      numericColumns: [2, 3, 4, 5, 6, 7, 8],
      rows: report.daily.map((row) => [row.day, row.currency, ...[row.submitted, row.approved, row.processed, row.completed, row.failed, row.cancelled].map(String), row.completedAmount]),
    },
    {
      caption: 'Failure Report (failure codes)',
      columns: ['Failure code', 'Method', 'Currency', 'Count', 'Amount'],
      numericColumns: [3, 4],
      rows: report.failures.rows.map((row) => [row.failureCode, row.methodId, row.currency, String(row.count), row.amount]),
    },
    {
      caption: 'Failure Rate (failed of completed + failed)',
      columns: ['Currency', 'Percent'],
      numericColumns: [1],
      rows: report.failures.failureRatePercent.map((row) => [row.currency, row.percent ?? '']),
    },
    {
      caption: `Partner Payout (${report.byPartner.rows.length} of ${report.byPartner.partners} partner-currencies, largest first)`,
      columns: ['Partner', 'Currency', 'Submitted', 'Completed', 'Failed', 'Cancelled', 'Completed amount'],
      numericColumns: [2, 3, 4, 5, 6],
      rows: report.byPartner.rows.map((row) => [row.partnerId, row.currency, String(row.submitted), String(row.completed), String(row.failed), String(row.cancelled), row.completedAmount]),
    },
  ];
}

export function summaryTables(report: SummaryReport): ReportTable[] {
  return report.kind === 'commissions' ? commissionTables(report) : payoutTables(report);
}

export const summaryTitle = (report: SummaryReport) => (report.kind === 'commissions' ? 'Commission Summary Report' : 'Payout Summary Report');

/** Tables as one CSV: per table a caption record, a heading record, its rows, and an empty line. */
export function tablesCsv(title: string, headerLines: string[], tables: ReportTable[]): string {
  let text = csvRecord([title]);
  for (const line of headerLines) text += csvRecord([line]);
  for (const table of tables) {
    text += '\r\n' + csvRecord([table.caption]) + csvRecord(table.columns);
    for (const row of table.rows) text += csvRecord(row);
  }
  return text;
}

export interface SummaryFileContext {
  generatedAt: Date;
  /** Who asked (a user id), or the Schedule. */
  generatedBy: string;
}

const headerLinesOf = (report: SummaryReport, context: SummaryFileContext) => [
  `Period: ${report.period.from} to ${report.period.to} (UTC, end exclusive)`,
  `Generated: ${context.generatedAt.toISOString()} by ${context.generatedBy}`,
];

/** The report in one format, as the bytes that are stored and downloaded. */
export async function summaryFile(report: SummaryReport, format: SummaryReportFormat, context: SummaryFileContext): Promise<Buffer> {
  if (format === 'json') return Buffer.from(`${JSON.stringify(report, null, 2)}\n`, 'utf8');
  const tables = summaryTables(report);
  if (format === 'csv') return Buffer.from(tablesCsv(summaryTitle(report), headerLinesOf(report, context), tables), 'utf8');
  return renderPdf({ title: summaryTitle(report), headerLines: headerLinesOf(report, context), tables, createdAt: context.generatedAt });
}

export const contentTypes: Record<SummaryReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  pdf: 'application/pdf',
};
