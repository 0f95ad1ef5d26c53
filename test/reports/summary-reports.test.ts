import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { generateSummaryReport, listSummaryReports, summaryReportFile } from '../../modules/reports/summary-report-store.ts';
import { commissionSummary, payoutSummary } from '../../modules/reports/summary-reports.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { at, parseCsv, pdfText, reportKit, utcMidnight } from './kit.ts';

/**
 * The commission and payout summaries (docs/rules.md#summary-reports) over hand-made fixtures whose every figure is
 * computed by hand below: yesterday and today (UTC), with rows three days ago that no figure may include.
 */

let database: TestDatabase;
let pool: Database;
let owner: pg.Client;
const period = { from: utcMidnight(-1).toISOString(), to: utcMidnight(1).toISOString() };
const yesterday = period.from.slice(0, 10);
const today = utcMidnight(0).toISOString().slice(0, 10);

beforeAll(async () => {
  database = await createTestDatabase();
  pool = await createDatabase(database.appUrl, { maximumPoolSize: 4 });
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  const kit = reportKit(owner, pool, 'sr');

  // Commissions: p1 and p2 in USD, p3 in RUB.
  await kit.commission({ partnerId: 'sr-p1', level: 1, sourceType: 'PRODUCT', amount: '100.00', createdAt: at(-1, 10), approvedAt: at(0, 1), paidAt: at(0, 2) });
  await kit.commission({ partnerId: 'sr-p2', level: 2, sourceType: 'PRODUCT', amount: '40.00', createdAt: at(-1, 11) });
  const c3 = await kit.commission({ partnerId: 'sr-p1', level: 1, sourceType: 'INVESTMENT', amount: '60.00', createdAt: at(0, 0, 3) });
  const c4 = await kit.commission({ partnerId: 'sr-p2', level: 1, sourceType: 'PRODUCT', amount: '25.00', createdAt: at(0, 0, 4) });
  await kit.commission({ partnerId: 'sr-p3', level: 3, sourceType: 'PORTFOLIO_YIELD', amount: '500.00', currency: 'RUB', createdAt: at(0, 0, 5) });
  await kit.reversal(c3, '60.00');
  await kit.reversal(c4, '10.00');
  // Outside the period, except for c_out2's payment today.
  await kit.commission({ partnerId: 'sr-p1', level: 1, sourceType: 'PRODUCT', amount: '999.00', createdAt: at(-3, 9), approvedAt: at(-3, 10) });
  await kit.commission({ partnerId: 'sr-p1', level: 2, sourceType: 'INVESTMENT_PROFIT', amount: '70.00', createdAt: at(-3, 9), approvedAt: at(-3, 10), paidAt: at(0, 0, 6) });

  // Payouts.
  const x1 = await kit.payout({ partnerId: 'sr-q1', methodId: 'BANK_TRANSFER', amount: '100.00', status: 'COMPLETED', requestedAt: at(-1, 10), closedAt: at(-1, 12) });
  const x2 = await kit.payout({ partnerId: 'sr-q1', methodId: 'BANK_TRANSFER', amount: '50.00', status: 'COMPLETED', requestedAt: at(-1, 20), closedAt: at(0, 2) });
  const x3 = await kit.payout({ partnerId: 'sr-q2', methodId: 'YOOMONEY', amount: '30.01', status: 'COMPLETED', requestedAt: at(0, 0, 1), closedAt: at(0, 0, 11) });
  const x4 = await kit.payout({ partnerId: 'sr-q2', methodId: 'YOOMONEY', amount: '20.00', status: 'FAILED', requestedAt: at(0, 0, 2), closedAt: at(0, 0, 7), failureCode: 'ACCOUNT_CLOSED' });
  await kit.payout({ partnerId: 'sr-q3', methodId: 'BANK_TRANSFER', amount: '10.00', status: 'CANCELLED', requestedAt: at(0, 0, 3), closedAt: at(0, 0, 8) });
  const x6 = await kit.payout({ partnerId: 'sr-q3', methodId: 'BANK_TRANSFER', amount: '70.00', status: 'APPROVED', requestedAt: at(0, 0, 4) });
  await kit.payout({ partnerId: 'sr-q1', methodId: 'BANK_TRANSFER', amount: '1000.00', status: 'COMPLETED', requestedAt: at(-3, 10), closedAt: at(-3, 11) });
  const x8 = await kit.payout({ partnerId: 'sr-q4', methodId: 'BANK_TRANSFER', amount: '5000.00', currency: 'RUB', status: 'PROCESSING', requestedAt: at(0, 0, 5) });
  for (const [id, amount] of [[x1, '100.00'], [x2, '50.00'], [x3, '30.01'], [x4, '20.00'], [x6, '70.00']] as const) await kit.approval(id, amount, true);
  await kit.approval(x6, '70.00', false);
  for (const [id, amount] of [[x1, '100.00'], [x2, '50.00'], [x3, '30.01'], [x4, '20.00']] as const) await kit.processing(id, amount);
  await kit.processing(x8, '5000.00', 'RUB');
  await kit.processing(x8, '5000.00', 'RUB', true);
});

