import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { localTime } from '../../src/ai/business-hours.js';
import { GeminiFake } from '../fakes/gemini.js';
import { TelegramFake, telegramTextUpdate } from '../fakes/telegram.js';
import { parleyEnvironment, runParley, startParley, type ParleyServer } from '../helpers/processes.js';
import { freePort } from '../helpers/wait.js';
import { accessibilityProblems, launchBrowser, screenshot, type TestBrowser } from './browser.js';

/**
 * The business-hours and channels screens in a real browser, against a real `parley serve`
 * whose Telegram is the fake: what an owner does to open and close, and to connect a bot.
 */
const BOT_TOKEN = '555000444:AAEhoursAndChannelsBotTokenForTheTest';
const PASSWORD = 'correct horse';
const AWAY = 'Thanks for writing! We are closed now and answer tomorrow.';
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const WEEKDAY_INDEX = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 } as const;

let gemini: GeminiFake;
let telegram: TelegramFake;
let server: ParleyServer;
let cleanup: () => Promise<void>;
let token: string;
let b: TestBrowser;
let page: Page;

/** Far from midnight in the business's zone, whatever the hour the suite runs: Lisbon, or else Tokyo. */
const zone = (() => {
  const hour = localTime('Europe/Lisbon', new Date()).minutes / 60;
  return hour >= 2 && hour < 21 ? { name: 'Europe/Lisbon', city: 'Lisbon' } : { name: 'Asia/Tokyo', city: 'Tokyo' };
})();

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as T };
}

async function expectAccessible(): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
}

/** The page at a phone's width, a desktop's, and in dark colours, for a person to look at. */
async function shots(name: string): Promise<void> {
  if (!process.env.PARLEY_SCREENSHOTS) return;
  for (const [suffix, width, height, scheme] of [
    ['1440', 1440, 1500, 'light'],
    ['360', 360, 3000, 'light'],
    ['1440-dark', 1440, 1500, 'dark'],
  ] as const) {
    await page.setViewportSize({ width, height });
    // Tall enough for the whole screen, seen from its top.
    await page.locator('h1').first().scrollIntoViewIfNeeded();
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `${name}-${suffix}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
}

const preview = () => page.locator('.preview-state').textContent();

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: 'hours-key' });
  telegram = await TelegramFake.start();
  telegram.addBot(BOT_TOKEN, { id: 555000444, username: 'rosa_hours_bot' });
  const port = await freePort();
  const environment = await parleyEnvironment('hours-channels', {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    GEMINI_API_KEY: 'hours-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
    TELEGRAM_API_BASE: telegram.url,
  });
  cleanup = environment.cleanup;
  server = await startParley(environment.env);
  const created = await runParley(['createuser', 'rosa', '--password', PASSWORD], environment.env);
  if (created.code !== 0) throw new Error(`parley createuser failed:\n${created.stderr}`);
  // Over HTTP rather than more `parley` processes: each costs seconds on a busy machine.
  const signedIn = await fetch(`${server.url}/api/v1/auth/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'rosa', password: PASSWORD }),
  });
  token = ((await signedIn.json()) as { token: string }).token;
  const enabled = await api('PATCH', '/api/v1/ai/config/', { auto_response_enabled: true });
  if (enabled.status !== 200) throw new Error(`switching the AI on failed: ${JSON.stringify(enabled.json)}`);
  b = await launchBrowser(server.url);
  page = b.page;
  await page.goto('/sign-in');
  await page.getByLabel('Username').fill('rosa');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
}, 120_000);

afterAll(async () => {
  await b?.close();
  await server?.stop('SIGKILL');
  await gemini?.close();
  await telegram?.close();
  await cleanup?.();
});

