import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, or the one LEDGERFLOW_CHROMIUM names; playwright-core never downloads a browser. */
export const chromiumPath = process.env.LEDGERFLOW_CHROMIUM ?? '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

/** Launches headless Chromium for the browser tests, or says in one line what to install. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `the browser tests need Chromium at ${chromiumPath}: install it (sudo apt-get install chromium) or set LEDGERFLOW_CHROMIUM to its path`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}
