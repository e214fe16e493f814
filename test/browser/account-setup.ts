import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium, as browser.ts uses it. */
const CHROMIUM = process.env.PARLEY_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * One Chromium with two separate browser contexts (two people's browsers: their own cookies),
 * for what one browser does to another's sign-in. Both may use the clipboard.
 */
export interface TwoBrowsers {
  browser: Browser;
  first: { context: BrowserContext; page: Page };
  second: { context: BrowserContext; page: Page };
  close(): Promise<void>;
}

export async function launchTwoBrowsers(baseURL: string): Promise<TwoBrowsers> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium (see .ci/run).`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
  const open = async () => {
    const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
    return { context, page: await context.newPage() };
  };
  const first = await open();
  const second = await open();
  return { browser, first, second, close: () => browser.close() };
}