afterAll(async () => {
  await owner?.end();
  await pool?.end();
  await database?.drop();
});

describe('the commission summary', () => {
  it('totals generated, approved, paid, reversed and net per currency from the period only', async () => {
    const report = await commissionSummary(pool, period);
    expect(report.period).toEqual(period);
    expect(report.totals).toEqual({
      generated: [{ currency: 'RUB', count: 1, amount: '500.00' }, { currency: 'USD', count: 4, amount: '225.00' }],
      approved: [{ currency: 'USD', count: 1, amount: '100.00' }],
      paid: [{ currency: 'USD', count: 2, amount: '170.00' }],
      reversed: [{ currency: 'USD', count: 2, amount: '70.00' }],
      net: [{ currency: 'RUB', amount: '500.00' }, { currency: 'USD', amount: '155.00' }],
    });
  });

  it('breaks down by level and by source with each share of the currency’s generated total (2 dp, half-even)', async () => {
    const report = await commissionSummary(pool, period);
    expect(report.byLevel).toEqual([
      { level: 1, currency: 'USD', generatedCount: 3, generated: '185.00', approved: '100.00', paid: '100.00', reversed: '70.00', net: '115.00', sharePercent: '82.22' },
      { level: 2, currency: 'USD', generatedCount: 1, generated: '40.00', approved: '0.00', paid: '70.00', reversed: '0.00', net: '40.00', sharePercent: '17.78' },
      { level: 3, currency: 'RUB', generatedCount: 1, generated: '500.00', approved: '0.00', paid: '0.00', reversed: '0.00', net: '500.00', sharePercent: '100.00' },
    ]);
    expect(report.bySource.map((row) => [row.sourceType, row.sourceGroup, row.currency, row.generated, row.reversed, row.net, row.sharePercent])).toEqual([
      ['INVESTMENT', 'INVESTMENT', 'USD', '60.00', '60.00', '0.00', '26.67'],
      ['INVESTMENT_PROFIT', 'INVESTMENT', 'USD', '0.00', '0.00', '0.00', '0.00'],
      ['PORTFOLIO_YIELD', 'INVESTMENT', 'RUB', '500.00', '0.00', '500.00', '100.00'],
      ['PRODUCT', 'ORDER', 'USD', '165.00', '10.00', '155.00', '73.33'],
    ]);
  });

  it('reports each day, the trend with its change, and the partners largest first', async () => {
    const report = await commissionSummary(pool, period);
    expect(report.daily).toEqual([
      { day: yesterday, currency: 'USD', generatedCount: 2, generated: '140.00', approved: '0.00', paid: '0.00', reversed: '0.00', net: '140.00' },
      { day: today, currency: 'RUB', generatedCount: 1, generated: '500.00', approved: '0.00', paid: '0.00', reversed: '0.00', net: '500.00' },
      { day: today, currency: 'USD', generatedCount: 2, generated: '85.00', approved: '100.00', paid: '170.00', reversed: '70.00', net: '15.00' },
    ]);
    expect(report.trend).toEqual({
      bucket: 'day',
      rows: [
        { start: yesterday, currency: 'USD', generated: '140.00', net: '140.00', changePercent: null },
        { start: today, currency: 'RUB', generated: '500.00', net: '500.00', changePercent: null },
        // (85 - 140) / 140 = -39.2857… %
        { start: today, currency: 'USD', generated: '85.00', net: '15.00', changePercent: '-39.29' },
      ],
    });
    expect(report.byPartner).toEqual({
      partners: 3,
      rows: [
        { partnerId: 'sr-p3', currency: 'RUB', generatedCount: 1, generated: '500.00', reversed: '0.00', net: '500.00' },
        { partnerId: 'sr-p1', currency: 'USD', generatedCount: 2, generated: '160.00', reversed: '60.00', net: '100.00' },
        { partnerId: 'sr-p2', currency: 'USD', generatedCount: 2, generated: '65.00', reversed: '10.00', net: '55.00' },
      ],
    });
    const firstTwo = await commissionSummary(pool, { ...period, partnerRows: 2 });
    expect(firstTwo.byPartner.partners).toBe(3);
    expect(firstTwo.byPartner.rows.map((row) => row.partnerId)).toEqual(['sr-p3', 'sr-p1']);
  });
});

