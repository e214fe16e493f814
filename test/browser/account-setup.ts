import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from './browser.js';

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
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const open = async () => {
    const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
    return { context, page: await context.newPage() };
  };
  const first = await open();
  const second = await open();
  return { browser, first, second, close: () => browser.close() };
}
