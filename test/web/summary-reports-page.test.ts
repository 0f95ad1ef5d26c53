import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { launchChromium } from '../helpers/browser.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { repositoryRoot } from '../helpers/temporal.ts';
import { at, pdfText, reportKit } from '../reports/kit.ts';

/**
 * The console's summary reports page (docs/rules.md#summary-reports) in headless Chromium against the real API and
 * database: the period's totals and charts, a PDF download with the totals in it, and storing a report on demand.
 */

const screenshots = path.join(repositoryRoot, '.test-data', 'screenshots');
let api: ApiHarness;
let owner: pg.Client;
let served: ServedApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  api = await createApiHarness();
  owner = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
  await owner.connect();
  const kit = reportKit(owner, api.database, 'web');
  await kit.payout({ partnerId: 'web-q1', methodId: 'BANK_TRANSFER', amount: '250.75', status: 'COMPLETED', requestedAt: at(-1, 8), closedAt: at(-1, 9) });
  await kit.payout({ partnerId: 'web-q2', methodId: 'YOOMONEY', amount: '10.00', status: 'FAILED', requestedAt: at(-1, 8), closedAt: at(-1, 8, 30), failureCode: 'ACCOUNT_CLOSED' });
  await kit.commission({ partnerId: 'web-p1', level: 1, sourceType: 'PRODUCT', amount: '77.70', createdAt: at(-1, 7) });
  await kit.commission({ partnerId: 'web-p2', level: 2, sourceType: 'INVESTMENT', amount: '22.30', createdAt: at(-1, 7) });
  served = await serve((request) => api.app.fetch(request));
  await mkdir(screenshots, { recursive: true });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await served?.close();
  await owner?.end();
  await api?.close();
});

async function adminPage(): Promise<Page> {
  const admin = await api.createAdmin('finance_manager');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${served.url}/app/login`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByLabel('TOTP code (admins)').fill(await api.nextTotp(admin));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.url()).not.toContain('/app/login');
  return page;
}

describe('the summary reports page', () => {
  it('shows the period’s totals and charts, downloads the PDF and stores a report', async () => {
    const page = await adminPage();
    await page.getByRole('link', { name: 'Summary reports' }).click();
    await page.getByRole('heading', { name: 'Summary reports' }).waitFor();
    const payouts = page.getByTestId('payout-summary');
    await expect(payouts.getByRole('row', { name: /Requests completed/ }).textContent()).resolves.toContain('250.75');
    await expect(page.getByTestId('commission-summary').getByRole('row', { name: /Total generated/ }).textContent()).resolves.toContain('100.00');
    await page.getByRole('img', { name: 'Commissions by level (USD)' }).waitFor();
    expect(await page.locator('svg[aria-label="Completed payout amounts by method (USD)"] rect[data-key="completed"]').count()).toBe(1);
    await expect(payouts.getByRole('row', { name: /ACCOUNT_CLOSED/ }).textContent()).resolves.toContain('10.00');

    const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-payout-pdf').click()]);
    const bytes = await readFile((await pdf.path())!);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfText(bytes)).toContain('250.75');

    await page.getByTestId('store-payouts').click();
    await page.getByRole('cell', { name: 'ON_DEMAND' }).waitFor();
    const { rows } = await owner.query(`SELECT kind, period FROM summary_reports`);
    expect(rows).toEqual([{ kind: 'payouts', period: 'ON_DEMAND' }]);
    await page.screenshot({ path: path.join(screenshots, 'admin-summary-reports.png'), fullPage: true });
  });
});
