import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiKeyPattern } from '../../domain/api-keys.ts';
import { launchChromium } from '../helpers/browser.ts';
import { createApiHarness, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { repositoryRoot } from '../helpers/temporal.ts';

/**
 * The console's API keys page (docs/rules.md#api-keys) in headless Chromium against the real API and database: a
 * senior admin creates a key with a TOTP code and sees it once, the key works, the list shows its last use, and
 * revoking it from the page makes the API refuse it. Screenshots go to .test-data/screenshots/.
 */

const screenshots = path.join(repositoryRoot, '.test-data', 'screenshots');
let api: ApiHarness;
let served: ServedApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  api = await createApiHarness();
  served = await serve((request) => api.app.fetch(request));
  await mkdir(screenshots, { recursive: true });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await served?.close();
  await api?.close();
});

async function adminPage(role: TestAdmin['role']): Promise<{ page: Page; admin: TestAdmin }> {
  const admin = await api.createAdmin(role);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(`${served.url}/app/login`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByLabel('TOTP code (admins)').fill(await api.nextTotp(admin));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Payout queue' }).waitFor();
  return { page, admin };
}

describe('the API keys page', () => {
  it('a senior admin creates a key (shown once), sees its last use, and revokes it; the API then refuses it', async () => {
    const { page, admin } = await adminPage('senior_admin');
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByText('No API keys yet.').waitFor();

    await page.getByRole('button', { name: 'New API key' }).click();
    const form = page.getByRole('dialog', { name: 'New API key' });
    await form.getByLabel('Name (what the machine is)').fill('shop checkout');
    await form.getByLabel('Scope reports:read').check();
    await form.getByTestId('totp').fill(await api.nextTotp(admin));
    await form.getByRole('button', { name: 'Create key' }).click();

    const shown = page.getByRole('dialog', { name: /API key “shop checkout”/ });
    await shown.getByText('shown this once').waitFor();
    const key = await shown.getByTestId('new-api-key').inputValue();
    expect(key).toMatch(apiKeyPattern);
    await page.screenshot({ path: path.join(screenshots, 'api-key-created.png'), fullPage: true });
    await shown.getByRole('button', { name: 'Done' }).click();

    const id = key.split('_')[1]!;
    const row = page.locator(`tr[data-key-id="${id}"]`);
    await row.getByRole('cell', { name: 'events:write, reports:read' }).waitFor();
    await row.getByRole('cell', { name: 'never' }).waitFor();
    // The page never shows the key again.
    expect(await page.content()).not.toContain(key);

    // The key works, and the list shows its use after a reload.
    const report = '/v1/reports/payouts-by-status-method?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z';
    expect((await api.request(report, { token: key })).status).toBe(200);
    await page.reload();
    await row.getByRole('cell', { name: 'never' }).waitFor({ state: 'detached' });
    await row.getByRole('button', { name: 'Calls' }).click();
    const calls = page.getByRole('dialog', { name: 'Calls of “shop checkout”' });
    await calls.getByRole('cell', { name: `GET ${report}` }).waitFor();
    await calls.getByRole('button', { name: 'Close' }).click();

    await row.getByRole('button', { name: 'Revoke' }).click();
    const revoke = page.getByRole('dialog', { name: 'Revoke “shop checkout”' });
    await revoke.getByTestId('totp').fill(await api.nextTotp(admin));
    await revoke.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('REVOKED').waitFor();
    await page.screenshot({ path: path.join(screenshots, 'api-key-revoked.png'), fullPage: true });
    expect((await api.request(report, { token: key })).status).toBe(401);
    const revokedBy = await api.owner.oneFirst(sql.type(z.object({ revoked_by: z.string().nullable() }))`SELECT revoked_by FROM api_keys WHERE id = ${id}`);
    expect(revokedBy).toBe(admin.id);
  });

  it('an admin without api_keys.manage sees the list, and creating a key is refused on the page', async () => {
    const { page, admin } = await adminPage('admin');
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByRole('button', { name: 'New API key' }).click();
    const form = page.getByRole('dialog', { name: 'New API key' });
    await form.getByLabel('Name (what the machine is)').fill('not allowed');
    await form.getByTestId('totp').fill(await api.nextTotp(admin));
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText(/Not allowed/).waitFor();
  });
});
