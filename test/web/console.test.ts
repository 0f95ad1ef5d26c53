import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxProvider } from '../../providers/sandbox/client.ts';
import { createApiHarness, type ApiHarness, type TestAdmin, type TestPartnerUser } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { startSandboxProcess, type SandboxProcess } from '../helpers/sandbox-process.ts';
import { createInProcessWorker, repositoryRoot } from '../helpers/temporal.ts';

/**
 * The web console end to end in headless Chromium, against the whole running system: the API (served over real
 * HTTP, which also serves the pages), a worker with the real workflows and activities, the Temporal dev server,
 * PostgreSQL, and the sandbox payment provider as its own process answering by signed webhook. Screenshots of the
 * main pages go to .test-data/screenshots/ (not committed).
 */

const secret = 'whsec_web_console_test';
const screenshots = path.join(repositoryRoot, '.test-data', 'screenshots');

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let served: ServedApp;
let sandbox: SandboxProcess;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let browser: Browser;
const contexts: BrowserContext[] = [];
const payoutIds = new Set<string>();
/** Every URL a page asked for that is not this server: the console must load nothing from anywhere else. */
const foreignRequests: string[] = [];

beforeAll(async () => {
  api = await createApiHarness({ providerWebhookSecret: secret });
  kit = payoutKit(api);
  // 100 RUB per USD: a 100 USD payout is one standard admin's approval.
  await kit.insertRubRate();
  served = await serve((request) => api.app.fetch(request));
  sandbox = await startSandboxProcess({ secret, delayMs: 50 });
  ({ worker, connection: workerConnection } = await createInProcessWorker({
    database: api.database,
    taskQueue: api.taskQueue,
    provider: { provider: new SandboxProvider({ baseUrl: sandbox.url, timeoutMs: 5_000 }), publicUrl: served.url },
  }));
  workerRun = worker.run();
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({
    document: { ...policy, payouts: { ...policy.payouts, automatic: { maxAttempts: 3, retryBackoffSeconds: 1, resultTimeoutMinutes: 1 } } },
    effectiveFrom: new Date(),
    reason: 'web console test: short provider backoff',
    actor: 'test',
  });
  await mkdir(screenshots, { recursive: true });
  browser = await launchChromium();
  // The first request bundles the application; do it once here rather than inside a test's time.
  const bundle = await fetch(`${served.url}/app/assets/app.js`);
  expect(bundle.status).toBe(200);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await Promise.allSettled(
    [...payoutIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(`payout-${id}`);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await sandbox?.stop();
  await served?.close();
  await api?.close();
});

async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(served.url) && !url.startsWith('blob:') && !url.startsWith('data:')) foreignRequests.push(url);
  });
  page.on('pageerror', (error) => console.error('page error:', error));
  return page;
}

