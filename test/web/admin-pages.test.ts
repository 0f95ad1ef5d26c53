import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Money } from '../../domain/money.ts';
import { createApiHarness, errorOf, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { repositoryRoot } from '../helpers/temporal.ts';

/**
 * The console's other pages in headless Chromium against the real API and database (no worker: nothing here needs
 * a workflow to move): commissions with their breakdown, the partner profile with freeze and unfreeze, the exports
 * and the bulk CSV of the queue, the charts, the partner's commissions; and the aggregate endpoints behind the
 * charts. Screenshots go to .test-data/screenshots/.
 */

const screenshots = path.join(repositoryRoot, '.test-data', 'screenshots');
const countSchema = z.object({ count: z.number() });

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let served: ServedApp;
let browser: Browser;
const contexts: BrowserContext[] = [];
const workflowIds = new Set<string>();
let seller: string;
let upline: string;
let sellerLogin: { email: string; password: string };
let payoutId: string;
let adminToken: string;

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  await kit.insertRubRate();
  served = await serve((request) => api.app.fetch(request));
  const prefix = `w${randomBytes(4).toString('hex')}`;
  upline = `${prefix}-top`;
  seller = `${prefix}-seller`;
  for (const [id, sponsor, rank] of [[upline, null, '5'], [seller, upline, '3']] as const) {
    await api.owner.query(sql.unsafe`
      INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
      VALUES (${id}, ${`Partner ${id}`}, ${sponsor}, ${rank}, 'ACTIVE', 'APPROVED', now() - interval '1 year')`);
  }
  const manager = await api.createAdmin('finance_manager');
  adminToken = await api.signIn(manager);
  const event = await api.request('/v1/events', {
    token: adminToken,
    body: { kind: 'ORDER_COMPLETED', externalId: `ev-${prefix}`, sourceId: `order-${prefix}`, partnerId: seller, amount: '1000.00', currency: 'USD', completedAt: new Date().toISOString() },
  });
  expect(event.status, await event.clone().text()).toBe(201);
  // A payout for the queue, the exports and the charts (its workflow waits on a task queue no worker polls).
  const user = await api.createPartnerUser(seller);
  sellerLogin = user;
  await kit.fund(seller, '300.00', 'USD');
  const created = await api.request('/v1/payouts', {
    token: await api.signIn(user),
    body: { partnerId: seller, amount: '120.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: { accountName: 'Partner Seller', accountNumber: '12345678', routingNumber: '021000021' } },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  payoutId = ((await created.json()) as { id: string }).id;
  workflowIds.add(`payout-${payoutId}`);
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

async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  return page;
}

async function signIn(page: Page, user: { email: string; password: string }, totp?: string): Promise<void> {
  await page.goto(`${served.url}/app/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  if (totp) await page.getByLabel('TOTP code (admins)').fill(totp);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.url()).not.toContain('/app/login');
}

async function adminPage(role: TestAdmin['role'] = 'admin'): Promise<{ page: Page; admin: TestAdmin }> {
  const admin = await api.createAdmin(role);
  const page = await newPage();
  await signIn(page, admin, await api.nextTotp(admin));
  await page.getByRole('heading', { name: 'Payout queue' }).waitFor();
  return { page, admin };
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });

describe('the aggregate endpoints behind the charts', () => {
  const range = () => ({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() });

  it('sum payouts per day, status and method, and commissions per level and source, as decimal strings', async () => {
    const { from, to } = range();
    const payouts = await api.request(`/v1/reports/payouts-by-status-method?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&bucket=day`, { token: adminToken });
    expect(payouts.status).toBe(200);
    const payoutRows = ((await payouts.json()) as { rows: { bucket: string; status: string; methodId: string; currency: string; count: number; amount: string }[] }).rows;
    expect(payoutRows).toEqual([{ bucket: new Date().toISOString().slice(0, 10), status: 'REQUESTED', methodId: 'BANK_TRANSFER', currency: 'USD', count: 1, amount: '120.00' }]);

    const commissions = await api.request(`/v1/reports/commissions-by-level-source?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { token: adminToken });
    expect(commissions.status).toBe(200);
    const commissionRows = ((await commissions.json()) as { rows: { level: number; sourceType: string; currency: string; count: number; amount: string }[] }).rows;
    const listed = ((await (await api.request('/v1/commissions?limit=100', { token: adminToken })).json()) as { commissions: { level: number; amount: string }[] }).commissions;
    expect(commissionRows.length).toBeGreaterThan(0);
    for (const row of commissionRows) {
      expect(row.amount).toMatch(/^\d+\.\d{2}$/);
      const expected = listed.filter((commission) => commission.level === row.level).reduce((sum, commission) => sum.plus(commission.amount), new Money(0));
      expect(new Money(row.amount).equals(expected)).toBe(true);
    }
  });

  it('refuse partners (403), a backwards range (400 naming query.to), and an audit query naming nothing (400)', async () => {
    const { from, to } = range();
    const partnerToken = await api.signIn(await api.createPartnerUser(seller));
    const refused = await api.request(`/v1/reports/payouts-by-status-method?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { token: partnerToken });
    expect(refused.status).toBe(403);
    const trail = await api.request(`/v1/reports/audit-trail?partnerId=${seller}`, { token: partnerToken });
    expect(trail.status).toBe(403);
    const backwards = await api.request(`/v1/reports/commissions-by-level-source?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`, { token: adminToken });
    expect(backwards.status).toBe(400);
    expect((await errorOf(backwards)).field).toBe('query.to');
    const nothing = await api.request('/v1/reports/audit-trail', { token: adminToken });
    expect(nothing.status).toBe(400);
    expect((await errorOf(nothing)).field).toBe('query.partnerId');
    const ofPayout = await api.request(`/v1/reports/audit-trail?targetType=payout&targetId=${payoutId}`, { token: adminToken });
    expect(((await ofPayout.json()) as { records: { action: string; amount: string }[] }).records).toEqual([expect.objectContaining({ action: 'PAYOUT_REQUEST', amount: '120.00' })]);
  });
});

describe('the admin pages in a real browser', () => {
  it('list commissions by the filters in docs/rules.md#commission-list and show one with its calculation breakdown', async () => {
    const { page } = await adminPage();
    await page.getByRole('link', { name: 'Commissions' }).click();
    await page.getByLabel('Partner').fill(seller);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/partnerId=/);
    const links = page.locator('tbody tr td:first-child a');
    await links.first().waitFor();
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
    await shot(page, 'admin-commissions');
    await links.first().click();
    await page.getByRole('heading', { name: 'Calculation' }).waitFor();
    await expect(page.getByTestId('breakdown').textContent()).resolves.toMatch(/\d/);
    await shot(page, 'admin-commission-detail');
  });

  it('show a partner’s profile with balances, postings, payouts and audit trail, and freeze and unfreeze them with TOTP', async () => {
    const first = await adminPage();
    await first.page.goto(`${served.url}/app/admin/partners/${seller}`);
    await first.page.getByRole('heading', { name: 'Balances by bucket' }).waitFor();
    await expect(first.page.locator('[data-currency="USD"] [data-testid="balance-payoutReserved"]').textContent()).resolves.toBe('120.00 USD');
    await first.page.getByRole('heading', { name: 'Ledger postings' }).waitFor();
    await first.page.getByRole('cell', { name: 'PAYOUT_REQUEST' }).waitFor();
    await first.page.getByRole('button', { name: 'Freeze…' }).click();
    const freeze = first.page.getByRole('dialog', { name: 'Freeze partner' });
    await freeze.getByLabel('Why').selectOption('BALANCE_DISCREPANCY');
    await freeze.getByLabel('Reason').fill('Ledger and provider disagree');
    await freeze.getByTestId('totp').fill(await api.nextTotp(first.admin));
    await freeze.getByRole('button', { name: 'Freeze' }).click();
    await first.page.getByText('FROZEN (BALANCE_DISCREPANCY): Ledger and provider disagree').waitFor();
    await shot(first.page, 'admin-partner-profile');

    // A wrong code is refused next to the TOTP field and the dialog stays open.
    const second = await adminPage('senior_admin');
    await second.page.goto(`${served.url}/app/admin/partners/${seller}`);
    await second.page.getByRole('button', { name: 'Unfreeze…' }).click();
    const unfreeze = second.page.getByRole('dialog', { name: 'Unfreeze partner' });
    await unfreeze.getByLabel('Reason').fill('Reconciled');
    await unfreeze.getByTestId('totp').fill('000000');
    await unfreeze.getByRole('button', { name: 'Unfreeze' }).click();
    const totpError = unfreeze.locator(`[id="${await unfreeze.getByTestId('totp').getAttribute('id')}-error"]`);
    await expect.poll(() => totpError.textContent()).toMatch(/TOTP|code/i);
    await unfreeze.getByTestId('totp').fill(await api.nextTotp(second.admin));
    await unfreeze.getByRole('button', { name: 'Unfreeze' }).click();
    await unfreeze.waitFor({ state: 'detached' });
    await second.page.getByText('not frozen').waitFor();
    const audit = await api.owner.oneFirst(sql.type(countSchema)`
      SELECT count(*)::int AS count FROM audit_records WHERE target_id = ${seller} AND action IN ('BALANCE_FREEZE', 'BALANCE_UNFREEZE')`);
    expect(audit).toBe(2);
  });

  it('export the selected queue rows as CSV, and make and download a server export', async () => {
    const { page } = await adminPage();
    const row = page.locator(`tr[data-payout-id="${payoutId}"]`);
    await row.getByRole('checkbox').check();
    const [selection] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export selected (CSV)' }).click()]);
    const selectionText = await readFile((await selection.path())!, 'utf8');
    expect(selectionText.split('\n')[0]).toBe('requestId,partnerId,partnerName,amount,currency,fee,amountToTransfer,method,requestedAt,status,priority,assignedTo,slaDueAt');
    expect(selectionText).toContain(`${payoutId},${seller},Partner ${seller},120.00,USD,5.00,115.00,BANK_TRANSFER`);

    await page.getByRole('link', { name: /Export files/ }).click();
    await page.getByLabel('Kind').selectOption('CSV_ALL');
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Make and download' }).click()]);
    expect(file.suggestedFilename()).toMatch(/\.csv$/);
    expect(await readFile((await file.path())!, 'utf8')).toContain(payoutId);
    await page.locator('tbody tr').first().getByText('CSV_ALL').waitFor();
    await shot(page, 'admin-exports');
  });

  it('search payment details and history by a substring of an account number', async () => {
    const { page } = await adminPage();
    await page.getByRole('link', { name: 'Partners' }).click();
    await page.getByLabel('Search payment details and history').fill('345678');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('accountNumber: 12345678', { exact: false }).waitFor();
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await shot(page, 'admin-payment-search');
  });

  it('find a partner by a fragment of their name in another case, and open their profile from the result', async () => {
    const { page } = await adminPage();
    await page.getByRole('link', { name: 'Partners' }).click();
    const fragment = `NER ${seller.toUpperCase().slice(0, -2)}`;
    await page.getByLabel('Find a partner (name, ID or e-mail)').fill(fragment);
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('name') === fragment);
    const result = page.getByRole('link', { name: `Partner ${seller}`, exact: true });
    await result.waitFor();
    await expect(page.locator('tr[data-partner-id]').count()).resolves.toBe(1);
    await shot(page, 'admin-partner-search');
    await result.click();
    await page.getByRole('heading', { name: `Partner ${seller}`, exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Balances by bucket' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/app/admin/partners/${seller}`);
  });

  it('draw the charts as SVG from the aggregates, with the numbers beside them', async () => {
    const { page } = await adminPage();
    await page.getByRole('link', { name: 'Charts' }).click();
    await page.getByRole('img', { name: 'Payout amounts by status per day' }).waitFor();
    await expect(page.locator('svg rect[data-key="REQUESTED"]').count()).resolves.toBe(1);
    await expect(page.locator('svg rect[data-key="BANK_TRANSFER"]').count()).resolves.toBe(1);
    expect(await page.locator('svg[aria-label="Commission amounts by level, stacked by source"] rect[data-key="PRODUCT"]').count()).toBeGreaterThan(0);
    await shot(page, 'admin-charts');
  });

  it('show the partner their commissions with status and expected release date', async () => {
    const page = await newPage();
    await signIn(page, sellerLogin);
    await page.getByRole('link', { name: 'Commissions' }).click();
    await page.getByRole('heading', { name: 'Your commissions' }).waitFor();
    await page.getByText(/\(expected\)$/).first().waitFor();
    await page.locator('[data-status="PENDING"]').first().waitFor();
    await shot(page, 'partner-commissions');
  });
});
