import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium, which .ci/run installs with apt: no browser download. */
const CHROMIUM = process.env.PARLEY_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** What the machine's closed network needs: no background connections, no sandbox as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's chromium, or says how to install it. */
export function chromiumPath(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium (see .ci/run).`);
  }
  return CHROMIUM;
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** blockCookies: the visitor's setting "block all cookies", which also blocks localStorage. */
export async function launchBrowser(baseURL: string, { blockCookies = false } = {}): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  const profile = await mkdtemp(path.join(os.tmpdir(), 'parley-chromium-'));
  if (blockCookies) {
    await mkdir(path.join(profile, 'Default'));
    const preferences = { profile: { default_content_setting_values: { cookies: 2 } } };
    await writeFile(path.join(profile, 'Default', 'Preferences'), JSON.stringify(preferences));
  }
  // A fresh profile (--user-data-dir, which playwright passes for a persistent context) per run.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    baseURL,
    viewport: { width: 1280, height: 800 },
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The serious and critical accessibility problems axe-core finds on the page, as readable lines. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`,
    );
}

/** Screenshots for a person to look at, when PARLEY_SCREENSHOTS names a folder; never committed. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const folder = process.env.PARLEY_SCREENSHOTS;
  if (folder) await page.screenshot({ path: path.join(folder, `${name}.png`) });
}
