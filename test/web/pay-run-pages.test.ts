import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy, type Policy } from '../../domain/policy.ts';
import { createApiHarness, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { launchChromium } from '../helpers/browser.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { repositoryRoot } from '../helpers/temporal.ts';

/**
 * Issue #17's console pages in headless Chromium against the real API and database: the payment schedule's preview
 * (who is due, who is below the minimum and why, totals). Screenshots go to .test-data/screenshots/.
 */

const screenshots = path.join(repositoryRoot, '.test-data', 'screenshots');
const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let served: ServedApp;
let browser: Browser;
const contexts: BrowserContext[] = [];
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  await kit.insertRubRate();
  // Every day is a payment day, so today's preview has something to show whatever the date.
  const everyDay = Array.from({ length: 31 }, (_, index) => index + 1);
  const document: Policy = { ...defaultPolicy, payouts: { ...defaultPolicy.payouts, schedule: { enabled: true, paymentDays: everyDay, holdDays: 0, includeBelowMinimum: false, runHourUtc: 6 } } };
  await api.dependencies.policies.add({ document, effectiveFrom: new Date(), reason: 'console pay-run pages test', actor: 'test' });
  served = await serve((request) => api.app.fetch(request));
  await mkdir(screenshots, { recursive: true });
  browser = await launchChromium();
  expect((await fetch(`${served.url}/app/assets/app.js`)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await Promise.allSettled([...workflowIds].map((id) => api.dependencies.temporal.workflow.getHandle(id).terminate('test file finished')));
  await served?.close();
  await api?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  return page;
}

async function adminPage(role: TestAdmin['role'] = 'admin'): Promise<{ page: Page; admin: TestAdmin }> {
  const admin = await api.createAdmin(role);
  const page = await newPage();
  await page.goto(`${served.url}/app/login`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByLabel('TOTP code (admins)').fill(await api.nextTotp(admin));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Payout queue' }).waitFor();
  return { page, admin };
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });

/** An ACTIVE, KYC-approved partner with `funds` USD in available and, if asked, saved bank details. */
async function schedulePartner(funds: string, savedBank: boolean): Promise<string> {
  const partnerId = `s_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, ${`Schedule ${partnerId}`}, '3', 'ACTIVE', 'APPROVED', now() - interval '1 year')`);
  if (savedBank) {
    await api.owner.query(sql.unsafe`
      INSERT INTO partner_payment_methods (partner_id, method_id, details) VALUES (${partnerId}, 'BANK_TRANSFER', ${sql.jsonb(bankDetails)})`);
  }
  await kit.fund(partnerId, funds, 'USD');
  return partnerId;
}

describe('the payment schedule preview', () => {
  it('lists who is due and who is not paid with the reason (below the minimum, no details), with totals per currency and state', async () => {
    const ready = await schedulePartner('80.00', true);
    const readyToo = await schedulePartner('120.50', true);
    const below = await schedulePartner('30.00', true);
    const noDetails = await schedulePartner('70.00', false);

    const { page } = await adminPage('financial_support');
    await page.getByRole('link', { name: 'Payment schedule' }).click();
    await page.getByRole('heading', { name: /^Payment schedule: \d{4}-\d{2}-\d{2}$/ }).waitFor();

    const due = page.locator('table.schedule-due tbody tr[data-partner]');
    const notPaid = page.locator('table.schedule-not-paid tbody tr[data-partner]');
    expect(await due.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-partner')).sort())).toEqual([ready, readyToo].sort());
    expect(await page.locator(`table.schedule-due tr[data-partner="${readyToo}"] td`).nth(1).textContent()).toBe('120.50 USD');
    expect(await notPaid.evaluateAll((rows) => rows.map((row) => [row.getAttribute('data-partner'), row.getAttribute('data-state')]).sort())).toEqual(
      [[below, 'BELOW_MINIMUM'], [noDetails, 'NO_PAYMENT_DETAILS']].sort(),
    );
    expect(await page.locator(`tr[data-partner="${below}"] [data-testid="why"]`).textContent()).toBe('30.00 USD is below the Bank transfer minimum of 50.00 USD; not paid.');
    expect(await page.locator(`tr[data-partner="${noDetails}"] [data-testid="why"]`).textContent()).toContain('No saved payment details');

    // Totals per currency and state, summed as decimals: 80.00 + 120.50.
    const readyTotal = page.locator('[data-testid="schedule-total"][data-currency="USD"][data-state="READY"] td');
    expect(await readyTotal.allTextContents()).toEqual(['USD', 'READY', '2', '200.50 USD', '200.50 USD']);
    const belowTotal = page.locator('[data-testid="schedule-total"][data-currency="USD"][data-state="BELOW_MINIMUM"] td');
    expect(await belowTotal.nth(2).textContent()).toBe('1');
    await shot(page, 'admin-payment-schedule-preview');

    // Another date through the form: the URL and the heading follow it.
    await page.getByTestId('schedule-date').fill('2031-01-15');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { name: 'Payment schedule: 2031-01-15' }).waitFor();
    expect(page.url()).toContain('date=2031-01-15');
  }, 60_000);
});
