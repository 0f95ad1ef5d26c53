import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultPolicy, type Policy } from '../../domain/policy.ts';
import { createApiHarness, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { launchChromium } from '../helpers/browser.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, repositoryRoot } from '../helpers/temporal.ts';

/**
 * Issue #17's console pages in headless Chromium against the real API, database, Temporal and an in-process worker:
 * the payment schedule's preview (who is due, who is below the minimum and why, totals); a pay run created from a
 * filter, its approver's group approved with one TOTP code, its progress followed live; a payment file closed in bulk
 * from a pasted reference list with one code. Screenshots go to .test-data/screenshots/.
 */

const screenshots = path.join(repositoryRoot, '.test-data', 'screenshots');
const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let served: ServedApp;
let browser: Browser;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const contexts: BrowserContext[] = [];
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  await kit.insertRubRate();
  // Every day is a payment day, so today's preview has something to show whatever the date.
  const everyDay = Array.from({ length: 31 }, (_, index) => index + 1);
  // Pay runs read their payouts' statuses every second, so the page sees a failure soon after it happens.
  const document: Policy = {
    ...defaultPolicy,
    payouts: { ...defaultPolicy.payouts, schedule: { enabled: true, paymentDays: everyDay, holdDays: 0, includeBelowMinimum: false, runHourUtc: 6 } },
    payRuns: { ...defaultPolicy.payRuns, progressPollSeconds: 1 },
  };
  await api.dependencies.policies.add({ document, effectiveFrom: new Date(), reason: 'console pay-run pages test', actor: 'test' });
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  served = await serve((request) => api.app.fetch(request));
  await mkdir(screenshots, { recursive: true });
  browser = await launchChromium();
  expect((await fetch(`${served.url}/app/assets/app.js`)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  const payoutIds = await api.owner.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM payouts`);
  for (const id of payoutIds) workflowIds.add(`payout-${id}`);
  await Promise.allSettled(
    [...workflowIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(id);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
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

    // A pay run for the date starts from here: the dialog opens on that date.
    const date = (await page.getByTestId('schedule-date').inputValue());
    await page.getByRole('button', { name: 'Pay run for this date…' }).click();
    const create = page.getByRole('dialog', { name: 'New pay run' });
    expect(await create.getByLabel('Take the payouts of').inputValue()).toBe('DATE');
    expect(await create.getByLabel('Payment date').inputValue()).toBe(date);
    expect(await create.getByLabel('Methods').isVisible()).toBe(false);
    // Nobody's payout awaits approval yet: the server's refusal shows in the dialog, which stays open.
    await create.getByRole('button', { name: 'Create the run' }).click();
    await expect.poll(async () => create.locator('[role="alert"]').allTextContents()).toContainEqual(expect.stringMatching(/\S/));
    await create.getByRole('button', { name: 'Cancel' }).click();
    await create.waitFor({ state: 'detached' });

    // Another date through the form: the URL and the heading follow it.
    await page.getByTestId('schedule-date').fill('2031-01-15');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { name: 'Payment schedule: 2031-01-15' }).waitFor();
    expect(page.url()).toContain('date=2031-01-15');
  }, 60_000);
});

/** `count` payouts of 100 USD by bank transfer (one approver each), requested by their partners, awaiting approval. */
async function payoutsAwaitingApproval(count: number): Promise<{ partnerIds: string[]; payoutIds: string[] }> {
  const partnerIds: string[] = [];
  const payoutIds: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const { partnerId, token } = await kit.partnerWithLogin({ USD: '500.00' });
    await api.owner.query(sql.unsafe`UPDATE partners SET name = 'Jane Doe' WHERE id = ${partnerId}`);
    const response = await api.request('/v1/payouts', { token, body: { partnerId, amount: '100', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
    expect(response.status, await response.clone().text()).toBe(201);
    const id = ((await response.json()) as { id: string }).id;
    partnerIds.push(partnerId);
    payoutIds.push(id);
  }
  for (const id of payoutIds) await kit.waitFor(id, (payout) => payout.status === 'AWAITING_APPROVAL', 'AWAITING_APPROVAL');
  return { partnerIds, payoutIds };
}

describe('the pay-runs page', () => {
  it('an admin creates a run from a filter and excludes one item; another approves their group with one TOTP code and watches the payouts become APPROVED', async () => {
    const { partnerIds, payoutIds } = await payoutsAwaitingApproval(4);
    const [kept, left] = [payoutIds.slice(0, 3), payoutIds[3]!];

    const { page: maker } = await adminPage('admin');
    await maker.getByRole('link', { name: 'Pay runs' }).first().click();
    await maker.getByRole('heading', { name: 'Pay runs' }).waitFor();
    await maker.getByRole('button', { name: 'New pay run…' }).click();
    const create = maker.getByRole('dialog', { name: 'New pay run' });
    await create.getByLabel('Take the payouts of').selectOption('FILTER');
    expect(await create.getByLabel('Payment date').isVisible()).toBe(false);
    await create.getByLabel('Partner IDs').fill(partnerIds.join('\n'));
    await create.getByLabel('Methods').fill('BANK_TRANSFER');
    await create.getByRole('button', { name: 'Create the run' }).click();
    await maker.waitForURL(/\/app\/admin\/pay-runs\/[0-9a-f-]{36}$/);
    const runId = maker.url().split('/').at(-1)!;
    workflowIds.add(`pay-run-${runId}`);
    await maker.locator('[data-testid="pay-run-status"] [data-status="AWAITING_APPROVAL"]').waitFor();
    // Totals per currency and per method: 4 × 100.00 USD, 5.00 fee each.
    expect(await maker.locator('[data-testid="currency-total"][data-currency="USD"] td').allTextContents()).toEqual(['USD', '4', '400.00 USD', '20.00 USD', '380.00 USD', '40,000.00 RUB']);
    expect(await maker.locator('[data-testid="method-total"][data-method="BANK_TRANSFER"] td').nth(2).textContent()).toBe('4');
    expect(await maker.locator('tr[data-state="INCLUDED"]').count()).toBe(4);
    await shot(maker, 'admin-pay-run-awaiting-approval');

    // One item leaves the run with a reason; it stays awaiting approval on its own.
    await maker.getByRole('checkbox', { name: `Select payout ${left}` }).check();
    await maker.getByRole('button', { name: 'Exclude 1 selected…' }).click();
    const exclude = maker.getByRole('dialog', { name: 'Exclude from the run' });
    await exclude.getByLabel('Reason').fill('the partner asked to wait');
    await exclude.getByRole('button', { name: 'Exclude' }).click();
    await exclude.waitFor({ state: 'detached' });
    await maker.locator(`tr[data-payout="${left}"][data-state="EXCLUDED"]`).waitFor();

    const { page: approver, admin } = await adminPage('senior_admin');
    await approver.goto(`${served.url}/app/admin/pay-runs/${runId}`);
    await approver.getByTestId('my-group-count').waitFor();
    expect(await approver.getByTestId('my-group-count').textContent()).toBe('3 payouts you may approve now.');
    await approver.getByRole('button', { name: 'Approve 3 payouts…' }).click();
    const approve = approver.getByRole('dialog', { name: 'Approve your group' });
    expect(await approve.textContent()).toContain('3 × USD: 300.00 USD');
    await approve.getByTestId('totp').fill(await api.nextTotp(admin));
    await approve.getByRole('button', { name: 'Approve 3 payouts' }).click();
    await approve.waitFor({ state: 'detached' });

    // The page follows the run live: every item's payout ends APPROVED (manual bank transfers wait for processing).
    await approver.locator('[data-testid="progress-status"][data-status="APPROVED"]').waitFor({ timeout: 30_000 });
    await expect.poll(async () => approver.locator('[data-testid="progress-status"][data-status="APPROVED"] td').nth(1).textContent(), { timeout: 30_000 }).toBe('3');
    expect(await approver.getByTestId('progress-text').textContent()).toContain('3 delivered');
    await shot(approver, 'admin-pay-run-approved');
    for (const id of kept) expect((await kit.read(id)).status).toBe('APPROVED');
    expect((await kit.read(left)).status).toBe('AWAITING_APPROVAL');
    // One decision, one approval row per payout.
    const approvals = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM payout_approvals WHERE payout_id = ANY(${sql.array(payoutIds, 'uuid')}) AND approver_id = ${admin.id}`);
    expect(approvals).toBe(3);
    // Approved through the run, each partner is told as for a single approval (docs/rules.md#partner-payout-notices).
    const told = await api.owner.anyFirst(sql.type(z.object({ dedupe_key: z.string() }))`
      SELECT dedupe_key FROM notifications WHERE kind = 'PAYOUT_APPROVED' AND dedupe_key = ANY(${sql.array(payoutIds.map((id) => `payout-approved:${id}`), 'text')}) ORDER BY dedupe_key`);
    expect(told).toEqual(kept.map((id) => `payout-approved:${id}`).sort());
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 120_000);
});

