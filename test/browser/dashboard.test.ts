import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { GeminiFake } from '../fakes/gemini.js';
import { TelegramFake, telegramTextUpdate } from '../fakes/telegram.js';
import { parleyEnvironment, parleyOutput, startParley, type ParleyServer } from '../helpers/processes.js';
import { freePort } from '../helpers/wait.js';
import { accessibilityProblems, launchBrowser, screenshot, type TestBrowser } from './browser.js';

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a real
 * `parley serve` whose model is the Gemini fake: what a shop's people see and do.
 */
let gemini: GeminiFake;
let telegram: TelegramFake;
const BOT_TOKEN = '555000222:AAEbakeryBotTokenForTheDashboardTest';
let server: ParleyServer;
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;
let token: string;
let b: TestBrowser;
let page: Page;

const PASSWORD = 'correct horse';

async function ask(question: string, customer: string): Promise<{ session_id: string }> {
  const response = await fetch(`${server.url}/api/v1/ai/ask/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ question, customer_id: customer }),
  });
  if (!response.ok) throw new Error(`ask answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { session_id: string };
}

async function signIn(password = PASSWORD): Promise<void> {
  await page.getByLabel('Username').fill('rosa');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function expectAccessible(): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
}

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: 'browser-key' });
  telegram = await TelegramFake.start();
  telegram.addBot(BOT_TOKEN, { id: 555000222, username: 'rosa_bot' });
  const port = await freePort();
  const environment = await parleyEnvironment('browser', {
    GEMINI_API_KEY: 'browser-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
    // A fixed port, so the page reconnects to the same address after a restart.
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    TELEGRAM_API_BASE: telegram.url,
  });
  cleanup = environment.cleanup;
  env = environment.env;
  server = await startParley(env);
  const parley = (args: string[]) => parleyOutput(args, environment.env);
  await parley(['createuser', 'rosa', '--password', PASSWORD]);
  token = await parley(['token', 'create', 'rosa']);
  await parley(['ai_control', 'enable', '--user', 'rosa']);
  const channel = await fetch(`${server.url}/api/v1/channels/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'telegram', bot_token: BOT_TOKEN }),
  });
  if (channel.status !== 201) throw new Error(`connecting the bot failed: ${await channel.text()}`);
  b = await launchBrowser(server.url);
  page = b.page;
}, 120_000);

afterAll(async () => {
  await b?.close();
  await server?.stop('SIGKILL');
  await gemini?.close();
  await telegram?.close();
  await cleanup?.();
});

describe('the dashboard', () => {
  it('sends a visitor to sign in, says when the password is wrong, and signs in', async () => {
    await page.goto('/');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    await expectAccessible();

    await signIn('wrong password');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('do not match');
    await screenshot(page, 'sign-in-error');

    await signIn();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // Nothing yet: the page says how to get a first conversation.
    await page.getByRole('heading', { name: 'No conversations yet' }).waitFor();
    expect(await page.locator('.empty pre').textContent()).toContain('/api/v1/ai/ask/');
    await screenshot(page, 'inbox-empty');
    await expectAccessible();
  });

  it('shows a new conversation as it arrives, and streams the AI answer into the open thread', async () => {
    gemini.enqueue({ text: 'We open at 9 on Sunday.' });
    await ask('Are you open on Sunday?', 'ana@example.com');
    const row = page.getByRole('link', { name: /ana@example\.com/ });
    await row.waitFor();
    await row.click();
    await page.getByRole('heading', { name: 'ana@example.com' }).waitFor();
    await page.locator('.msg--AI', { hasText: 'We open at 9 on Sunday.' }).waitFor();
    await page.getByText('The AI answers.').waitFor();

    // A slow answer, written piece by piece while the thread is open.
    gemini.enqueue({
      text: 'Yes, we bake gluten-free bread.',
      chunks: ['Yes, we bake ', 'gluten-free ', 'bread.'],
      chunkDelayMs: 700,
    });
    const asked = ask('Do you have gluten-free bread?', 'ana@example.com');
    const writing = page.locator('.msg--writing');
    await writing.filter({ hasText: 'Yes, we bake' }).waitFor();
    expect(await writing.textContent()).not.toContain('bread.');
    await screenshot(page, 'thread-streaming');
    await asked;
    await page.locator('.msg--AI', { hasText: 'Yes, we bake gluten-free bread.' }).waitFor();
    await expect.poll(() => writing.count()).toBe(0);
    // Once, not twice: the streamed answer became the stored message.
    expect(await page.locator('.msg--AI', { hasText: 'gluten-free' }).count()).toBe(1);
    expect(await page.locator('.msg--customer').allTextContents()).toEqual([
      expect.stringContaining('Are you open on Sunday?'),
      expect.stringContaining('Do you have gluten-free bread?'),
    ]);
    await expectAccessible();
  });

  it('takes over, answers as a person, and hands back to the AI', async () => {
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.getByText('People answer — a person took it over.').waitFor();
    await page
      .getByRole('link', { name: /ana@example\.com/ })
      .getByText('People')
      .waitFor();

    const reply = page.getByLabel('Your reply');
    await reply.fill('Hello Ana, this is Rosa.');
    await reply.press('Shift+Enter');
    await reply.pressSequentially('We also have rye.');
    expect(await reply.inputValue()).toBe('Hello Ana, this is Rosa.\nWe also have rye.');
    await reply.press('Enter');
    const sent = page.locator('.msg--support');
    await sent.filter({ hasText: 'We also have rye.' }).waitFor();
    expect(await sent.locator('.msg-author').textContent()).toContain('Agent');
    // Cleared once the server has answered the send (its live event may show the message first).
    await expect.poll(() => reply.inputValue()).toBe('');
    await screenshot(page, 'thread-taken-over');
    await expectAccessible();

    await page.getByRole('button', { name: 'Hand back to AI' }).click();
    await page.getByText('The AI answers.').waitFor();
    await page.getByRole('button', { name: 'Take over' }).waitFor();
  });

  it('never shows the AI answer that was still being written when a person took over', async () => {
    gemini.enqueue({
      text: 'A late answer nobody should see.',
      chunks: ['A late answer ', 'nobody should see.'],
      chunkDelayMs: 1_500,
    });
    const asked = ask('Is the shop open late?', 'ana@example.com').catch(() => undefined);
    await page.locator('.msg--customer', { hasText: 'Is the shop open late?' }).waitFor();
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.getByText('People answer — a person took it over.').waitFor();
    await asked;
    // The conversation's own record says the same as the page: no AI message after the takeover.
    const stored = await fetch(
      `${server.url}${new URL(page.url()).pathname.replace('/c/', '/api/v1/conversations/')}/messages/`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    const texts = ((await stored.json()) as { results: { text: string }[] }).results.map((message) => message.text);
    expect(texts).toContain('Is the shop open late?');
    expect(texts).not.toContain('A late answer nobody should see.');
    expect(await page.getByText('A late answer nobody should see.').count()).toBe(0);
    expect(await page.locator('.msg--writing').count()).toBe(0);
    await page.getByRole('button', { name: 'Hand back to AI' }).click();
    await page.getByRole('button', { name: 'Take over' }).waitFor();
  });

  it('raises the attention badge and the tab title when the AI hands a conversation to people', async () => {
    expect(await page.title()).toBe('Inbox · Parley');
    gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'customer_request' } } });
    await ask('Can I talk to a person?', 'carl@example.com');
    const row = page.getByRole('link', { name: /carl@example\.com/ });
    await row.getByText('Needs a person: the customer asked for a person').waitFor();
    await page.getByText('1 needs a person').waitFor();
    await expect.poll(() => page.title()).toBe('(1) Inbox · Parley');
    await screenshot(page, 'inbox-attention');
    // A person answering settles it.
    await row.click();
    await page.getByText('People answer — the customer asked for a person.').waitFor();
    await page.getByLabel('Your reply').fill('Hi Carl, Rosa here.');
    await page.getByLabel('Your reply').press('Enter');
    await expect.poll(() => page.title()).toBe('Inbox · Parley');
    await expect.poll(() => row.getByText(/Needs a person/).count()).toBe(0);
  });

  it('shows what a customer wrote as text, never as markup', async () => {
    gemini.enqueue({ text: 'Noted.' });
    await ask('<img src=x onerror="document.title=\'owned\'"><b>bold</b>', 'mallory@example.com');
    const row = page.getByRole('link', { name: /mallory@example\.com/ });
    await row.waitFor();
    await row.click();
    await page.locator('.msg--customer', { hasText: '<b>bold</b>' }).waitFor();
    expect(await page.locator('.messages img, .messages b').count()).toBe(0);
    expect(await page.title()).not.toBe('owned');
  });

  it('is usable by keyboard alone: moving in the list, opening, acting, and back', async () => {
    await page.getByRole('link', { name: /mallory@example\.com/ }).focus();
    // Newest first: mallory, carl, then ana.
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator(':focus').textContent()).toContain('carl@example.com');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator(':focus').textContent()).toContain('ana@example.com');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'ana@example.com' }).waitFor();
    await page.keyboard.press('Tab');
    await expect.poll(() => page.locator(':focus').textContent()).toBe('Take over');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Hand back to AI' }).waitFor();
    // The focus stayed on the button: Enter again hands back.
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Take over' }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator(':focus').getAttribute('aria-current')).toBe('page');
    await page.keyboard.press('/');
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('search');
    await page.keyboard.type('mallory');
    await expect.poll(() => page.getByRole('link', { name: /ana@example\.com/ }).count()).toBe(0);
    await page.getByRole('link', { name: /mallory@example\.com/ }).waitFor();
  });

  it("shows a Telegram customer live, and delivers a person's reply through the bot", async () => {
    await page.getByLabel('Search customers and messages').fill('');
    gemini.enqueue({ text: 'Our croissants are baked at 7.' });
    await telegram.deliver(
      BOT_TOKEN,
      telegramTextUpdate({
        updateId: 1,
        messageId: 10,
        chatId: 777,
        text: 'When are croissants ready?',
        firstName: 'Tomas',
      }),
    );
    const row = page.getByRole('link', { name: /Tomas/ });
    await row.getByText('Telegram').waitFor();
    await row.click();
    await page.locator('.msg--AI', { hasText: 'Our croissants are baked at 7.' }).waitFor();
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.getByText('People answer — a person took it over.').waitFor();
    await page.getByLabel('Your reply').fill('I will keep two for you, Tomas.');
    await page.getByLabel('Your reply').press('Enter');
    const reply = page.locator('.msg--support', { hasText: 'I will keep two for you' });
    await reply.getByText('Delivered').waitFor();
    await screenshot(page, 'thread-telegram');
    expect(telegram.sent(BOT_TOKEN).map((message) => message.text)).toEqual(
      expect.arrayContaining(['I will keep two for you, Tomas.']),
    );
    await page.getByRole('button', { name: 'Hand back to AI' }).click();
    await page.getByRole('button', { name: 'Take over' }).waitFor();
  });

  it('reconnects after the server restarts and shows what it missed, once', async () => {
    await page.getByLabel('Search customers and messages').fill('');
    await page.getByRole('link', { name: /ana@example\.com/ }).click();
    await page.getByRole('heading', { name: 'ana@example.com' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const before = await page.locator('.msg').count();

    // On failure, its log says what the shutdown waited for.
    expect(await server.stop('SIGTERM'), server.output().slice(-4000)).toBe(0);
    await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor();
    server = await startParley(env);
    // Sent while the page is still waiting out its backoff: it learns of these from the catch-up.
    gemini.enqueue({ text: 'Missed answer one.' }, { text: 'Missed answer two.' });
    await ask('Sent during the restart, one', 'ana@example.com');
    await ask('Sent during the restart, two', 'ana@example.com');

    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 20_000 });
    await page.locator('.msg--AI', { hasText: 'Missed answer two.' }).waitFor();
    // Polled: an answer still streaming in when the catch-up lands settles into its stored message.
    for (const text of [
      'Sent during the restart, one',
      'Missed answer one.',
      'Sent during the restart, two',
      'Missed answer two.',
    ]) {
      await expect.poll(() => page.locator('.msg', { hasText: text }).count(), { message: text }).toBe(1);
    }
    await expect.poll(() => page.locator('.msg').count()).toBe(before + 4);
  }, 60_000);

  it('signs out, and back in returns to the page that asked', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    const conversations = await fetch(`${server.url}/api/v1/conversations/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const ana = ((await conversations.json()) as { results: { id: string; customer_id: string }[] }).results.find(
      (row) => row.customer_id === 'ana@example.com',
    )!;
    await page.goto(`/c/${ana.id}`);
    await expect.poll(() => page.url()).toContain(`/sign-in?next=${encodeURIComponent(`/c/${ana.id}`)}`);
    await signIn();
    await page.getByRole('heading', { name: 'ana@example.com' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/c/${ana.id}`);
  });
});