describe('business hours', () => {
  it('points an empty inbox to the channels and the AI’s try-it screens', async () => {
    await page.getByRole('heading', { name: 'No conversations yet' }).waitFor();
    expect(await page.getByRole('link', { name: 'Connect a channel' }).getAttribute('href')).toBe('/channels');
    expect(await page.getByRole('link', { name: 'try the AI' }).getAttribute('href')).toBe('/ai/try');
    await shots('inbox-empty');
  });

  it('finds a time zone by its city, closes the business now, and the next ask gets the away message', async () => {
    await page.getByRole('link', { name: 'Hours' }).click();
    await page.getByRole('heading', { name: 'Business hours' }).waitFor();
    await expectAccessible();

    // By keyboard: type the city, and Enter takes the first match.
    const zoneField = page.getByRole('combobox', { name: 'Time zone' });
    await zoneField.fill('');
    await zoneField.pressSequentially(zone.city.toLowerCase());
    const option = page.getByRole('option', { name: new RegExp(zone.name) });
    await option.waitFor();
    expect(await option.textContent()).toMatch(/UTC[+-]\d\d:\d\d/);
    await shots('hours-zone-search');
    await expectAccessible();
    await zoneField.press('Enter');
    expect(await zoneField.inputValue()).toBe(zone.name);
    expect(await page.getByRole('listbox', { name: 'Time zones' }).isHidden()).toBe(true);

    // Open only on the day after tomorrow, in the business's zone: closed now.
    const today = WEEKDAY_INDEX[localTime(zone.name, new Date()).weekday];
    const openDay = DAYS[(today + 2) % 7]!;
    const add = page.getByRole('button', { name: `Add hours on ${openDay}` });
    await add.focus();
    await page.keyboard.press('Enter');
    // The new range's opening time takes the focus, ready to type.
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toMatch(/^hours-\w{3}-0-from$/);
    expect(await page.getByLabel(`${openDay} opens`).inputValue()).toBe('09:00');
    expect(await page.getByLabel(`${openDay} closes`).inputValue()).toBe('17:00');

    // The same hours the day after, copied.
    const nextDay = DAYS[(today + 3) % 7]!;
    await page.getByRole('button', { name: `Copy ${openDay}’s hours to other days` }).click();
    const copy = page.getByRole('dialog', { name: `Copy ${openDay}’s hours to` });
    await copy.getByLabel(nextDay).check();
    await expectAccessible();
    await copy.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => copy.isVisible()).toBe(false);
    expect(await page.getByLabel(`${nextDay} closes`).inputValue()).toBe('17:00');

    await page.getByLabel('Answer with the AI only during business hours').check();
    await page.getByLabel('Away message').fill(AWAY);
    await expect.poll(preview).toBe(`Closed · opens ${openDay} at 09:00`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await shots('hours-closed');
    await expectAccessible();

    const config = await api<{ business_hours_enabled: boolean; business_hours: unknown; away_message: string }>(
      'GET',
      '/api/v1/ai/config/',
    );
    const [openKey, nextKey] = [2, 3].map((days) => Object.keys(WEEKDAY_INDEX)[(today + days) % 7]!);
    expect(config.json).toMatchObject({
      business_hours_enabled: true,
      business_hours: {
        timezone: zone.name,
        schedule: { [openKey!]: [['09:00', '17:00']], [nextKey!]: [['09:00', '17:00']] },
      },
      away_message: AWAY,
    });
    const asked = await api<{ answer: string; reason: string }>('POST', '/api/v1/ai/ask/', {
      question: 'Are you open?',
      customer_id: 'ana@example.com',
    });
    expect(asked.json).toMatchObject({ answer: AWAY, reason: 'outside_business_hours' });
    // No answer was written (the setup checks may have looked the model up meanwhile).
    expect(gemini.requests.filter((request) => request.method !== 'get')).toEqual([]);
  });

  it('keeps a range past midnight, previews it open now, and the AI answers', async () => {
    const now = localTime(zone.name, new Date());
    const todayName = DAYS[WEEKDAY_INDEX[now.weekday]]!;
    const from = `${String(Math.floor(now.minutes / 60) - 1).padStart(2, '0')}:00`;
    await page.getByRole('button', { name: `Add hours on ${todayName}` }).click();
    await page.getByLabel(`${todayName} opens`).fill(from);
    await page.getByLabel(`${todayName} closes`).fill('00:30');
    await page.getByText('closes the next day').waitFor();
    await expect.poll(preview).toBe('Open now · closes tomorrow at 00:30');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await shots('hours-overnight');

    const config = await api<{ business_hours: { schedule: Record<string, string[][]> } }>('GET', '/api/v1/ai/config/');
    expect(config.json.business_hours.schedule[now.weekday]).toEqual([[from, '00:30']]);
    gemini.enqueue({ text: 'Yes, we are open until half past midnight.' });
    const asked = await api<{ answer: string; reason?: string }>('POST', '/api/v1/ai/ask/', {
      question: 'Still open?',
      customer_id: 'ben@example.com',
    });
    expect(asked.json).toMatchObject({ answer: 'Yes, we are open until half past midnight.' });
    expect(asked.json.reason).toBeUndefined();
  });

  it('shows the API’s errors beside the range, and warns before unsaved changes are lost', async () => {
    const today = DAYS[WEEKDAY_INDEX[localTime(zone.name, new Date()).weekday]]!;
    await page.getByLabel(`${today} closes`).fill(await page.getByLabel(`${today} opens`).inputValue());
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'Some fields need a change.' }).waitFor();
    const error = page.locator('.range .field-error');
    expect(await error.textContent()).toBe('Opening and closing times must differ.');
    expect(await page.getByLabel(`${today} closes`).getAttribute('aria-invalid')).toBe('true');
    await expect.poll(preview).toContain('The preview shows once');
    await expectAccessible();

    // Leaving by the menu asks first; staying keeps the change.
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('link', { name: 'Channels' }).click();
    await expect.poll(() => asked).toEqual(['You have unsaved changes. Leave without saving them?']);
    expect(new URL(page.url()).pathname).toBe('/hours');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await expect.poll(preview).toMatch(/^Open now/);
  });
});

