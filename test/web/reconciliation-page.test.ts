import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { utcDay } from '../../domain/reconciliation.ts';
import { runReconciliation } from '../../modules/reconciliation/reconciliation-store.ts';
import { matchDay, recordProviderStatement } from '../../modules/reconciliation/statement-store.ts';
import { launchChromium } from '../helpers/browser.ts';
import { createApiHarness, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { repositoryRoot } from '../helpers/temporal.ts';

/**
 * The console's reconciliation page (docs/rules.md#statement-matching) in headless Chromium against the real API and
 * database: a day whose provider statement states a line nothing paid shows the comparison and the exception; a
 * finance manager accepts it from the page; a bad bank statement is refused on the page naming its line and column.
 */

const screenshots = path.join(repositoryRoot, '.test-data', 'screenshots');
const day = utcDay(new Date(Date.UTC(2001 + randomInt(20), randomInt(12), 1 + randomInt(28))));
let api: ApiHarness;
let served: ServedApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  api = await createApiHarness();
  served = await serve((request) => api.app.fetch(request));
  await mkdir(screenshots, { recursive: true });
  browser = await launchChromium();
  // The day, reconciled, with a provider statement of one line that no payout accounts for.
  await runReconciliation(api.database, { day, requestedBy: null });
  await recordProviderStatement(api.database, {
    day,
    statement: { provider: 'sandbox', day, lines: [{ lineId: 'sbl_stray', providerReference: 'sbx_stray', amount: '12.34', currency: 'USD', valueDate: day }] },
    receivedBy: 'test',
  });
  await matchDay(api.database, { day, source: 'provider', actor: 'test' });
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await served?.close();
  await api?.close();
});

async function adminPage(role: TestAdmin['role']): Promise<Page> {
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
  return page;
}

describe('the reconciliation page', () => {
  it('shows the statement comparison and the exception; finance accepts it; a bad bank statement is refused naming line and column', async () => {
    const page = await adminPage('finance_manager');
    await page.getByRole('link', { name: 'Reconciliation' }).click();
    await page.getByRole('heading', { name: 'Reconciliation', exact: true }).waitFor();
    await page.getByRole('link', { name: day }).click();
    await page.getByRole('heading', { name: `Reconciliation of ${day}` }).waitFor();

    const comparison = page.getByTestId('statement-comparison');
    await comparison.getByRole('cell', { name: '12.34 USD' }).first().waitFor();
    expect(await comparison.getByRole('cell').allTextContents()).toEqual(['provider', 'USD', '0', '0 USD', '1', '12.34 USD', '−12.34 USD']);
    const exception = page.locator('tr[data-testid="statement-exception"][data-kind="UNMATCHED_LINE"]');
    await exception.getByText('line sbl_stray').waitFor();
    expect(await exception.getAttribute('data-status')).toBe('OPEN');
    await page.screenshot({ path: path.join(screenshots, 'reconciliation-exception-open.png'), fullPage: true });

    await exception.getByRole('button', { name: 'Accept…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Note (why it is accepted)').fill('a test line of the provider');
    await dialog.getByRole('button', { name: 'Accept' }).click();
    await page.locator('tr[data-testid="statement-exception"][data-status="ACCEPTED"]').waitFor();
    const stored = await api.owner.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM statement_exceptions WHERE day = ${day}::date`);
    expect(stored).toBe('ACCEPTED');

    const bad = path.join(repositoryRoot, '.test-data', `bank-statement-${day}.csv`);
    await writeFile(bad, `line_id,reference,amount,currency,value_date\nB1,REF,ten,USD,${day}\n`);
    await page.getByTestId('bank-statement-file').setInputFiles(bad);
    await page.getByRole('button', { name: 'Upload and match' }).click();
    await page.getByText(/line 2 amount: ten is not an exact decimal amount/).waitFor();
    await page.screenshot({ path: path.join(screenshots, 'reconciliation-bank-statement-refused.png'), fullPage: true });
    expect(await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM statement_lines WHERE day = ${day}::date AND source = 'bank'`)).toBe(0);
  });
});
