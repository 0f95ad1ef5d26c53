import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Money } from '../../domain/money.ts';
import { createApiHarness, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { launchChromium } from '../helpers/browser.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, repositoryRoot } from '../helpers/temporal.ts';

/**
 * Issue #5's queues in the console, in headless Chromium against the API, a worker, Temporal and Postgres: an admin
 * requests a partial refund and another approves it with a TOTP code (the order's commissions are reversed); a
 * partner opens a dispute on their commission and an admin explains it; an admin posts a manual commission.
 */

const screenshots = path.join(repositoryRoot, '.test-data', 'screenshots');
let api: ApiHarness;
let served: ServedApp;
let browser: Browser;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const contexts: BrowserContext[] = [];
let seller: string;
let orderId: string;
let sellerLogin: { email: string; password: string };

beforeAll(async () => {
  api = await createApiHarness();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  served = await serve((request) => api.app.fetch(request));
  // 100 RUB per USD: a 25 USD manual commission is 2,500 RUB, below the senior approval threshold.
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
  const prefix = `l${randomBytes(4).toString('hex')}`;
  const upline = `${prefix}-top`;
  seller = `${prefix}-seller`;
  orderId = `order-${prefix}`;
  for (const [id, sponsor, rank] of [[upline, null, '5'], [seller, upline, '3']] as const) {
    await api.owner.query(sql.unsafe`
      INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
      VALUES (${id}, ${`Partner ${id}`}, ${sponsor}, ${rank}, 'ACTIVE', 'APPROVED', now() - interval '1 year')`);
  }
  const manager = await api.createAdmin('finance_manager');
  const event = await api.request('/v1/events', {
    token: await api.signIn(manager),
    body: { kind: 'ORDER_COMPLETED', externalId: `ev-${prefix}`, sourceId: orderId, partnerId: seller, amount: '1000.00', currency: 'USD', completedAt: new Date().toISOString() },
  });
  expect(event.status, await event.clone().text()).toBe(201);
  sellerLogin = await api.createPartnerUser(seller);
  await mkdir(screenshots, { recursive: true });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await served?.close();
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
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
const reversedOf = (partnerId: string) =>
  api.owner.oneFirst(sql.type(z.object({ reversed: z.string() }))`
    SELECT coalesce(sum(reversed_amount), 0)::text AS reversed FROM commissions WHERE partner_id = ${partnerId}`);

describe('issue #5 in the console', () => {
  it('an admin requests a partial refund in the refund queue and another approves it with a TOTP code: the commissions are reversed', async () => {
    const { page: maker } = await adminPage('admin');
    await maker.getByRole('link', { name: 'Refunds' }).click();
    await maker.getByRole('heading', { name: 'Refunds' }).waitFor();
    await maker.getByRole('button', { name: 'Request a refund…' }).click();
    const request = maker.getByRole('dialog', { name: 'Request a refund' });
    await request.getByLabel('Order ID').fill(orderId);
    await request.getByLabel(/^Amount/).fill('250.00');
    await request.getByLabel('Reason', { exact: true }).selectOption('PARTIAL_DAMAGE');
    await request.getByRole('button', { name: 'Request refund' }).click();
    await maker.locator('section[data-status="PENDING"]').waitFor();
    const refundId = maker.url().split('/').at(-1)!;
    await shot(maker, 'admin-refund-pending');

    const { page: checker, admin } = await adminPage('senior_admin');
    await checker.goto(`${served.url}/app/admin/refunds/${refundId}`);
    await checker.getByRole('button', { name: 'Approve…' }).click();
    const approve = checker.getByRole('dialog', { name: 'Approve refund' });
    await approve.getByTestId('totp').fill(await api.nextTotp(admin));
    await approve.getByRole('button', { name: 'Approve' }).click();
    await approve.waitFor({ state: 'detached' });
    await checker.locator('section[data-status="PROCESSED"]').waitFor();
    await checker.getByRole('heading', { name: 'Commissions reversed' }).waitFor();
    await shot(checker, 'admin-refund-processed');
    // 25 % of the order: each commission of the seller is a quarter reversed.
    const commissions = await api.owner.any(sql.type(z.object({ amount: z.string(), reversed_amount: z.string() }))`
      SELECT amount::text, reversed_amount::text FROM commissions WHERE partner_id = ${seller}`);
    expect(commissions.length).toBeGreaterThan(0);
    for (const row of commissions) {
      expect(new Money(row.reversed_amount).toFixed(2)).toBe(new Money(row.amount).times('0.25').toDecimalPlaces(2, Money.ROUND_FLOOR).toFixed(2));
    }
    expect(await reversedOf(seller)).not.toBe('0');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 60_000);

  it('a partner opens a dispute on their commission; an admin explains it; the partner sees the answer', async () => {
    const commissionId = await api.owner.oneFirst(sql.type(z.object({ id: z.string() }))`
      SELECT id::text FROM commissions WHERE partner_id = ${seller} ORDER BY id LIMIT 1`);
    const partner = await newPage();
    await signIn(partner, sellerLogin);
    await partner.getByRole('link', { name: 'Disputes' }).click();
    await partner.getByRole('heading', { name: 'My disputes' }).waitFor();
    // A partner's navigation has no admin queues.
    expect(await partner.getByRole('link', { name: 'Refunds' }).count()).toBe(0);
    await partner.getByRole('button', { name: 'Open a dispute…' }).click();
    const open = partner.getByRole('dialog', { name: 'Open a dispute' });
    await open.getByLabel('What you dispute').selectOption('COMMISSION');
    await open.getByLabel(/^Transaction/).fill(commissionId);
    await open.getByLabel('What is wrong').fill('The rate applied should be my rank 3 rate.');
    await open.getByLabel(/^Evidence/).fill('My rank changed to 3 on the 1st; see the rank history.');
    await open.getByRole('button', { name: 'Open dispute' }).click();
    await partner.locator('section[data-status]').first().waitFor();
    const disputeId = partner.url().split('/').at(-1)!;

    const { page: support, admin } = await adminPage('financial_support');
    await support.goto(`${served.url}/app/admin/disputes/${disputeId}`);
    await support.getByRole('heading', { name: 'Timeline' }).waitFor();
    await support.getByRole('button', { name: 'Resolve…' }).click();
    const resolve = support.getByRole('dialog', { name: 'Resolve dispute' });
    await resolve.getByLabel('Resolution').selectOption('EXPLANATION');
    await resolve.getByLabel('Note shown to the partner').fill('Your rank 3 took effect after this order; the rate applied is right.');
    await resolve.getByTestId('totp').fill(await api.nextTotp(admin));
    await resolve.getByRole('button', { name: 'Resolve' }).click();
    await resolve.waitFor({ state: 'detached' });
    await support.locator('section[data-status="EXPLAINED"]').waitFor();
    await shot(support, 'admin-dispute-explained');

    await partner.reload();
    await partner.locator('section[data-status="EXPLAINED"]').waitFor();
    await partner.getByRole('button', { name: 'Ask for a senior admin…' }).waitFor();
    await shot(partner, 'partner-dispute-explained');
  }, 60_000);

  it('an admin posts a manual commission from the adjustments page with a TOTP code', async () => {
    const { page, admin } = await adminPage('admin');
    await page.getByRole('link', { name: 'Adjustments' }).click();
    await page.getByRole('button', { name: 'New manual commission…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Manual commission' });
    await dialog.getByLabel('Partner ID').fill(seller);
    await dialog.getByLabel('Type').selectOption('BONUS');
    await dialog.getByLabel('Amount').fill('25.00');
    await dialog.getByLabel('Reason (mandatory)').fill('Top seller of the month');
    await dialog.getByTestId('totp').fill(await api.nextTotp(admin));
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.locator('section[data-status]').first().waitFor();
    // The workflow posts it a moment after the answer: the page shows what the API says when it is (re)loaded.
    await expect
      .poll(async () => {
        if ((await page.locator('section[data-status="POSTED"]').count()) > 0) return true;
        await page.reload();
        await page.locator('section[data-status]').first().waitFor();
        return (await page.locator('section[data-status="POSTED"]').count()) > 0;
      }, { timeout: 15_000, interval: 300 })
      .toBe(true);
    await shot(page, 'admin-adjustment-posted');
    const posted = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM adjustments WHERE partner_id = ${seller} AND status = 'POSTED' AND amount = 25`);
    expect(posted).toBe(1);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 60_000);
});