describe('channels', () => {
  it('says what PUBLIC_URL must be, and shows a bad token’s error beside the field', async () => {
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
    await page.getByText('No channel yet').waitFor();
    const telegramSection = page.getByRole('region', { name: 'Connect a Telegram bot' });
    expect(await telegramSection.textContent()).toContain(server.url);
    await telegramSection.getByText('Ready: this server meets that.').waitFor();
    await expectAccessible();

    const field = page.getByLabel('Bot token');
    await field.fill('not a token');
    await field.press('Enter');
    await page.locator('#bot_token-error').filter({ hasText: 'A bot token looks like' }).waitFor();

    await field.fill('111111111:AAEthisTokenIsNotKnownToTelegramAtAll');
    await field.press('Enter');
    await page
      .locator('#bot_token-error')
      .filter({ hasText: 'Telegram rejected the bot token: Unauthorized.' })
      .waitFor();
    expect(await page.getByRole('alert').filter({ hasText: 'Not connected' }).count()).toBe(1);
    // The field in error has the focus, so its message is read out.
    expect(await page.locator(':focus').getAttribute('id')).toBe('bot_token');
    expect(await field.getAttribute('aria-describedby')).toContain('bot_token-error');
    await shots('channels-bad-token');
    await expectAccessible();
  });

  it('connects a bot by keyboard and lists it with its @username and health', async () => {
    const field = page.getByLabel('Bot token');
    await field.fill(BOT_TOKEN);
    await field.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Connected @rosa_hours_bot.' }).waitFor();
    expect(await field.inputValue()).toBe('');
    const card = page.locator('.channel', { has: page.getByRole('heading', { name: '@rosa_hours_bot' }) });
    await card.getByText('Working').waitFor();
    expect(await card.locator('dl.health').innerText()).toMatch(/Telegram delivers to\s+This server/);
    expect(await card.locator('dl.health').innerText()).toMatch(/Waiting at Telegram\s+0 updates/);
    expect(telegram.webhookOf(BOT_TOKEN)?.url).toMatch(/\/webhooks\/telegram\/\w+\/$/);
    await expectAccessible();
  });

  it('shows what Telegram holds and its last error when it cannot deliver', async () => {
    // A delivery Parley refuses is one Telegram keeps, and reports.
    const refused = await telegram.deliver(
      BOT_TOKEN,
      telegramTextUpdate({ updateId: 1, messageId: 1, chatId: 4040, text: 'hello?' }),
      { secretToken: 'not-the-secret' },
    );
    expect(refused.status).toBe(401);
    const card = page.locator('.channel', { has: page.getByRole('heading', { name: '@rosa_hours_bot' }) });
    await card.getByRole('button', { name: 'Check again' }).click();
    await card.getByText('Needs attention').waitFor();
    const details = await card.innerText();
    expect(details).toMatch(/Waiting at Telegram\s+1 update\b/);
    expect(details).toContain('Wrong response from the webhook: 401 Unauthorized');
    expect(details).toContain('check that PUBLIC_URL reaches this server');
    await shots('channels-attention');
    await expectAccessible();
  });

  it('disconnects only after a confirmation, by keyboard', async () => {
    const open = page.getByRole('button', { name: 'Disconnect @rosa_hours_bot' });
    await open.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Disconnect @rosa_hours_bot?' });
    await dialog.waitFor();
    // Cancel has the focus: Enter by mistake keeps the channel.
    expect(await page.locator(':focus').textContent()).toBe('Cancel');
    await expectAccessible();
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(telegram.webhookOf(BOT_TOKEN)).toBeDefined();

    await open.click();
    await dialog.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Disconnected @rosa_hours_bot.' }).waitFor();
    await page.getByText('No channel yet').waitFor();
    expect(telegram.webhookOf(BOT_TOKEN)).toBeUndefined();
    const listed = await api<{ count: number }>('GET', '/api/v1/channels/');
    expect(listed.json.count).toBe(0);
    await shots('channels-empty');
  });
});