async function partnerUser(funds: string): Promise<TestPartnerUser> {
  const partnerId = `p_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, 'Web Partner', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
  const user = await api.createPartnerUser(partnerId);
  await kit.fund(partnerId, funds, 'USD');
  return user;
}

async function signIn(page: Page, user: { email: string; password: string }, totp?: string): Promise<void> {
  await page.goto(`${served.url}/app/`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  if (totp) await page.getByLabel('TOTP code (admins)').fill(totp);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.url()).not.toContain('/app/login');
}

async function signInAdmin(page: Page, admin: TestAdmin): Promise<void> {
  await signIn(page, admin, await api.nextTotp(admin));
  await page.getByRole('heading', { name: 'Payout queue' }).waitFor();
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
const bucket = (page: Page, name: string) => page.locator(`[data-currency="USD"] [data-testid="balance-${name}"]`);

describe('the web console in a real browser', () => {
  it('a partner requests a payout, an admin finds it by filter and approves it with a TOTP code, the provider pays, and the partner sees COMPLETED and the new balance', async () => {
    const partner = await partnerUser('1000.00');
    const partnerPage = await newPage();
    await signIn(partnerPage, partner);
    await partnerPage.getByRole('heading', { name: 'Hello, Web Partner' }).waitFor();
    await expect.poll(() => bucket(partnerPage, 'available').textContent()).toBe('1,000.00 USD');
    await expect(partnerPage.getByRole('link', { name: 'Payout queue' }).count()).resolves.toBe(0);
    await shot(partnerPage, 'partner-balances');

    // The request form is built from the method's configured fields and shows fee and amount to receive first.
    await partnerPage.getByRole('link', { name: 'Request a payout' }).first().click();
    await partnerPage.getByLabel('Payment method').selectOption('PAYQUICKER');
    await partnerPage.getByLabel('PayQuicker account e-mail').fill('web.partner@example.com');
    const amount = partnerPage.getByLabel('Amount', { exact: true });
    await amount.fill('5000');
    // More than the balance: the API's refusal is shown next to the amount field, and nothing is reserved.
    await partnerPage.getByRole('button', { name: 'Request payout' }).click();
    const amountError = partnerPage.locator(`[id="${await amount.getAttribute('id')}-error"]`);
    await expect.poll(() => amountError.textContent()).toMatch(/.+/);
    await amount.fill('100');
    const summary = partnerPage.getByTestId('payout-summary');
    await expect.poll(() => summary.locator('[data-fact="Fee for this amount"]').textContent()).toBe('2.00 USD');
    await expect(summary.locator('[data-fact="You receive"]').textContent()).resolves.toBe('98.00 USD');
    await expect(summary.locator('[data-fact="Minimum payout"]').textContent()).resolves.toBe('25.00 USD');
    await shot(partnerPage, 'partner-request-form');
    await partnerPage.getByRole('button', { name: 'Request payout' }).click();
    await partnerPage.waitForURL(/\/app\/partner\/payouts\/[0-9a-f-]{36}$/);
    const payoutId = partnerPage.url().split('/').at(-1)!;
    payoutIds.add(payoutId);
    await kit.waitForStatus(payoutId, 'AWAITING_APPROVAL');

    // The admin signs in with password and TOTP and finds the payout with the queue's filters.
    const admin = await api.createAdmin('admin');
    const adminPage = await newPage();
    await signInAdmin(adminPage, admin);
    await adminPage.getByLabel('Partner ID').fill(partner.partnerId);
    await adminPage.getByLabel('Status').selectOption('AWAITING_APPROVAL');
    await adminPage.getByLabel('Method').selectOption('PAYQUICKER');
    await adminPage.getByRole('button', { name: 'Apply filters' }).click();
    const row = adminPage.locator(`tr[data-payout-id="${payoutId}"]`);
    await row.waitFor();
    await expect(adminPage.locator('tr[data-payout-id]').count()).resolves.toBe(1);
    await expect(row.locator('.sla').textContent()).resolves.toMatch(/^in \d/);
    await shot(adminPage, 'admin-queue');

    await row.getByRole('link', { name: payoutId.slice(0, 8) }).click();
    await adminPage.getByRole('heading', { name: 'Review checklist' }).waitFor();
    const workflowLink = adminPage.getByTestId('workflow-link');
    await expect(workflowLink.getAttribute('href')).resolves.toBe(`http://localhost:8233/namespaces/default/workflows/payout-${payoutId}`);
    await shot(adminPage, 'admin-payout-detail');

    // The dialog is keyboard-accessible: Escape closes it, and it is labelled by its title.
    await adminPage.getByRole('button', { name: 'Approve…' }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'Approve payout' });
    await dialog.waitFor();
    await expect(adminPage.evaluate('document.activeElement?.getAttribute("data-testid")')).resolves.toBe('totp');
    // Tab and Shift+Tab stay inside the dialog (focus trap).
    for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await adminPage.keyboard.press(key);
      await expect(adminPage.evaluate('!!document.activeElement?.closest("[role=dialog]")')).resolves.toBe(true);
    }
    await adminPage.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await adminPage.getByRole('button', { name: 'Approve…' }).click();
    await dialog.getByTestId('totp').fill(await api.nextTotp(admin));
    await shot(adminPage, 'admin-approve-dialog');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await dialog.waitFor({ state: 'detached' });
    await adminPage.getByTestId('approval-chain').getByText('approved by you').waitFor();

    // The sandbox provider pays and confirms by webhook; the partner's page follows the payout to COMPLETED.
    await kit.waitForStatus(payoutId, 'COMPLETED', 30_000);
    await partnerPage.locator('[data-status="COMPLETED"]').waitFor({ timeout: 15_000 });
    await expect(partnerPage.getByTestId('amount-to-transfer').textContent()).resolves.toBe('98.00 USD');
    await shot(partnerPage, 'partner-payout-completed');
    await partnerPage.getByRole('link', { name: 'Balances' }).click();
    await expect.poll(() => bucket(partnerPage, 'available').textContent()).toBe('900.00 USD');
    await expect(bucket(partnerPage, 'payoutReserved').textContent()).resolves.toBe('0.00 USD');

    // Phone width: the same page, navigation behind the Menu button.
    const phone = await newPage({ width: 390, height: 844 });
    await signIn(phone, partner);
    await expect.poll(() => bucket(phone, 'available').textContent()).toBe('900.00 USD');
    await expect(phone.getByRole('link', { name: 'Payouts' }).isVisible()).resolves.toBe(false);
    await phone.getByRole('button', { name: 'Menu' }).click();
    await expect(phone.getByRole('link', { name: 'Payouts' }).isVisible()).resolves.toBe(true);
    await shot(phone, 'partner-balances-phone');

    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    expect(foreignRequests).toEqual([]);
  }, 90_000);

  it('a payout the admin rejects restores the balance on the partner’s page', async () => {
    const partner = await partnerUser('500.00');
    const token = await api.signIn(partner);
    const created = await api.request('/v1/payouts', {
      token,
      body: { partnerId: partner.partnerId, amount: '100', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'reject.me@example.com' } },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const payoutId = ((await created.json()) as { id: string }).id;
    payoutIds.add(payoutId);
    await kit.waitForStatus(payoutId, 'AWAITING_APPROVAL');

    const partnerPage = await newPage();
    await signIn(partnerPage, partner);
    await expect.poll(() => bucket(partnerPage, 'available').textContent()).toBe('400.00 USD');
    await expect(bucket(partnerPage, 'payoutReserved').textContent()).resolves.toBe('100.00 USD');

    const admin = await api.createAdmin('admin');
    const adminPage = await newPage();
    await signInAdmin(adminPage, admin);
    await adminPage.goto(`${served.url}/app/admin/payouts/${payoutId}`);
    await adminPage.getByRole('button', { name: 'Reject…' }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'Reject payout' });
    await dialog.getByLabel('Reason code').selectOption('INVALID_METHOD');
    await dialog.getByTestId('totp').fill(await api.nextTotp(admin));
    // Without a reason the dialog refuses (and asks for it next to the field).
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await dialog.getByText('A reason is required.').first().waitFor();
    await dialog.getByLabel('Reason (shown to the partner)').fill('The PayQuicker account is not verified');
    await shot(adminPage, 'admin-reject-dialog');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await dialog.waitFor({ state: 'detached' });
    await adminPage.locator('[data-status="REJECTED"]').first().waitFor();

    await partnerPage.reload();
    await expect.poll(() => bucket(partnerPage, 'available').textContent()).toBe('500.00 USD');
    await expect(bucket(partnerPage, 'payoutReserved').textContent()).resolves.toBe('0.00 USD');
    await partnerPage.goto(`${served.url}/app/partner/payouts/${payoutId}`);
    await partnerPage.locator('[data-status="REJECTED"]').waitFor();
    await partnerPage.getByText('INVALID_METHOD: The PayQuicker account is not verified').waitFor();
    await shot(partnerPage, 'partner-payout-rejected');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 60_000);

  it('a partner who types an admin page’s address is refused by the server and told so', async () => {
    const partner = await partnerUser('10.00');
    const page = await newPage();
    await signIn(page, partner);
    const refusal = page.waitForResponse((response) => response.url().endsWith('/v1/ops/switches'));
    await page.goto(`${served.url}/app/admin/payouts`);
    expect((await refusal).status()).toBe(403);
    await page.getByTestId('not-allowed').getByRole('heading', { name: 'Not allowed' }).waitFor();
    // The navigation offers the partner's pages only.
    await expect(page.getByRole('link', { name: 'Payout queue' }).count()).resolves.toBe(0);
    await shot(page, 'partner-refused-admin-page');

    const other = await api.createPartner();
    const profile = page.waitForResponse((response) => response.url().endsWith(`/v1/partners/${other}`));
    await page.goto(`${served.url}/app/admin/partners/${other}`);
    expect((await profile).status()).toBe(403);
    await page.getByTestId('not-allowed').waitFor();
    expect(foreignRequests).toEqual([]);
  }, 30_000);

  it('a manual bank transfer is approved from the queue’s bulk selection, recorded with its reference and completed, each step with its own TOTP code', async () => {
    const partner = await partnerUser('400.00');
    const created = await api.request('/v1/payouts', {
      token: await api.signIn(partner),
      body: { partnerId: partner.partnerId, amount: '100', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: { accountName: 'Web Partner', accountNumber: '40817810', routingNumber: '021000021' } },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const payoutId = ((await created.json()) as { id: string }).id;
    payoutIds.add(payoutId);
    await kit.waitForStatus(payoutId, 'AWAITING_APPROVAL');

    const approver = await api.createAdmin('admin');
    const queue = await newPage();
    await signInAdmin(queue, approver);
    await queue.getByLabel('Partner ID').fill(partner.partnerId);
    await queue.getByRole('button', { name: 'Apply filters' }).click();
    await queue.locator(`tr[data-payout-id="${payoutId}"]`).getByRole('checkbox').check();
    await queue.getByRole('button', { name: 'Approve selected…' }).click();
    const dialog = queue.getByRole('dialog', { name: 'Approve 1 of 1' });
    await dialog.getByTestId('totp').fill(await api.nextTotp(approver));
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await dialog.waitFor({ state: 'detached' });
    await kit.waitForStatus(payoutId, 'APPROVED');

    // Another admin records the transfer they made by hand, then marks it paid (a third code: a new admin's).
    const accountant = await api.createAdmin('finance_manager');
    const detail = await newPage();
    await signInAdmin(detail, accountant);
    await detail.goto(`${served.url}/app/admin/payouts/${payoutId}`);
    await detail.getByRole('button', { name: 'Record manual processing…' }).click();
    const processing = detail.getByRole('dialog', { name: 'Record manual processing' });
    await processing.getByLabel('External reference').fill('WIRE-2026-0042');
    // The bank's proof of the transfer goes with it (issue #4: "optionally a confirmation file").
    await processing.getByLabel(/Confirmation file/).setInputFiles({ name: 'wire-2026-0042.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% wire confirmation\n%%EOF\n') });
    await processing.getByTestId('totp').fill(await api.nextTotp(accountant));
    await processing.getByRole('button', { name: 'Mark processing' }).click();
    await processing.waitFor({ state: 'detached' });
    await detail.locator('[data-status="PROCESSING"]').waitFor();
    await detail.getByTestId('confirmation-download').filter({ hasText: 'wire-2026-0042.pdf' }).waitFor();
    await shot(detail, 'admin-payout-processing');

    const closer = await api.createAdmin('senior_admin');
    const last = await newPage();
    await signInAdmin(last, closer);
    await last.goto(`${served.url}/app/admin/payouts/${payoutId}`);
    await last.getByRole('button', { name: 'Mark completed…' }).click();
    const complete = last.getByRole('dialog', { name: 'Mark payout paid' });
    await complete.getByTestId('totp').fill(await api.nextTotp(closer));
    await complete.getByRole('button', { name: 'Mark completed' }).click();
    await complete.waitFor({ state: 'detached' });
    await last.locator('[data-status="COMPLETED"]').first().waitFor();
    const paid = await kit.waitForStatus(payoutId, 'COMPLETED');
    expect(paid).toMatchObject({ externalReference: 'WIRE-2026-0042', amountToTransfer: '95.00' });
    expect((paid as unknown as { confirmation: { fileName: string } | null }).confirmation).toMatchObject({ fileName: 'wire-2026-0042.pdf' });
    expect(await kit.balances(partner.partnerId, 'USD')).toMatchObject({ available: '300.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 45_000);

  it('when the policy asks for the partner’s validation, the partner uploads an invoice on the payout’s page and confirms it', async () => {
    const { policy } = await api.dependencies.policies.active();
    await api.dependencies.policies.add({
      document: { ...policy, payouts: { ...policy.payouts, partnerValidation: { required: true, invoiceRequired: true, waitDays: 14 } } },
      effectiveFrom: new Date(),
      reason: 'web console test: partner validation with an invoice',
      actor: 'test',
    });
    const partner = await partnerUser('300.00');
    const created = await api.request('/v1/payouts', {
      token: await api.signIn(partner),
      body: { partnerId: partner.partnerId, amount: '50', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'invoice@example.com' } },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const payoutId = ((await created.json()) as { id: string }).id;
    payoutIds.add(payoutId);
    await kit.waitForStatus(payoutId, 'AWAITING_PARTNER');

    const page = await newPage();
    await signIn(page, partner);
    await page.goto(`${served.url}/app/partner/payouts/${payoutId}`);
    await page.getByRole('heading', { name: 'Your confirmation' }).waitFor();
    // Confirming before the invoice is uploaded is refused by the server, and the page says what is missing.
    await page.getByRole('button', { name: 'Confirm amount and details' }).click();
    await page.getByText('Upload the invoice first.').waitFor();
    // A file that is not what it claims to be is refused next to the file field.
    const file = page.getByLabel('Invoice (PDF, PNG or JPEG, at most 5 MB)');
    await file.setInputFiles({ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: Buffer.from('not a pdf at all') });
    await page.getByRole('button', { name: 'Upload invoice' }).click();
    const fileError = page.locator(`[id="${await file.getAttribute('id')}-error"]`);
    await expect.poll(() => fileError.textContent()).toMatch(/PDF/);
    await file.setInputFiles({ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n') });
    await page.getByRole('button', { name: 'Upload invoice' }).click();
    await page.getByRole('button', { name: 'invoice.pdf' }).waitFor();
    await shot(page, 'partner-invoice-upload');
    await page.getByRole('button', { name: 'Confirm amount and details' }).click();
    await kit.waitForStatus(payoutId, 'AWAITING_APPROVAL');
    await page.locator('[data-status="AWAITING_APPROVAL"]').waitFor({ timeout: 10_000 });
    expect(foreignRequests).toEqual([]);
  }, 30_000);
});