describe('the payout summary', () => {
  it('counts submitted, approved, processed, completed, failed and cancelled, with total and average amounts', async () => {
    const report = await payoutSummary(pool, period);
    expect(report.totals).toEqual({
      submitted: [{ currency: 'RUB', count: 1, amount: '5000.00' }, { currency: 'USD', count: 6, amount: '280.01' }],
      approved: [{ currency: 'USD', count: 5, amount: '270.01' }],
      processed: [{ currency: 'RUB', count: 1, amount: '5000.00' }, { currency: 'USD', count: 4, amount: '200.01' }],
      completed: [{ currency: 'USD', count: 3, amount: '180.01' }],
      failed: [{ currency: 'USD', count: 1, amount: '20.00' }],
      cancelled: [{ currency: 'USD', count: 1, amount: '10.00' }],
      rejected: [],
      totalAmount: [{ currency: 'USD', amount: '180.01' }],
      // 180.01 / 3 = 60.00333…
      averageAmount: [{ currency: 'USD', amount: '60.00' }],
      // 7,200 s, 21,600 s and 600 s: mean 9,800 s; nearest-rank p90 is the longest of three.
      processingTime: { completed: 3, meanSeconds: '9800.000', p90Seconds: '21600.000' },
    });
  });

  it('breaks down by method, status, day, failure code and partner', async () => {
    const report = await payoutSummary(pool, period);
    expect(report.byMethod).toEqual([
      {
        methodId: 'BANK_TRANSFER', currency: 'RUB', submitted: 1, completed: 0, failed: 0, cancelled: 0, completedAmount: '0.00', averageAmount: null,
        processingTime: { completed: 2, meanSeconds: '14400.000', p90Seconds: '21600.000' },
      },
      {
        methodId: 'BANK_TRANSFER', currency: 'USD', submitted: 4, completed: 2, failed: 0, cancelled: 1, completedAmount: '150.00', averageAmount: '75.00',
        processingTime: { completed: 2, meanSeconds: '14400.000', p90Seconds: '21600.000' },
      },
      {
        methodId: 'YOOMONEY', currency: 'USD', submitted: 2, completed: 1, failed: 1, cancelled: 0, completedAmount: '30.01', averageAmount: '30.01',
        processingTime: { completed: 1, meanSeconds: '600.000', p90Seconds: '600.000' },
      },
    ]);
    expect(report.byStatus).toEqual([
      { status: 'APPROVED', currency: 'USD', count: 1, amount: '70.00' },
      { status: 'CANCELLED', currency: 'USD', count: 1, amount: '10.00' },
      { status: 'COMPLETED', currency: 'USD', count: 3, amount: '180.01' },
      { status: 'FAILED', currency: 'USD', count: 1, amount: '20.00' },
      { status: 'PROCESSING', currency: 'RUB', count: 1, amount: '5000.00' },
    ]);
    expect(report.daily).toEqual([
      { day: yesterday, currency: 'USD', submitted: 2, approved: 0, processed: 0, completed: 1, failed: 0, cancelled: 0, completedAmount: '100.00' },
      { day: today, currency: 'RUB', submitted: 1, approved: 0, processed: 1, completed: 0, failed: 0, cancelled: 0, completedAmount: '0.00' },
      { day: today, currency: 'USD', submitted: 4, approved: 5, processed: 4, completed: 2, failed: 1, cancelled: 1, completedAmount: '80.01' },
    ]);
    expect(report.failures).toEqual({
      rows: [{ failureCode: 'ACCOUNT_CLOSED', methodId: 'YOOMONEY', currency: 'USD', count: 1, amount: '20.00' }],
      failureRatePercent: [{ currency: 'USD', percent: '25.00' }],
    });
    expect(report.byPartner).toEqual({
      partners: 4,
      rows: [
        { partnerId: 'sr-q1', currency: 'USD', submitted: 2, completed: 2, failed: 0, cancelled: 0, completedAmount: '150.00' },
        { partnerId: 'sr-q2', currency: 'USD', submitted: 2, completed: 1, failed: 1, cancelled: 0, completedAmount: '30.01' },
        { partnerId: 'sr-q3', currency: 'USD', submitted: 2, completed: 0, failed: 0, cancelled: 1, completedAmount: '0.00' },
        { partnerId: 'sr-q4', currency: 'RUB', submitted: 1, completed: 0, failed: 0, cancelled: 0, completedAmount: '0.00' },
      ],
    });
  });
});

