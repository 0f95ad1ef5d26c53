import { createHash } from 'node:crypto';
import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconciliation, signOffReconciliation } from '../../modules/reconciliation/reconciliation-store.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { reconciliationKit } from '../reconciliation/kit.ts';
import { at, parseCsv, pdfText, reportKit, utcMidnight } from './kit.ts';

/**
 * /v1/reports/* summaries (docs/rules.md#summary-reports) through the real API: JSON, CSV and PDF of a period, the
 * range refusals naming the field, the stored reports and their downloads, and the signed reconciliation's PDF archive.
 */

let api: ApiHarness;
let owner: pg.Client;
let adminToken: string;
const from = utcMidnight(-1).toISOString();
const to = utcMidnight(1).toISOString();
const query = (extra = '') => `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${extra}`;
const reconciledDay = '2003-04-05';

const storedCount = () => api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM summary_reports`);

beforeAll(async () => {
  api = await createApiHarness();
  owner = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
  await owner.connect();
  const kit = reportKit(owner, api.database, 'api');
  const done = await kit.payout({ partnerId: 'api-q1', methodId: 'BANK_TRANSFER', amount: '120.50', status: 'COMPLETED', requestedAt: at(-1, 8), closedAt: at(-1, 9) });
  await kit.approval(done, '120.50', true);
  await kit.processing(done, '120.50');
  await kit.payout({ partnerId: 'api-q2', methodId: 'BANK_TRANSFER', amount: '79.50', status: 'COMPLETED', requestedAt: at(-1, 10), closedAt: at(-1, 10, 30) });
  await kit.commission({ partnerId: 'api-p1', level: 1, sourceType: 'PRODUCT', amount: '33.30', createdAt: at(-1, 7) });
  adminToken = await api.signIn(await api.createAdmin('admin'));

  // A signed past day, archived as CSV and PDF.
  await reconciliationKit(owner).arrangeDay(reconciledDay, 'rpdf');
  await runReconciliation(api.database, { day: reconciledDay, requestedBy: null });
  await signOffReconciliation(api.database, { day: reconciledDay, signer: { userId: '00000000-0000-4000-8000-0000000000f1', role: 'finance_manager' } });
});

afterAll(async () => {
  if (owner) {
    await assertLedgerInvariants(owner);
    await owner.end();
  }
  await api?.close();
});

describe('GET /v1/reports/payout-summary and /commission-summary', () => {
  it('answers the period’s report as JSON, money as decimal strings per currency', async () => {
    const response = await api.request(`/v1/reports/payout-summary?${query()}`, { token: adminToken });
    expect(response.status, await response.clone().text()).toBe(200);
    const report = (await response.json()) as { totals: Record<string, unknown> };
    expect(report.totals.completed).toEqual([{ currency: 'USD', count: 2, amount: '200.00' }]);
    expect(report.totals.averageAmount).toEqual([{ currency: 'USD', amount: '100.00' }]);
    // 3,600 s and 1,800 s.
    expect(report.totals.processingTime).toEqual({ completed: 2, meanSeconds: '2700.000', p90Seconds: '3600.000' });
    const commissions = (await (await api.request(`/v1/reports/commission-summary?${query()}`, { token: adminToken })).json()) as { totals: Record<string, unknown> };
    expect(commissions.totals.generated).toEqual([{ currency: 'USD', count: 1, amount: '33.30' }]);
  });

  it('answers CSV and PDF attachments that carry the same totals', async () => {
    const csv = await api.request(`/v1/reports/payout-summary?${query('&format=csv')}`, { token: adminToken });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain(`payouts-summary-${from.slice(0, 10)}-${to.slice(0, 10)}.csv`);
    expect(parseCsv(await csv.text())).toContainEqual(['Requests Completed', 'USD', '2', '200.00']);

    const pdf = await api.request(`/v1/reports/commission-summary?${query('&format=pdf')}`, { token: adminToken });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfText(bytes)).toContain('33.30');
  });

  it('refuses a range longer than 366 days, reversed, or without an end, naming the field', async () => {
    const tooLong = await api.request(`/v1/reports/payout-summary?from=2024-01-01T00:00:00Z&to=2025-06-01T00:00:00Z`, { token: adminToken });
    expect(tooLong.status).toBe(400);
    expect(await errorOf(tooLong)).toMatchObject({ code: 'range_too_long', field: 'query.to' });
    const reversed = await api.request(`/v1/reports/commission-summary?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`, { token: adminToken });
    expect(reversed.status).toBe(400);
    expect(await errorOf(reversed)).toMatchObject({ field: 'query.to' });
    const noEnd = await api.request(`/v1/reports/payout-summary?from=${encodeURIComponent(from)}`, { token: adminToken });
    expect(noEnd.status).toBe(400);
    expect((await errorOf(noEnd)).field).toBe('query.to');
    const tooManyPartners = await api.request(`/v1/reports/payout-summary?${query('&partnerRows=1001')}`, { token: adminToken });
    expect(tooManyPartners.status).toBe(400);
    expect((await errorOf(tooManyPartners)).field).toBe('query.partnerRows');
  });

  it('is for admins only', async () => {
    const partner = await api.createPartnerUser();
    const response = await api.request(`/v1/reports/payout-summary?${query()}`, { token: await api.signIn(partner) });
    expect(response.status).toBe(403);
    expect((await api.request(`/v1/reports/payout-summary?${query()}`)).status).toBe(401);
  });
});

describe('stored summary reports', () => {
  it('stores one on demand, lists it and serves each file byte for byte with its SHA-256', async () => {
    const created = await api.request('/v1/reports/summaries', { token: adminToken, body: { kind: 'payouts', from, to } });
    expect(created.status, await created.clone().text()).toBe(201);
    const stored = (await created.json()) as { id: string; files: Record<'json' | 'csv' | 'pdf', string>; sha256: Record<'json' | 'csv' | 'pdf', string> };
    expect(stored).toMatchObject({ kind: 'payouts', period: 'ON_DEMAND', from, to, files: { pdf: `/v1/reports/summaries/${stored.id}/pdf` } });

    const listed = (await (await api.request('/v1/reports/summaries?kind=payouts', { token: adminToken })).json()) as { reports: { id: string }[] };
    expect(listed.reports.map((report: { id: string }) => report.id)).toContain(stored.id);

    for (const format of ['json', 'csv', 'pdf'] as const) {
      const file = await api.request(stored.files[format], { token: adminToken });
      expect(file.status).toBe(200);
      const bytes = Buffer.from(await file.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(stored.sha256[format]);
      expect(file.headers.get('etag')).toBe(`"${stored.sha256[format]}"`);
    }
    expect((await api.request(`/v1/reports/summaries/999999/pdf`, { token: adminToken })).status).toBe(404);
    expect((await api.request(`/v1/reports/summaries/${stored.id}/xlsx`, { token: adminToken })).status).toBe(400);
  });

  it('refuses an oversized on-demand range and stores nothing', async () => {
    const before = await storedCount();
    const response = await api.request('/v1/reports/summaries', { token: adminToken, body: { kind: 'commissions', from: '2020-01-01T00:00:00Z', to: '2022-01-01T00:00:00Z' } });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'range_too_long', field: 'body.to' });
    const after = await storedCount();
    expect(after).toBe(before);
  });
});

describe('the signed reconciliation’s PDF archive', () => {
  it('is stored with its SHA-256 at sign-off and served byte for byte, showing the day’s figures', async () => {
    const response = await api.request(`/v1/reconciliations/${reconciledDay}/archive.pdf`, { token: adminToken });
    expect(response.status, await response.clone().text()).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { rows } = await owner.query(`SELECT sha256, file_name FROM reconciliation_archive_pdfs WHERE day = $1`, [reconciledDay]);
    expect(rows[0]).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), file_name: `reconciliation-${reconciledDay}.pdf` });
    const text = pdfText(bytes);
    expect(text).toContain(`Daily Reconciliation Report ${reconciledDay}`);
    expect(text).toContain('Opening Balances');
    expect(text).toContain('commissions_created');
    // Every amount of the archived CSV is in the PDF.
    const archivedCsv = (await owner.query(`SELECT convert_from(csv, 'UTF8') AS csv FROM reconciliation_archives WHERE day = $1`, [reconciledDay])).rows[0].csv as string;
    const amounts = parseCsv(archivedCsv).slice(1).filter((record) => ['opening', 'movement', 'closing', 'variance'].includes(record[1]!)).map((record) => record[6]!);
    expect(amounts).toContain('-40');
    const lines = new Set(text.split('\n'));
    for (const amount of amounts) expect(lines.has(amount), amount).toBe(true);
    expect(text).toContain('finance_manager');
    // Immutable like the CSV's row.
    await expect(owner.query(`UPDATE reconciliation_archive_pdfs SET sha256 = repeat('0', 64) WHERE day = $1`, [reconciledDay])).rejects.toThrow();
    expect((await api.request(`/v1/reconciliations/2003-04-06/archive.pdf`, { token: adminToken })).status).toBe(404);
  });
});
