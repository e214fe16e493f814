import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { GeminiFake } from '../fakes/gemini.js';
import { TelegramFake } from '../fakes/telegram.js';
import { parleyEnvironment, parleyOutput, startParley, type ParleyServer } from '../helpers/processes.js';
import { freePort } from '../helpers/wait.js';
import { launchTwoBrowsers, type TwoBrowsers } from './account-setup.js';
import { accessibilityProblems, screenshot } from './browser.js';

/**
 * The first-run checklist and the Account screen (issue #14) in a real browser against a real
 * `parley serve`: a new owner's checklist ticks itself as setup goes on; the owner changes the
 * password, makes and revokes a token, and signs out everywhere, which a second browser feels.
 */
let gemini: GeminiFake;
let telegram: TelegramFake;
const BOT_TOKEN = '555000777:AAEaccountScreenBotTokenForTheTests';
let server: ParleyServer;
let cleanup: () => Promise<void>;
let token: string;
let browsers: TwoBrowsers;
let page: Page;
let other: Page;

const PASSWORD = 'first password';
const NEW_PASSWORD = 'second password';

async function api(method: string, path: string, body?: unknown, bearer = token): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

async function signIn(on: Page, password: string): Promise<void> {
  await on.getByLabel('Username').fill('owner');
  await on.getByLabel('Password').fill(password);
  await on.getByRole('button', { name: 'Sign in' }).click();
}

async function expectAccessible(on: Page = page): Promise<void> {
  expect(await accessibilityProblems(on)).toEqual([]);
}

/** Screenshots at a phone's width and a desktop's, when PARLEY_SCREENSHOTS is set. */
async function screenshots(name: string): Promise<void> {
  if (!process.env.PARLEY_SCREENSHOTS) return;
  await page.setViewportSize({ width: 360, height: 800 });
  await screenshot(page, `${name}-360`);
  await page.setViewportSize({ width: 1440, height: 900 });
  await screenshot(page, `${name}-1440`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

const menu = () => page.getByRole('navigation', { name: 'Main' });
const step = (name: string) => page.getByRole('listitem').filter({ has: page.getByRole('link', { name }) });

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: 'account-key' });
  telegram = await TelegramFake.start();
  telegram.addBot(BOT_TOKEN, { id: 555000777, username: 'owner_bot' });
  const port = await freePort();
  const environment = await parleyEnvironment('browser-account', {
    GEMINI_API_KEY: 'account-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    TELEGRAM_API_BASE: telegram.url,
  });
  cleanup = environment.cleanup;
  server = await startParley(environment.env);
  const parley = (args: string[]) => parleyOutput(args, environment.env);
  await parley(['createuser', 'owner', '--password', PASSWORD]);
  token = await parley(['token', 'create', 'owner', '--name', 'shop website']);
  browsers = await launchTwoBrowsers(server.url);
  page = browsers.first.page;
  other = browsers.second.page;
}, 120_000);

afterAll(async () => {
  await browsers?.close();
  await server?.stop('SIGKILL');
  await gemini?.close();
  await telegram?.close();
  await cleanup?.();
});