describe('ranges and stored files', () => {
  it('refuses a range that is reversed, empty or longer than 366 days, naming the field', async () => {
    const refusal = async (from: string, to: string) => {
      const error = await payoutSummary(pool, { from, to }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DomainError);
      return { code: (error as DomainError).code, field: (error as DomainError).field };
    };
    expect(await refusal(period.to, period.from)).toEqual({ code: 'invalid_range', field: 'to' });
    expect(await refusal(period.from, period.from)).toEqual({ code: 'invalid_range', field: 'to' });
    expect(await refusal('2024-01-01T00:00:00Z', '2025-01-02T00:00:01Z')).toEqual({ code: 'range_too_long', field: 'to' });
    expect(await refusal('yesterday', period.to)).toEqual({ code: 'invalid_range', field: 'from' });
    expect(await refusal('0000-01-01T00:00:00Z', '0000-01-02T00:00:00Z')).toEqual({ code: 'invalid_range', field: 'from' });
    // 366 days exactly is allowed.
    await expect(commissionSummary(pool, { from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' })).resolves.toMatchObject({ kind: 'commissions' });
  });

  it('stores a report as JSON, CSV and PDF with their SHA-256; the CSV parses and the PDF shows the totals', async () => {
    const { report, created } = await generateSummaryReport(pool, { kind: 'payouts', period: 'ON_DEMAND', ...period, requestedBy: '00000000-0000-4000-8000-00000000000a' });
    expect(created).toBe(true);
    const json = (await summaryReportFile(pool, report.id, 'json'))!;
    const csv = (await summaryReportFile(pool, report.id, 'csv'))!;
    const pdf = (await summaryReportFile(pool, report.id, 'pdf'))!;
    for (const [format, file] of [['json', json], ['csv', csv], ['pdf', pdf]] as const) {
      expect(file.sha256).toBe(createHash('sha256').update(file.bytes).digest('hex'));
      expect(report.sha256[format]).toBe(file.sha256);
    }
    expect(json.fileName).toBe(`payouts-summary-${yesterday}-${period.to.slice(0, 10)}.json`);
    expect(JSON.parse(json.bytes.toString('utf8'))).toEqual(await payoutSummary(pool, period));

    const records = parseCsv(csv.bytes.toString('utf8'));
    expect(records[0]).toEqual(['Payout Summary Report']);
    expect(records).toContainEqual(['Requests Completed', 'USD', '3', '180.01']);
    expect(records).toContainEqual(['Requests Submitted', 'RUB', '1', '5000.00']);
    expect(records).toContainEqual(['USD', '180.01', '60.00']);
    expect(records).toContainEqual(['3', '9800.000', '21600.000']);
    expect(records).toContainEqual(['ACCOUNT_CLOSED', 'YOOMONEY', 'USD', '1', '20.00']);

    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(pdf.bytes);
    expect(text).toContain('Payout Summary Report');
    expect(text).toContain('Requests Completed');
    expect(text).toContain('180.01');
    expect(text).toContain('60.00');
    expect(text).toContain('9800.000');
    expect(text).toContain('ACCOUNT_CLOSED');

    const listed = await listSummaryReports(pool, { kind: 'payouts', limit: 10 });
    expect(listed.map((row) => row.id)).toContain(report.id);
  });

  it('stores a Schedule’s period once: a second run finds the stored report', async () => {
    const input = { kind: 'commissions' as const, period: 'DAILY' as const, from: utcMidnight(-1).toISOString(), to: utcMidnight(0).toISOString(), requestedBy: null };
    const first = await generateSummaryReport(pool, input);
    const second = await generateSummaryReport(pool, input);
    expect(first.created).toBe(true);
    expect(second).toEqual({ report: first.report, created: false });
    const pdf = (await summaryReportFile(pool, first.report.id, 'pdf'))!;
    const text = pdfText(pdf.bytes);
    expect(text).toContain('Commission Summary Report');
    expect(text).toContain('Total Generated');
    expect(text).toContain('140.00');
  });

  it('a report changes nothing in the ledger', async () => {
    await assertLedgerInvariants(database.ownerUrl);
  });
});
