import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { GeminiFake } from '../fakes/gemini.js';
import { parleyEnvironment, runParley, startParley, type ParleyServer } from '../helpers/processes.js';
import { freePort } from '../helpers/wait.js';
import { accessibilityProblems, launchBrowser, screenshot, type TestBrowser } from './browser.js';

/**
 * The usage screen and the operator's admin screens in a real browser, against a real
 * `parley serve` whose model is the Gemini fake: a business reads its figures, an administrator
 * manages businesses and their caps.
 */
let gemini: GeminiFake;
let server: ParleyServer;
let cleanup: () => Promise<void>;
let rosaToken: string;
/** Rosa's business is created by the administrator, with a generated password. */
let rosaPassword: string;
let b: TestBrowser;
let page: Page;

const PASSWORD = 'correct horse';
const usage = (prompt: number, completion: number) => ({
  promptTokenCount: prompt,
  candidatesTokenCount: completion,
  totalTokenCount: prompt + completion,
});
/** The server's PARLEY_TIMEZONE is UTC: its "today". */
const today = () => new Date().toISOString().slice(0, 10);

async function call<T>(token: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

const tokenFor = async (username: string, password: string) =>
  (await call<{ token: string }>(null, 'POST', '/api/v1/auth/token/', { username, password })).token;

const ask = (question: string, customer: string) =>
  call<Record<string, unknown>>(rosaToken, 'POST', '/api/v1/ai/ask/', { question, customer_id: customer });

async function signIn(username: string, password = PASSWORD): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
}

async function expectAccessible(): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
}

/** A chart by its title, its table opened; returns the table's cells for a day. */
async function tableRow(title: string, date: string): Promise<string[]> {
  const figure = chart(title);
  const details = figure.locator('details');
  if ((await details.getAttribute('open')) === null) await figure.getByText('Show as table').click();
  const row = figure.locator('tbody tr', { has: page.locator(`time[datetime="${date}"]`) });
  return row.locator('td').allTextContents();
}

const chart = (title: string): Locator =>
  page.locator('figure', { has: page.getByRole('heading', { name: title, exact: true }) });

/**
 * Each width and scheme the screens must work in, photographed when PARLEY_SCREENSHOTS is set:
 * the top of the screen, then scrolled to each of `parts` (headings).
 */
async function screenshots(name: string, parts: string[] = []): Promise<void> {
  if (!process.env.PARLEY_SCREENSHOTS) return;
  const all = async (suffix: string) => {
    // The test's TypeScript has no DOM types: page scripts are given as text.
    await page.evaluate('document.querySelector("main").scrollTo(0, 0)');
    await screenshot(page, `${name}-${suffix}`);
    for (const [index, part] of parts.entries()) {
      await page.evaluate(
        `[...document.querySelectorAll("h2")].find((h) => h.textContent === ${JSON.stringify(part)}).scrollIntoView()`,
      );
      await screenshot(page, `${name}-${suffix}-${index + 1}`);
    }
  };
  await all('1440');
  await page.setViewportSize({ width: 360, height: 800 });
  await all('360');
  await page.emulateMedia({ colorScheme: 'dark' });
  await all('360-dark');
  await page.setViewportSize({ width: 1440, height: 900 });
  await all('1440-dark');
  await page.emulateMedia({ colorScheme: 'light' });
}

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: 'usage-key' });
  const port = await freePort();
  const environment = await parleyEnvironment('usage-admin', {
    GEMINI_API_KEY: 'usage-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  cleanup = environment.cleanup;
  server = await startParley(environment.env);
  // One `parley` run (each costs seconds): the first administrator; the rest through the API.
  const created = await runParley(['createuser', 'ops', '--password', PASSWORD, '--admin'], environment.env);
  if (created.code !== 0) throw new Error(`parley createuser failed:\n${created.stderr}`);
  const opsToken = await tokenFor('ops', PASSWORD);
  const rosa = await call<{ password: string }>(opsToken, 'POST', '/api/v1/admin/businesses/', { username: 'rosa' });
  rosaPassword = rosa.password;
  rosaToken = await tokenFor('rosa', rosaPassword);
  await call(rosaToken, 'PUT', '/api/v1/ai/config/', { auto_response_enabled: true });
  b = await launchBrowser(server.url);
  page = b.page;
  await page.setViewportSize({ width: 1440, height: 900 });
  await b.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
}, 120_000);

afterAll(async () => {
  await b?.close();
  await server?.stop('SIGKILL');
  await gemini?.close();
  await cleanup?.();
});