describe('the payment-file page', () => {
  it('closes a file in bulk from the bank’s uploaded result file and from pasted references, one TOTP code each: paid COMPLETED, failed FAILED with its code, shown as the run’s failure and retried', async () => {
    // The file lists only this test's payouts: those requested from now on.
    const since = new Date(Date.now() - 1_000).toISOString();
    const { partnerIds, payoutIds } = await payoutsAwaitingApproval(3);
    // Approved as one pay run, through the API.
    const maker = await api.createAdmin('admin');
    const created = await api.request('/v1/pay-runs', { token: await api.signIn(maker), body: { selection: { payoutIds } } });
    expect(created.status, await created.clone().text()).toBe(201);
    const runId = ((await created.json()) as { id: string }).id;
    workflowIds.add(`pay-run-${runId}`);
    const checker = await api.createAdmin('senior_admin');
    const checkerToken = await api.signIn(checker);
    const decision = (await (await api.request(`/v1/pay-runs/${runId}/decision`, { token: checkerToken })).json()) as { items: number; itemsHash: string };
    expect(decision.items).toBe(3);
    const approved = await api.request(`/v1/pay-runs/${runId}/approve`, { token: checkerToken, headers: { 'x-totp-code': await api.nextTotp(checker) }, body: { itemsHash: decision.itemsHash } });
    expect(approved.status, await approved.clone().text()).toBe(202);
    for (const id of payoutIds) await kit.waitFor(id, (payout) => payout.status === 'APPROVED', 'APPROVED');

    const exporter = await api.createAdmin('finance_manager');
    const made = await api.request('/v1/payout-exports', { token: await api.signIn(exporter), body: { kind: 'METHOD_BATCH', methodId: 'BANK_TRANSFER', from: since } });
    expect(made.status, await made.clone().text()).toBe(201);
    const file = (await made.json()) as { id: string; rowCount: number };
    workflowIds.add(`payment-file-${file.id}`);
    expect(file.rowCount).toBe(3);

    const { page, admin } = await adminPage('finance_manager');
    await page.getByRole('link', { name: 'Payment files' }).first().click();
    await page.getByRole('heading', { name: 'Payment files' }).waitFor();
    await page.locator(`tr[data-id="${file.id}"] a`).first().click();
    // The file locks its payouts (PROCESSING), then waits for the bank's result.
    await page.locator('[data-testid="payment-file-status"][data-status="OPEN"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('payment-file-counts').textContent()).toBe('0 paid, 0 failed, 3 processing of 3');

    // First the bank's result file, uploaded: it names one payout paid.
    await page.getByRole('button', { name: 'Mark paid or failed…' }).click();
    const upload = page.getByRole('dialog', { name: 'Mark paid or failed' });
    await upload.getByLabel('Result file').setInputFiles({ name: 'bank-result.csv', mimeType: 'text/csv', buffer: Buffer.from(`reference,status,failureCode,reason\r\n${payoutIds[0]},PAID,,\r\n`) });
    await upload.getByTestId('totp').fill(await api.nextTotp(admin));
    await upload.getByRole('button', { name: 'Close these payouts' }).click();
    await upload.waitFor({ state: 'detached' });
    await page.locator('[data-testid="close-progress"][data-status="DONE"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('close-counts').textContent()).toContain('1 paid, 0 failed, 0 already decided');
    expect(await page.getByTestId('payment-file-counts').textContent()).toBe('1 paid, 0 failed, 2 processing of 3');

    // Then the rest from pasted references, by another admin with their own code.
    const { page: second, admin: secondAdmin } = await adminPage('finance_manager');
    await second.goto(`${served.url}/app/admin/payment-files/${file.id}`);
    await second.getByRole('button', { name: 'Mark paid or failed…' }).click();
    const close = second.getByRole('dialog', { name: 'Mark paid or failed' });
    await close.getByLabel('Result source').selectOption('LIST');
    expect(await close.getByLabel('Result file').isVisible()).toBe(false);
    await close.getByLabel('Paid references').fill(`${payoutIds[0]}\n${payoutIds[1]}`);
    await close.getByLabel('Failed references').fill(`${payoutIds[2]},ACCOUNT_CLOSED,the bank returned it`);
    await close.getByTestId('totp').fill(await api.nextTotp(secondAdmin));
    await close.getByRole('button', { name: 'Close these payouts' }).click();
    await close.waitFor({ state: 'detached' });

    await second.locator('[data-testid="payment-file-status"][data-status="CLOSED"]').waitFor({ timeout: 30_000 });
    expect(await second.getByTestId('payment-file-counts').textContent()).toBe('2 paid, 1 failed, 0 processing of 3');
    // The payout the bank's file already paid is reported as already decided, not paid twice.
    expect(await second.getByTestId('close-counts').textContent()).toContain('1 paid, 1 failed, 1 already decided');
    expect(await second.locator(`tr[data-payout="${payoutIds[2]}"] td`).last().textContent()).toBe('ACCOUNT_CLOSED');
    await shot(second, 'admin-payment-file-closed');
    expect((await kit.read(payoutIds[0]!)).status).toBe('COMPLETED');
    expect((await kit.read(payoutIds[2]!)).failure).toMatchObject({ code: 'ACCOUNT_CLOSED' });

    // The run's page counts the payouts by status and names the failed one; it never says paid for it.
    await page.goto(`${served.url}/app/admin/pay-runs/${runId}`);
    await page.locator('[data-testid="pay-run-status"] [data-status="COMPLETED_WITH_FAILURES"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="progress-status"][data-status="COMPLETED"] td').nth(1).textContent()).toBe('2');
    expect(await page.locator('[data-testid="progress-status"][data-status="FAILED"] td').nth(1).textContent()).toBe('1');
    expect(await page.getByTestId('failures').locator('tr[data-payout]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-payout')))).toEqual([payoutIds[2]]);
    await shot(page, 'admin-pay-run-completed-with-failures');

    // Retried: a new linked attempt with the failed payout requested again; the paid ones are not touched.
    const { page: retrier, admin: retryAdmin } = await adminPage('finance_manager');
    await retrier.goto(`${served.url}/app/admin/pay-runs/${runId}`);
    await retrier.getByRole('button', { name: 'Retry 1 failed…' }).click();
    const retry = retrier.getByRole('dialog', { name: 'Retry the failures' });
    await retry.getByTestId('totp').fill(await api.nextTotp(retryAdmin));
    await retry.getByRole('button', { name: 'Create the new attempt' }).click();
    await retrier.waitForURL((url) => /\/app\/admin\/pay-runs\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(runId));
    const retryRunId = retrier.url().split('/').at(-1)!;
    workflowIds.add(`pay-run-${retryRunId}`);
    await retrier.getByText(/^2 \(retry of/).waitFor();
    const retried = (await (await api.request(`/v1/pay-runs/${retryRunId}/items`, { token: checkerToken })).json()) as { items: { payoutId: string; partnerId: string }[] };
    expect(retried.items.map((item) => item.partnerId)).toEqual([partnerIds[2]]);
    expect(retried.items[0]!.payoutId).not.toBe(payoutIds[2]);
    for (const id of payoutIds.slice(0, 2)) expect((await kit.read(id)).status).toBe('COMPLETED');
    expect((await kit.read(payoutIds[2]!)).status).toBe('FAILED');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 120_000);
});

