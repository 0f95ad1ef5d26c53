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
 * Also: an admin enters a chargeback, records a step and decides it WON; a bulk adjustment is created, previewed,
 * approved by another admin and runs to its results report.
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
let upline: string;
let orderId: string;
let secondOrderId: string;
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
  upline = `${prefix}-top`;
  seller = `${prefix}-seller`;
  orderId = `order-${prefix}`;
  secondOrderId = `order2-${prefix}`;
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
  const second = await api.request('/v1/events', {
    token: await api.signIn(manager),
    body: { kind: 'ORDER_COMPLETED', externalId: `ev2-${prefix}`, sourceId: secondOrderId, partnerId: seller, amount: '400.00', currency: 'USD', completedAt: new Date().toISOString() },
  });
  expect(second.status, await second.clone().text()).toBe(201);
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
      SELECT c.amount::text, c.reversed_amount::text FROM commissions c JOIN commission_events e ON e.id = c.event_id
      WHERE c.partner_id = ${seller} AND e.source_id = ${orderId}`);
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
    await support.getByRole('button', { name: 'Claim' }).click();
    await expect.poll(() => support.locator('dd', { hasText: admin.id }).count()).toBeGreaterThan(0);
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

  it('an admin enters a chargeback by hand, records an investigation step and decides it WON with a TOTP code', async () => {
    const { page, admin } = await adminPage('admin');
    await page.getByRole('link', { name: 'Chargebacks' }).click();
    await page.getByRole('heading', { name: 'Chargebacks' }).waitFor();
    await page.getByRole('button', { name: 'Enter a chargeback…' }).click();
    const enter = page.getByRole('dialog', { name: 'Enter a chargeback' });
    await enter.getByLabel('Order ID').fill(secondOrderId);
    await enter.getByLabel('Amount charged back').fill('100.00');
    await enter.getByLabel('Currency').fill('USD');
    await enter.getByLabel('Provider reference').fill(`cb-${randomBytes(4).toString('hex')}`);
    await enter.getByLabel('Reason code').fill('10.4');
    await enter.getByRole('button', { name: 'Open chargeback' }).click();
    await page.locator('section[data-status]').first().waitFor();
    const chargebackId = page.url().split('/').at(-1)!;
    // The workflow reverses the order's commissions a moment after the answer.
    await expect
      .poll(async () => {
        await page.reload();
        return page.getByRole('heading', { name: 'Commissions reversed' }).count();
      }, { timeout: 15_000, interval: 300 })
      .toBe(1);

    await page.getByRole('button', { name: 'Record step…' }).click();
    const step = page.getByRole('dialog', { name: 'Record investigation step' });
    await step.getByLabel('Step').selectOption('EVIDENCE_GATHERED');
    await step.getByLabel('Note (optional)').fill('Delivery receipt signed by the customer.');
    await step.getByRole('button', { name: 'Record' }).click();
    await step.waitFor({ state: 'detached' });
    await page.locator('section[data-status="EVIDENCE_GATHERED"]').waitFor();
    await page.getByRole('heading', { name: 'Investigation steps' }).waitFor();

    await page.getByRole('button', { name: 'Record outcome…' }).click();
    const decide = page.getByRole('dialog', { name: 'Record chargeback outcome' });
    await decide.getByLabel('Outcome').selectOption('WON');
    await decide.getByTestId('totp').fill(await api.nextTotp(admin));
    await decide.getByRole('button', { name: 'Record outcome' }).click();
    await decide.waitFor({ state: 'detached' });
    await page.locator('section[data-status="WON"]').waitFor();
    await shot(page, 'admin-chargeback-won');
    const status = await api.owner.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM chargebacks WHERE id = ${chargebackId}`);
    expect(status).toBe('WON');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 60_000);

  it('a bulk adjustment by partner IDs is previewed with its total, approved by another admin, runs, and offers its results report', async () => {
    const { page: maker } = await adminPage('admin');
    await maker.goto(`${served.url}/app/admin/adjustments`);
    await maker.getByRole('link', { name: 'Bulk adjustments →' }).click();
    await maker.getByRole('heading', { name: 'Bulk adjustments' }).waitFor();
    await maker.getByRole('button', { name: 'New bulk adjustment…' }).click();
    const create = maker.getByRole('dialog', { name: 'New bulk adjustment' });
    await create.getByLabel('Direction').selectOption('ADD');
    await create.getByLabel('Fixed or percentage').selectOption('FIXED');
    await create.getByLabel('Value').fill('5.00');
    await create.getByLabel('Reason (mandatory)').fill('Campaign thank-you');
    await create.getByLabel('Target').selectOption('IDS');
    await create.getByLabel('Partner IDs').fill(`${seller}\n${upline}`);
    // The filter's fields are hidden while the target is by IDs.
    expect(await create.getByLabel('Joined on or after').isVisible()).toBe(false);
    await create.getByRole('button', { name: 'Create and preview' }).click();
    await maker.locator('section[data-status="AWAITING_APPROVAL"]').waitFor();
    expect(await maker.getByTestId('total-impact').textContent()).toContain('10.00');
    expect(await maker.locator('tbody tr').count()).toBe(2);
    const bulkId = maker.url().split('/').at(-1)!;
    await shot(maker, 'admin-bulk-adjustment-preview');

    const { page: checker, admin } = await adminPage('senior_admin');
    await checker.goto(`${served.url}/app/admin/bulk-adjustments/${bulkId}`);
    await checker.getByRole('button', { name: 'Approve…' }).click();
    const approve = checker.getByRole('dialog', { name: 'Approve bulk adjustment' });
    await approve.getByTestId('totp').fill(await api.nextTotp(admin));
    await approve.getByRole('button', { name: 'Approve' }).click();
    await approve.waitFor({ state: 'detached' });
    // EXECUTING refreshes itself and re-renders once COMPLETED.
    await checker.locator('section[data-status="COMPLETED"]').waitFor({ timeout: 20_000 });
    await checker.getByRole('button', { name: 'Download the results report' }).waitFor();
    const [file] = await Promise.all([checker.waitForEvent('download'), checker.getByRole('button', { name: 'Download the results report' }).click()]);
    expect(file.suggestedFilename()).toMatch(/\.csv$/);
    await shot(checker, 'admin-bulk-adjustment-completed');
    const applied = await api.owner.oneFirst(sql.type(z.object({ applied: z.number() }))`SELECT applied FROM bulk_adjustments WHERE id = ${bulkId}`);
    expect(applied).toBe(2);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 60_000);

  it('the refund queue filters by reason and is usable at a phone width', async () => {
    const { page } = await adminPage('admin');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${served.url}/app/admin/refunds`);
    await page.getByRole('heading', { name: 'Refunds' }).waitFor();
    await page.getByLabel('Reason').selectOption('PARTIAL_DAMAGE');
    await page.getByLabel('Order ID').fill(orderId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.url()).toContain('reason=PARTIAL_DAMAGE');
    await expect.poll(() => page.locator('tbody tr[data-id]').count()).toBe(1);
    await page.getByRole('button', { name: 'Menu' }).waitFor();
    // Nothing but the table scrolls sideways.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(page, 'admin-refunds-phone');
  }, 60_000);

  it('a senior admin claws part of a commission back from its page with a TOTP code; an admin is told only a senior admin may', async () => {
    const row = await api.owner.one(sql.type(z.object({ id: z.string(), reversed: z.string() }))`
      SELECT c.id::text AS id, c.reversed_amount::text AS reversed FROM commissions c JOIN commission_events e ON e.id = c.event_id
      WHERE c.partner_id = ${upline} AND e.source_id = ${orderId} AND c.status <> 'REVERSED' ORDER BY c.id LIMIT 1`);
    const { page: plain } = await adminPage('admin');
    await plain.goto(`${served.url}/app/admin/commissions/${row.id}`);
    await plain.getByText('A senior admin can claw this commission back.').waitFor();
    expect(await plain.getByRole('button', { name: 'Claw back…' }).count()).toBe(0);

    const { page, admin } = await adminPage('senior_admin');
    await page.goto(`${served.url}/app/admin/commissions/${row.id}`);
    await page.getByRole('button', { name: 'Claw back…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Claw back commission' });
    await dialog.getByLabel(/^Amount/).fill('1.00');
    await dialog.getByLabel('Reason').fill('Order line returned outside the refund flow');
    await dialog.getByTestId('totp').fill(await api.nextTotp(admin));
    await dialog.getByRole('button', { name: 'Claw back' }).click();
    await dialog.waitFor({ state: 'detached' });
    // The page reloads with the new reversed amount and the clawback in the history.
    await page.getByRole('cell', { name: 'COMMISSION_CLAWBACK' }).first().waitFor();
    const reversed = await api.owner.oneFirst(sql.type(z.object({ reversed: z.string() }))`
      SELECT reversed_amount::text AS reversed FROM commissions WHERE id = ${row.id}`);
    expect(new Money(reversed).minus(row.reversed).toFixed(2)).toBe('1.00');
    await shot(page, 'admin-commission-clawback');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 60_000);
});
