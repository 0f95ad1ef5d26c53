import { randomBytes } from 'node:crypto';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../modules/identity/totp.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { launchChromium } from '../helpers/browser.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { payoutKit } from '../helpers/payouts.ts';

/**
 * The partner portal's side of docs/rules.md#details-change-controls in headless Chromium: a partner enrols TOTP from
 * the balances page, then signs in with a code, and a payout request that changes their details asks for one.
 */

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let served: ServedApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  await kit.insertRubRate();
  served = await serve((request) => api.app.fetch(request));
  browser = await launchChromium();
  expect((await fetch(`${served.url}/app/assets/app.js`)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  const { rows } = await api.owner.query(sql.unsafe`SELECT id FROM payouts`);
  await Promise.allSettled(rows.map((row) => api.dependencies.temporal.workflow.getHandle(`payout-${row.id as string}`).terminate('test file finished')));
  await served?.close();
  await api?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  return page;
}

/** Codes for steps not used yet: each is accepted once. */
function codes(secret: string) {
  let last = 0;
  return async () => {
    for (;;) {
      const current = totpStep(new Date());
      const step = Math.max(current, last + 1);
      if (step <= current + 1) {
        last = step;
        return totpCode(secret, step);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  };
}

async function signIn(page: Page, user: { email: string; password: string }, totp?: string) {
  await page.goto(`${served.url}/app/`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  if (totp) await page.getByLabel('TOTP code (admins)').fill(totp);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('the partner portal', () => {
  it('enrols TOTP from the balances page; then sign-in and a details change ask for a code', async () => {
    const partnerId = `p_${randomBytes(5).toString('hex')}`;
    await api.owner.query(sql.unsafe`
      INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
      VALUES (${partnerId}, 'Web Partner', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
    await kit.fund(partnerId, '500.00', 'USD');
    await kit.fund(partnerId, '5000.00', 'RUB');
    const user = await api.createPartnerUser(partnerId);
    const page = await newPage();
    await signIn(page, user);
    await page.getByRole('heading', { name: 'Hello, Web Partner' }).waitFor();

    const panel = page.getByTestId('totp-panel');
    await panel.getByLabel('Your password').fill(user.password);
    await panel.getByRole('button', { name: 'Set up TOTP' }).click();
    const secret = (await panel.getByTestId('totp-secret').textContent())!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const next = codes(secret);
    await panel.getByLabel('Code from your authenticator').fill(await next());
    await panel.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => panel.textContent()).toContain('On: sign-in and every change');

    // A new browser: the password alone is no longer enough.
    const again = await newPage();
    await signIn(again, user);
    // One answer for every failure (docs/rules.md#sign-in): the form's message names the code among what may be wrong.
    await expect.poll(() => again.locator('.form-error').textContent()).toContain('TOTP code');
    await again.getByLabel('TOTP code (admins)').fill(await next());
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.getByRole('heading', { name: 'Hello, Web Partner' }).waitFor();

    // New details in a payout request: refused without the code, next to its field; accepted with one.
    await again.getByRole('link', { name: 'Request a payout' }).first().click();
    await again.getByLabel('Payment method').selectOption('PAYQUICKER');
    await again.getByLabel('PayQuicker account e-mail').fill('web.partner@example.com');
    await again.getByLabel('Amount', { exact: true }).fill('100');
    // The partner's first details of all are a setup, not a change: no code needed.
    await again.getByRole('button', { name: 'Request payout' }).click();
    await again.waitForURL(/\/app\/partner\/payouts\/[0-9a-f-]{36}$/);

    // Details for another method are a change of where money goes: the code is asked for.
    await again.getByRole('link', { name: 'Request a payout' }).first().click();
    await again.getByLabel('Payment method').selectOption('YOOMONEY');
    await again.getByLabel('YooMoney wallet number').fill('410011234567');
    await again.getByLabel('Amount', { exact: true }).fill('1000');
    await again.getByRole('button', { name: 'Request payout' }).click();
    const totpField = again.getByLabel('TOTP code (only when you changed the details)');
    const totpError = again.locator(`[id="${await totpField.getAttribute('id')}-error"]`);
    await expect.poll(() => totpError.textContent()).toMatch(/TOTP/);
    await totpField.fill(await next());
    await again.getByRole('button', { name: 'Request payout' }).click();
    await again.waitForURL(/\/app\/partner\/payouts\/[0-9a-f-]{36}$/);
    const changes = await api.owner.anyFirst(sql.unsafe`
      SELECT source FROM payment_details_changes WHERE partner_id = ${partnerId} ORDER BY changed_at`);
    expect(changes).toEqual(['PAYOUT_REQUEST', 'PAYOUT_REQUEST']);
  });
});
