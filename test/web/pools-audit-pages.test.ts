import { randomBytes, randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfWeekUtc } from '../../domain/pools.ts';
import { scheduledPoolWorkflowId } from '../../stack/schedules.ts';
import { createApiHarness, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { launchChromium } from '../helpers/browser.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker, endLifecycleTestFile, repositoryRoot } from '../helpers/temporal.ts';
import { poolSeeder } from '../pools/helpers.ts';

/**
 * Issue #18's console additions in headless Chromium against the real API, database and Temporal: the Pools page
 * previews a past week and runs it (once); a payout's history shows the client address, balances and checksum state
 * of its audit records. Screenshots go to .test-data/screenshots/.
 */

const screenshots = path.join(repositoryRoot, '.test-data', 'screenshots');
const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };
const weekStart = startOfWeekUtc(new Date(Date.UTC(2001 + randomInt(19), randomInt(12), 1 + randomInt(28))));
const prefix = `web${randomInt(1_000_000)}`;

let api: ApiHarness;
let owner: pg.Client;
let served: ServedApp;
let browser: Browser;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const contexts: BrowserContext[] = [];
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  owner = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
  await owner.connect();
  await payoutKit(api).insertRubRate();
  const seed = poolSeeder(owner);
  const joinedAt = '2000-01-01T00:00:00Z';
  const inWeek = new Date(weekStart.getTime() + 86_400_000).toISOString();
  for (const leader of ['a', 'b']) {
    await seed.partner({ id: `${prefix}-${leader}`, rank: '5', joinedAt });
    for (const leg of ['1', '2']) {
      await seed.partner({ id: `${prefix}-${leader}-${leg}`, sponsor: `${prefix}-${leader}`, joinedAt });
      await seed.event({ partnerId: `${prefix}-${leader}-${leg}`, baseUsd: '2500.00', completedAt: inWeek });
    }
  }
  await seed.event({ partnerId: `${prefix}-a-1`, baseUsd: '0.03', completedAt: inWeek });
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  served = await serve((request) => api.app.fetch(request));
  await mkdir(screenshots, { recursive: true });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await served?.close();
  if (owner) {
    await assertLedgerInvariants(owner);
    await owner.end();
  }
  await endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection });
});

async function adminPage(role: TestAdmin['role']): Promise<Page> {
  const admin = await api.createAdmin(role);
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${served.url}/app/login`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByLabel('TOTP code (admins)').fill(await api.nextTotp(admin));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Payout queue' }).waitFor();
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });

describe('the Pools page', () => {
  it('previews a past week with the qualified partners, pool amount, share and remainder, and runs it once', async () => {
    const page = await adminPage('finance_manager');
    await page.getByRole('link', { name: 'Pools' }).click();
    await page.getByTestId('pool-period-start').fill(weekStart.toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Preview' }).click();
    const pool5 = page.locator('[data-pool="POOL_5"]');
    // 10,000.03 × 1 % = 100.0003 → 100.00 (floored); ÷ 2 = 50.00 each; nothing left.
    await expect.poll(() => pool5.getByTestId('pool-amount').textContent()).toBe('100.00 USD');
    expect(await pool5.getByTestId('pool-share').textContent()).toBe('50.00 USD');
    expect(await pool5.getByTestId('pool-remainder').textContent()).toBe('0.00 USD');
    expect(await pool5.locator('tr[data-partner]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-partner')))).toEqual([`${prefix}-a`, `${prefix}-b`]);
    await page.getByText(/ROUND_FLOOR/).first().waitFor();
    await shot(page, 'pools-preview');

    const workflowId = scheduledPoolWorkflowId('WEEKLY', new Date(weekStart.getTime() + 7 * 86_400_000));
    workflowIds.add(workflowId);
    await page.getByTestId('pool-run').click();
    await page.getByText(`Running as ${workflowId}`).waitFor();
    await expect.poll(() => page.getByTestId('pool-run').textContent(), { timeout: 30_000 }).toBe('Already run');
    expect(await page.getByTestId('pool-run').isDisabled()).toBe(true);
    const { rows } = await owner.query<{ pool: string; share: string }>(
      `SELECT pool, share::text AS share FROM pool_runs WHERE period_start = $1 AND pool = 'POOL_5'`, [weekStart.toISOString()]);
    expect(rows).toEqual([{ pool: 'POOL_5', share: '50.00' }]);
  });
});

describe('a payout’s history', () => {
  it('shows each record’s client address, balances before and after and that its checksum matches', async () => {
    const partnerId = `p_${randomBytes(5).toString('hex')}`;
    await owner.query(
      `INSERT INTO partners (id, name, rank, status, kyc_status, joined_at) VALUES ($1, 'Jane Doe', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`,
      [partnerId]);
    await payoutKit(api).fund(partnerId, '500.00', 'USD');
    const token = await api.signIn(await api.createPartnerUser(partnerId));
    const response = await api.request('/v1/payouts', { token, peer: '192.0.2.61', body: { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
    expect(response.status, await response.clone().text()).toBe(201);
    const payout = (await response.json()) as { id: string; workflowId: string };
    workflowIds.add(payout.workflowId);

    const page = await adminPage('financial_support');
    await page.goto(`${served.url}/app/admin/payouts/${payout.id}`);
    const request = page.locator('tr[data-action="PAYOUT_REQUEST"]');
    await request.waitFor();
    expect(await request.getByTestId('audit-client-address').textContent()).toBe('192.0.2.61');
    expect(await request.getByTestId('audit-checksum').textContent()).toMatch(/^[0-9a-f]{12}… matches$/);
    const cells = await request.locator('td').allTextContents();
    expect(cells).toEqual(expect.arrayContaining(['500.00 USD', '400.00 USD']));
    await shot(page, 'payout-audit-history');
  });
});