describe('the usage screen', () => {
  it("shows a business's asks in its charts and their tables, and the period picker changes the period", async () => {
    gemini.enqueue(
      { text: 'We open at nine.', usage: { ...usage(100, 20), cachedContentTokenCount: 80 } },
      { text: 'Until six.', usage: usage(100, 20) },
      { functionCall: { name: 'handover_to_human', args: { reason: 'customer_request' } }, usage: usage(100, 20) },
    );
    await ask('When do you open?', 'ana@example.com');
    await ask('And close?', 'ana@example.com');
    await ask('Can I talk to a person?', 'ben@example.com');

    await signIn('rosa', rosaPassword);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    await chart('AI requests').locator('canvas').first().waitFor();
    expect(await chart('AI requests').getByRole('img').getAttribute('aria-label')).toContain('Requests: highest 3');

    expect(await tableRow('AI requests', today())).toEqual(['3', '0']);
    expect(await tableRow('Tokens', today())).toEqual(['360', '300', '60']);
    expect(await tableRow('Handovers to people, by reason', today())).toEqual(['1']);
    expect(await chart('Handovers to people, by reason').getByRole('columnheader').allTextContents()).toEqual([
      'Day',
      'The customer asked for a person',
    ]);
    // Two of three customer messages answered by the AI; the handover is not an answer.
    expect(await tableRow('AI response rate', today())).toEqual(['66.7%']);
    await page.getByText('360 tokens used today; no cap.').waitFor();
    expect(await page.locator('.figures div', { hasText: 'AI requests' }).locator('dd').textContent()).toBe('3');
    expect(await page.locator('.figures div', { hasText: 'Cached tokens' }).locator('dd').textContent()).toBe('80');
    // 80 tokens at 0.3 − 0.03 USD per million.
    expect(await page.locator('.figures div', { hasText: 'Saved by caching' }).locator('dd').textContent()).toBe(
      '$0.00002',
    );

    // What an answer cost: Ana's two replies (the first with 80 cached prompt tokens); Ben's handover is no reply.
    const costs = page.getByRole('region', { name: 'Tokens and cost per answer' });
    expect(await costs.locator('tbody tr').allTextContents()).toEqual([
      'AI reply (2)120120$0.00007$0.00008',
      'Conversation the AI answered alone (1)240240$0.00014$0.00014',
    ]);
    // Every customer message went to the model: none avoided, each reason still listed.
    expect(await page.locator('dl[aria-label="Model calls avoided"] div').allTextContents()).toEqual([
      'Answered together in one reply0',
      'While a person had the conversation0',
      'Outside business hours0',
      'All reasons0',
    ]);

    // 30 days by default; 7 days at a click, in the address too.
    expect(await page.getByRole('radio', { name: '30 days' }).isChecked()).toBe(true);
    expect(await chart('AI requests').locator('tbody tr').count()).toBe(30);
    await page.getByText('7 days', { exact: true }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('?days=7');
    await page.getByText(/^The last 7 days/).waitFor();
    await expect.poll(() => chart('AI requests').locator('tbody tr').count()).toBe(7);
    expect(await tableRow('AI requests', today())).toEqual(['3', '0']);
    await expectAccessible();
    await screenshots('usage', ["The AI's use of the key", 'Cost per answer', 'Conversations']);
  }, 60_000);

  it('is usable by keyboard: the period with the arrow keys, a table with Enter', async () => {
    await page.getByRole('radio', { name: '7 days' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => new URL(page.url()).search).toBe('?days=30');
    expect(await page.getByRole('radio', { name: '30 days' }).isChecked()).toBe(true);
    const summary = chart('Estimated cost (USD)').locator('summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => chart('Estimated cost (USD)').locator('details').getAttribute('open')).toBe('');
    expect(await chart('Estimated cost (USD)').locator('tbody tr').count()).toBe(30);
  });
});

describe('the admin screens', () => {
  it('are not offered to a business: no menu item, a page that says so, and 403 from the API', async () => {
    const menu = page.getByRole('navigation', { name: 'Main' });
    await menu.getByRole('link', { name: 'Usage' }).waitFor();
    expect(await menu.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.goto('/admin');
    await page.getByRole('heading', { name: 'For administrators' }).waitFor();
    const statuses = await page.evaluate(async () =>
      Promise.all(
        ['/api/v1/admin/businesses/', '/api/v1/admin/system/', '/api/v1/ai/usage/global/'].map(
          async (path) => (await fetch(path)).status,
        ),
      ),
    );
    expect(statuses).toEqual([403, 403, 403]);
    await expectAccessible();
    await signOut();
  });

  it("let an administrator cap a business's tokens, and its next ask says quota_exceeded", async () => {
    await signIn('ops');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
    const businesses = page.getByRole('table', { name: /Every business/ });
    const row = businesses.getByRole('row', { name: /rosa/ });
    await row.getByText('360 tokens').waitFor();
    expect(await row.getByRole('cell').allTextContents()).toEqual([
      'On',
      'The AI',
      '2 (1 with people)',
      expect.stringContaining('3 requests'),
      'None',
    ]);
    await chart('AI requests').locator('canvas').first().waitFor();
    expect(await tableRow('AI requests', today())).toEqual(['3', '0']);
    await page.getByRole('heading', { name: 'Last health check' }).waitFor();
    await expectAccessible();
    await screenshots('admin', ['Usage across businesses', 'System']);

    await row.getByRole('link', { name: 'rosa' }).click();
    await page.getByRole('heading', { name: 'rosa', level: 1 }).waitFor();
    const daily = page.getByLabel('Daily cap (tokens)');
    // Refused beside the field, in the API's words.
    await daily.fill('-5');
    await page.getByRole('button', { name: 'Save caps' }).click();
    await page.getByText('A whole number of tokens from 0 (no cap)').waitFor();
    expect(await daily.getAttribute('aria-invalid')).toBe('true');

    // Enter in the field saves, as in any form.
    await daily.fill('100');
    await daily.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.getByText('360 of 100 tokens used today: the cap is reached').waitFor();
    await expectAccessible();
    await screenshots('admin-business');

    expect(await ask('Are you open tomorrow?', 'cleo@example.com')).toMatchObject({ reason: 'quota_exceeded' });

    // No cap again: the next ask is answered.
    await daily.fill('');
    await page.getByRole('button', { name: 'Save caps' }).click();
    await page.getByText('360 tokens used today; no cap.').waitFor();
    gemini.enqueue({ text: 'Yes, from nine.', usage: usage(10, 5) });
    expect(await ask('Are you open tomorrow?', 'dan@example.com')).toMatchObject({
      answer: 'Yes, from nine.',
      auto_response_generated: true,
    });

    // The business's weight in the key's per-minute turns: refused out of range, saved within it.
    const weight = page.getByLabel('Weight');
    await weight.fill('0');
    await page.getByRole('button', { name: 'Save caps' }).click();
    await page.getByText('A number from 0.1 to 100; 1 is an equal share.').waitFor();
    expect(await weight.getAttribute('aria-invalid')).toBe('true');
    await weight.fill('2.5');
    await weight.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'rosa', level: 1 }).waitFor();
    expect(await page.getByLabel('Weight').inputValue()).toBe('2.5');
    expect(await page.getByLabel('Daily cap (tokens)').inputValue()).toBe('');
  }, 60_000);

  it('let an administrator create a business, whose one-time password signs in', async () => {
    await page.getByRole('link', { name: 'All businesses' }).click();
    const create = page.getByRole('button', { name: 'Create a business' });
    // By keyboard: the button, the dialog's fields, Enter to submit.
    await create.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create a business' });
    await dialog.waitFor();
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('username');
    await page.keyboard.type('corner shop');
    await page.keyboard.press('Enter');
    await dialog.getByText('Use 1 to 150 letters, digits and @ . + - _ only.').waitFor();
    await expectAccessible();

    await dialog.getByLabel('Username').fill('corner_shop');
    await dialog.getByLabel('Email (optional)').fill('owner@corner.example');
    await dialog.getByLabel('Username').press('Enter');
    const created = page.getByRole('dialog', { name: 'Created “corner_shop”' });
    const password = await created.getByLabel('One-time password').inputValue();
    expect(password).toMatch(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
    await created.getByText('it is shown only this once').waitFor();
    await created.getByRole('button', { name: 'Copy' }).click();
    await created.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(password);
    await screenshot(page, 'admin-created');
    await expectAccessible();
    await page.keyboard.press('Escape');
    await expect.poll(() => created.count()).toBe(0);
    await page
      .getByRole('table', { name: /Every business/ })
      .getByRole('row', { name: /corner_shop/ })
      .waitFor();

    await signOut();
    await signIn('corner_shop', password);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByText('Signed in as corner_shop').waitFor();
  });
});
