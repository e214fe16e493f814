import { expect } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { GeminiFake } from '../fakes/gemini.js';
import { parleyEnvironment, parleyOutput, startParley } from '../helpers/processes.js';
import { launchBrowser, screenshot } from './browser.js';

/** One `parley serve` with the Gemini fake, a business that can sign in, and a browser signed in as it. */
export async function startSignedIn(user: { username: string; password: string }, firstPage: string) {
  const gemini = await GeminiFake.start({ apiKey: 'browser-key' });
  const environment = await parleyEnvironment(`browser-${user.username}`, {
    GEMINI_API_KEY: 'browser-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
  });
  const server = await startParley(environment.env);
  const browser = await launchBrowser(server.url);
  const close = async () => {
    await browser.close();
    await server.stop('SIGKILL');
    await gemini.close();
    await environment.cleanup();
  };
  let token: string;
  try {
    const parley = (args: string[]) => parleyOutput(args, environment.env);
    await parley(['createuser', user.username, '--password', user.password]);
    token = await parley(['token', 'create', user.username]);
    await browser.page.goto(firstPage);
    await browser.page.getByLabel('Username').fill(user.username);
    await browser.page.getByLabel('Password').fill(user.password);
    await browser.page.getByRole('button', { name: 'Sign in' }).click();
    await browser.page.waitForURL((url) => url.pathname === firstPage);
  } catch (error) {
    await close();
    throw error;
  }
  const page = browser.page;
  return {
    gemini,
    page,
    /** GET with the business's token, for what the page does not show. */
    async api<T>(path: string): Promise<T> {
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as T;
    },
    close,
  };
}

/** What has the keyboard focus, by its label or text (run in the page, hence a string: no DOM types here). */
export const focused = (page: Page) =>
  page.evaluate<string>(`(() => {
    const element = document.activeElement;
    if (!element) return '';
    const label = element.labels && element.labels[0] ? element.labels[0].textContent : null;
    return (element.getAttribute('aria-label') ?? label ?? element.textContent ?? '').trim();
  })()`);

/** Presses Tab until the focus is on `name`: proof it is reachable by keyboard. */
export async function tabTo(page: Page, name: string | RegExp): Promise<void> {
  for (let presses = 0; presses < 60; presses++) {
    const current = await focused(page);
    if (typeof name === 'string' ? current === name : name.test(current)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached "${String(name)}"`);
}

/** With PARLEY_SCREENSHOTS: the page at a phone's and a desktop's width, light and dark, from its top or at `at`. */
export async function screenshots(page: Page, name: string, at?: Locator): Promise<void> {
  if (!process.env.PARLEY_SCREENSHOTS) return;
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [360, 1440]) {
      await page.setViewportSize({ width, height: 900 });
      if (at) await at.scrollIntoViewIfNeeded();
      else {
        await page.evaluate(`document.activeElement?.blur(); document.querySelector('.screen').scrollTo(0, 0)`);
        await expect.poll(() => page.evaluate<number>(`document.querySelector('.screen').scrollTop`)).toBe(0);
      }
      await screenshot(page, `${name}-${width}-${scheme}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
}
