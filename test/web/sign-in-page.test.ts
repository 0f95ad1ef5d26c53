import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, wrongTotp, type ApiHarness } from '../helpers/api.ts';
import { launchChromium } from '../helpers/browser.ts';
import { serve, type ServedApp } from '../helpers/http.ts';

/**
 * The console's sign-in page against the hardened sign-in (docs/rules.md#sign-in), in headless Chromium against the
 * real API: an admin sends email, password and TOTP code in one form; every failure reads the same; a delay says so.
 */

let api: ApiHarness;
let served: ServedApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  api = await createApiHarness();
  served = await serve((request) => api.app.fetch(request));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await served?.close();
  await api?.close();
});

async function signInPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${served.url}/app/login`);
  return page;
}

async function submit(page: Page, input: { email: string; password: string; totp?: string }) {
  await page.getByLabel('Email').fill(input.email);
  await page.getByLabel('Password').fill(input.password);
  await page.getByLabel('TOTP code (admins)').fill(input.totp ?? '');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('the sign-in page', () => {
  it('shows one message for a wrong TOTP code and a missing one, and signs the admin in with all three', async () => {
    const admin = await api.createAdmin('admin');
    const page = await signInPage();
    const alert = page.getByRole('alert').filter({ hasText: 'wrong' });

    await submit(page, { email: admin.email, password: admin.password, totp: wrongTotp(admin.totpSecret) });
    await alert.waitFor();
    const wrongCode = await alert.textContent();
    expect(wrongCode).toContain('Email, password or TOTP code is wrong');

    await submit(page, { email: admin.email, password: admin.password });
    await expect.poll(() => alert.textContent()).toBe(wrongCode);

    await submit(page, { email: admin.email, password: admin.password, totp: await api.nextTotp(admin) });
    await expect.poll(() => page.url()).not.toContain('/app/login');
  });

  it('says to wait while the account’s delay runs', async () => {
    const partner = await api.createPartnerUser();
    await api.owner.query(sql.unsafe`
      INSERT INTO sign_in_throttles (kind, key, failures, last_failure_at) VALUES ('account', ${partner.email}, 9, now())`);
    const page = await signInPage();
    await submit(page, { email: partner.email, password: partner.password });
    await page.getByRole('alert').filter({ hasText: 'Too many failed sign-ins: try again in' }).waitFor();
  });
});
