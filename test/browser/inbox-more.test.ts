import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { GeminiFake } from '../fakes/gemini.js';
import { parleyEnvironment, parleyOutput, startParley, type ParleyServer } from '../helpers/processes.js';
import { freePort } from '../helpers/wait.js';
import { accessibilityProblems, launchBrowser, screenshot, type TestBrowser } from './browser.js';

/**
 * The inbox beyond its first day: a one-time sign-in link, a long list and a long thread that
 * keep the reader's place, the way back on a phone, and the attention chime in one tab only.
 */
let gemini: GeminiFake;
let server: ParleyServer;
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;
let token: string;
let b: TestBrowser;
let page: Page;

const parley = (args: string[]) => parleyOutput(args, env);

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** What the tests use of a scrolling element (this file is typed without the DOM's types). */
interface Scrollable {
  scrollHeight: number;
  scrollTo(options: { top: number }): void;
}

const ask = (question: string, customer: string) =>
  api<{ session_id: string; reason?: string }>('POST', '/api/v1/ai/ask/', { question, customer_id: customer });

/** Counts the tones this page's Web Audio starts: what a person would hear. Runs in the page. */
const COUNT_TONES = `
  window.parleyTones = 0;
  const original = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.parleyTones += 1;
    return original.call(this);
  };
`;
const tonesIn = (target: Page) => target.evaluate<number>('window.parleyTones');

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: 'browser-key' });
  const port = await freePort();
  const environment = await parleyEnvironment('browser-inbox', {
    GEMINI_API_KEY: 'browser-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    // Hundreds of conversations and messages are made through the API in seconds.
    PARLEY_ASKS_PER_MINUTE: '0',
    PARLEY_AGENT_REPLIES_PER_MINUTE: '0',
    PARLEY_API_REQUESTS_PER_MINUTE: '0',
  });
  cleanup = environment.cleanup;
  env = environment.env;
  server = await startParley(env);
  await parley(['createuser', 'rosa', '--password', 'correct horse']);
  token = await parley(['token', 'create', 'rosa']);
  b = await launchBrowser(server.url);
  await b.context.addInitScript({ content: COUNT_TONES });
  page = b.page;
}, 120_000);

afterAll(async () => {
  await b?.close();
  await server?.stop('SIGKILL');
  await gemini?.close();
  await cleanup?.();
});

describe('the inbox, further', () => {
  it('opens signed in from a one-time sign-in link, and the same link does not work twice', async () => {
    const link = await parley(['signin_link', 'rosa']);
    expect(link).toMatch(new RegExp(`^${server.url}/sign-in#link=`));
    await page.goto(link);
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    // The token does not stay in the address bar or the history.
    expect(page.url()).toBe(`${server.url}/`);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    await page.goto(link);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('has been used or has expired');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.goto(await parley(['signin_link', 'rosa']));
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  });

  it('keeps at most about 60 rows in the page however long the list, and reaches its end', async () => {
    // The AI is off, so each question is stored and waits for people: no model needed.
    for (let start = 0; start < 150; start += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => ask('Hello?', `c${String(start + i).padStart(3, '0')}@example.com`)),
      );
    }
    await page.reload();
    const rows = page.locator('.row');
    await rows.first().waitFor();
    const list = page.locator('.vlist');
    const most = { rows: 0 };
    // Scrolls to the end until the oldest conversation shows: the list fetches its pages as it goes.
    await expect
      .poll(
        async () => {
          await list.evaluate((el: Scrollable) => el.scrollTo({ top: el.scrollHeight }));
          most.rows = Math.max(most.rows, await rows.count());
          return page.getByRole('link', { name: /c000@example\.com/ }).count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    expect(most.rows).toBeGreaterThan(5);
    expect(most.rows).toBeLessThanOrEqual(60);
  });

  it("keeps the reader's place while older messages load above and new ones arrive below", async () => {
    const { session_id } = await ask('I have a long story.', 'long@example.com');
    const id = session_id.replace(/^msg_/, '');
    for (let n = 1; n <= 79; n++) {
      await api('POST', `/api/v1/conversations/${id}/messages/`, { text: `Reply ${n}` });
    }
    await page.goto(`/c/${id}`);
    const messages = page.locator('.messages');
    await page.locator('.msg', { hasText: 'Reply 79' }).waitFor();
    // The newest page only: the oldest messages are not in the page yet.
    expect(await page.locator('.msg', { hasText: 'I have a long story.' }).count()).toBe(0);

    // Scrolled near the top: older messages load above without moving what the reader sees.
    // (Their page is held back a moment, to see the view before and after.)
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/messages\/\?before_seq=/, async (route) => {
      await held;
      await route.continue();
    });
    const anchor = page.locator('.msg-text', { hasText: /^Reply 30$/ });
    await anchor.waitFor();
    await messages.evaluate((el: Scrollable) => el.scrollTo({ top: 150 }));
    await page.getByRole('button', { name: 'Loading older messages…' }).waitFor();
    const before = (await anchor.boundingBox())!.y;
    release();
    await page.locator('.msg', { hasText: 'I have a long story.' }).waitFor();
    expect(Math.abs((await anchor.boundingBox())!.y - before)).toBeLessThan(3);
    await page.unroute(/\/messages\/\?before_seq=/);

    // A new message while the reader is up there arrives without pulling the view down.
    await api('POST', `/api/v1/conversations/${id}/messages/`, { text: 'Reply 80' });
    await page.locator('.msg', { hasText: 'Reply 80' }).waitFor({ state: 'attached' });
    expect(Math.abs((await anchor.boundingBox())!.y - before)).toBeLessThan(3);
  });

  it('has a way back to the list on a phone', async () => {
    await page.setViewportSize({ width: 360, height: 760 });
    try {
      const back = page.getByRole('link', { name: 'Conversations' });
      await back.waitFor();
      await screenshot(page, 'thread-phone');
      await back.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Inbox' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
      expect(await page.locator('.thread-pane').isVisible()).toBe(false);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('chimes in one tab when a conversation starts waiting for a person, only when the sound is on', async () => {
    await parley(['ai_control', 'enable', '--user', 'rosa']);
    // This page took the inbox's sound lock first; the second tab waits behind it.
    await page.goto('/');
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    const second = await b.context.newPage();
    try {
      await second.goto('/');
      const sound = second.getByRole('button', { name: /^Sound/ });
      await sound.waitFor();
      expect(await sound.getAttribute('aria-pressed')).toBe('false');

      // Off by default: a handover makes the badge, no sound.
      gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'customer_request' } } });
      await ask('Can I talk to a person?', 'quiet@example.com');
      await page.getByRole('link', { name: /quiet@example\.com/ }).waitFor();
      expect([await tonesIn(page), await tonesIn(second)]).toEqual([0, 0]);

      // Switched on in the second tab: it plays the chime once there, as a sample; both tabs now have it on.
      await sound.click();
      expect(await sound.getAttribute('aria-pressed')).toBe('true');
      await expect.poll(() => page.getByRole('button', { name: 'Sound on' }).count()).toBe(1);
      const sample = await tonesIn(second);
      expect(sample).toBeGreaterThan(0);

      gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'customer_request' } } });
      await ask('A person, please.', 'loud@example.com');
      await expect.poll(() => tonesIn(page)).toBe(sample);
      await second.getByRole('link', { name: /loud@example\.com/ }).waitFor();
      expect(await tonesIn(second)).toBe(sample);
    } finally {
      await second.close();
    }
  });
});