describe('the first-run checklist', () => {
  it('ticks each step live as the owner sets up, then leaves the menu', async () => {
    await page.goto('/start');
    await signIn(page, PASSWORD);
    await page.getByRole('heading', { name: 'Get started' }).waitFor();
    await page.getByRole('status').filter({ hasText: '0 of 4 steps done' }).waitFor();
    expect(await step('Write your prompts').textContent()).toContain('To do');
    await page.getByText('AI auto-response is off, so people answer every conversation.').waitFor();
    await expectAccessible();
    await screenshots('first-run-new');

    // Prompts written elsewhere (the API here): coming back to the screen shows the tick.
    expect((await api('PUT', '/api/v1/ai/config/', { prompts: { knowledge_source: 'Open 8 to 6.' } })).ok).toBe(true);
    await menu().getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Account' }).waitFor();
    await menu().getByRole('link', { name: 'Get started' }).click();
    await page.getByRole('status').filter({ hasText: '1 of 4 steps done' }).waitFor();
    expect(await step('Write your prompts').textContent()).toContain('Done');

    // The rest while the screen stays open.
    expect((await api('PUT', '/api/v1/ai/config/', { auto_response_enabled: true })).ok).toBe(true);
    await page.getByRole('status').filter({ hasText: '2 of 4 steps done' }).waitFor();
    gemini.enqueue({ text: 'We open at 8.' });
    expect((await api('POST', '/api/v1/ai/ask/', { question: 'When do you open?', customer_id: 'ana' })).ok).toBe(true);
    await page.getByRole('status').filter({ hasText: '3 of 4 steps done' }).waitFor();
    const channel = await api('POST', '/api/v1/channels/', { type: 'telegram', bot_token: BOT_TOKEN });
    expect(channel.status).toBe(201);
    await page.getByRole('status').filter({ hasText: '4 of 4 steps done' }).waitFor();
    await page.getByText('All set: the AI answers your customers.').waitFor();
    expect(await menu().getByRole('link', { name: 'Get started , done' }).count()).toBe(1);
    await expectAccessible();
    await screenshots('first-run-done');

    // Set up: the menu item goes once the owner leaves the page.
    await menu().getByRole('link', { name: 'Inbox' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await expect
      .poll(() =>
        menu()
          .getByRole('link', { name: /Get started/ })
          .count(),
      )
      .toBe(0);
  });

  it('is walked by keyboard: each step is a link to its screen', async () => {
    await page.goto('/start');
    await page.getByRole('status').filter({ hasText: '4 of 4 steps done' }).waitFor();
    await page.getByRole('heading', { name: 'Get started' }).click();
    await page.keyboard.press('Tab');
    await expect.poll(() => page.locator(':focus').textContent()).toBe('Write your prompts');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/ai');
  });
});

describe('the Account screen', () => {
  it('changes the password by keyboard, saying what is wrong first; the old one no longer signs in', async () => {
    await page.goto('/account');
    await page.getByRole('heading', { name: 'Change your password' }).waitFor();
    await expectAccessible();

    await page.getByLabel('Current password').focus();
    await page.keyboard.type('not my password');
    await page.keyboard.press('Tab');
    await page.keyboard.type(NEW_PASSWORD);
    await page.keyboard.press('Tab');
    await page.keyboard.type(NEW_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText('This is not your current password.').waitFor();
    expect(await page.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible();
    await screenshots('account-password-error');

    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password again').fill('something else');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('This does not match the new password.').waitFor();

    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await page.getByLabel('New password again').press('Enter');
    await page.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
    expect(await page.getByLabel('Current password').inputValue()).toBe('');

    // Another browser: the old password is refused, the new one signs in.
    await other.goto('/');
    await signIn(other, PASSWORD);
    await other.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
    await signIn(other, NEW_PASSWORD);
    await other.getByRole('heading', { name: 'Inbox' }).waitFor();
    // This browser is still signed in.
    await page.reload();
    await page.getByRole('heading', { name: 'Account' }).waitFor();
  });

  it('makes a token shown once with a copy button, and revokes one so it stops working on the API', async () => {
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await page.getByRole('cell', { name: 'shop website', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Make token' }).click();
    await page.getByText('This field may not be blank.').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Chat box');
    await page.getByLabel('Expires').selectOption({ label: 'In 90 days' });
    await page.getByRole('button', { name: 'Make token' }).click();
    const shown = page.getByLabel('The new token');
    await shown.waitFor();
    const made = await shown.inputValue();
    expect(made).toMatch(/^prl_/);
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Copied|copy it with/ })
      .waitFor();
    await expectAccessible();
    await screenshots('account-new-token');
    expect((await api('GET', '/api/v1/auth/me/', undefined, made)).status).toBe(200);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('The new token').count()).toBe(0);

    // The website's token, made with the CLI: revoked here, refused by the API.
    expect((await api('GET', '/api/v1/auth/me/')).status).toBe(200);
    await page.getByRole('button', { name: /^Revoke shop website/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke “shop website”?' });
    await dialog.waitFor();
    await expectAccessible();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'shop website', exact: true }).count()).toBe(0);
    expect((await api('GET', '/api/v1/auth/me/')).status).toBe(401);
    expect((await api('GET', '/api/v1/auth/me/', undefined, made)).status).toBe(200);
    await screenshots('account');

    // On a phone, in the dark: the tables scroll sideways, and nothing else changes for axe.
    await page.setViewportSize({ width: 360, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible();
    await screenshot(page, 'account-dark-360');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out everywhere by keyboard: this browser and the other go to the sign-in page', async () => {
    await other.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByRole('cell', { name: /This browser/ }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'Chrome' }).count()).toBeGreaterThanOrEqual(2);

    await page.getByRole('button', { name: 'Sign out everywhere' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Sign out everywhere?' });
    await dialog.waitFor();
    await expect.poll(() => dialog.locator(':focus').textContent()).toBe('Sign out everywhere');
    await page.keyboard.press('Enter');

    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
    await expect.poll(() => new URL(other.url()).pathname).toBe('/sign-in');
    await other.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    expect((await fetch(`${server.url}/api/v1/auth/session/`)).status).toBe(401);
  });
});
