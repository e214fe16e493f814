import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Request, WebSocket } from 'playwright-core';
import { launchBrowser, screenshot, type TestBrowser } from './browser.js';
import { inWidget, startWidgetSite } from './widget-setup.js';

// A visitor on the business's own site (another origin than Parley's) chats with the AI and then a
// person, through the snippet alone.

let world: Awaited<ReturnType<typeof startWidgetSite>>;
let browser: TestBrowser;
let page: Page;
const requests: Request[] = [];
const socketUrls: string[] = [];
const sockets: WebSocket[] = [];
/** What the widget sent on its sockets, as text. */
const framesSent: string[] = [];

beforeAll(async () => {
  world = await startWidgetSite('chat');
  browser = await launchBrowser(world.site);
  page = browser.page;
  // A step that does not happen fails with its own locator, well inside the test's time.
  page.setDefaultTimeout(10_000);
  browser.context.on('request', (request) => requests.push(request));
  page.on('websocket', (socket) => {
    socketUrls.push(socket.url());
    sockets.push(socket);
    socket.on('framesent', (frame) => framesSent.push(String(frame.payload)));
  });
});

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

const launcher = () => page.getByRole('button', { name: /^Chat with Bakery Rossi/ });
const log = () => page.getByRole('log', { name: 'Messages' });
const messageBox = () => page.getByRole('textbox', { name: 'Your message' });
const stored = () => page.evaluate<Record<string, string>>(`({ ...localStorage })`);

describe('the website widget', () => {
  it('draws only the launcher, stores nothing and sets no cookie until the visitor opens it', async () => {
    await page.goto('/');
    await expect.poll(() => launcher().getAttribute('aria-expanded')).toBe('false');
    expect(await stored()).toEqual({});
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    // The panel's code is fetched only on opening.
    expect(requests.some((request) => /\/widget\/panel-/.test(request.url()))).toBe(false);
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it("opens a dialog, sends the visitor's message and streams the AI's answer in", async () => {
    world.gemini.enqueue({
      text: 'Yes! We deliver within 3 km for orders over 15 EUR.',
      chunks: ['Yes! We deliver ', 'within 3 km ', 'for orders over 15 EUR.'],
      chunkDelayMs: 400,
    });
    await launcher().click();
    await expect.poll(() => launcher().getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('dialog', { name: 'BakeryRossi' }).waitFor();
    await log().getByText('Ciao! Ask us about orders').waitFor();
    await messageBox().fill('Do you deliver?');
    await messageBox().press('Enter');
    await log().getByText('Do you deliver?').waitFor();
    // Part of the answer shows before the whole of it is written.
    await log()
      .getByText(/^Yes! We deliver/)
      .waitFor();
    expect(await log().textContent()).not.toContain('for orders over 15 EUR.');
    await log().getByText('Yes! We deliver within 3 km for orders over 15 EUR.').waitFor();
    await expect.poll(() => inWidget<number>(page, `root.querySelectorAll('.msg.from-ai').length`)).toBe(1);
    await screenshot(page, 'widget-answer');
  });

  it('tells the team while the visitor types, and that they stopped when they leave the box', async () => {
    const typingFrames = () =>
      framesSent.filter((frame) => frame.includes('"typing"')).map((frame) => JSON.parse(frame) as unknown);
    const before = typingFrames().length;
    await messageBox().pressSequentially('And on Sun');
    // Once for the whole word, not for every key.
    await expect.poll(() => typingFrames().slice(before)).toEqual([{ type: 'typing', typing: true }]);
    await page.keyboard.press('Tab');
    await expect
      .poll(() => typingFrames().slice(before))
      .toEqual([
        { type: 'typing', typing: true },
        { type: 'typing', typing: false },
      ]);
    await messageBox().fill('');
  });

  it('stores only the visitor token, and sends it in a header and the first socket frame, never in a URL', async () => {
    const all = await stored();
    expect(Object.keys(all)).toEqual([`parley:${world.publicId}`]);
    const token = (JSON.parse(all[`parley:${world.publicId}`] ?? '{}') as { visitor_token?: string }).visitor_token;
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    const sends = requests.filter((request) => request.method() === 'POST' && request.url().endsWith('/messages/'));
    expect(sends.length).toBe(1);
    expect(await sends[0]!.headerValue('x-parley-visitor')).toBe(token);
    expect(socketUrls.length).toBeGreaterThan(0);
    for (const url of [...requests.map((request) => request.url()), ...socketUrls]) expect(url).not.toContain(token);
  });

  it("shows an agent's reply live, and that a person now answers", async () => {
    await world.agentReplies('Hi, Sam from the bakery here: via Roma is in range.');
    await log().getByText('Hi, Sam from the bakery here: via Roma is in range.').waitFor();
    await page.getByText('A person will answer you here.').waitFor();
  });

  it('keeps the history across a reload, each message once', async () => {
    await page.reload();
    await launcher().click();
    await log().getByText('Hi, Sam from the bakery here').waitFor();
    const texts = await inWidget<string[]>(
      page,
      `[...root.querySelectorAll('.msg:not(.greeting)')].map((m) => m.firstChild.textContent + '|' + m.childNodes[1].textContent)`,
    );
    // Who wrote a reply shows above it; the visitor's own are named for screen readers only.
    expect(texts).toEqual([
      'You: |Do you deliver?',
      'Assistant|Yes! We deliver within 3 km for orders over 15 EUR.',
      'Team|Hi, Sam from the bakery here: via Roma is in range.',
    ]);
  });

  it('keeps two tabs in sync, and shows a reply that came while closed on the badge', async () => {
    const second = await browser.context.newPage();
    await second.goto('/');
    const secondLog = second.getByRole('log', { name: 'Messages' });
    await second.getByRole('button', { name: /^Chat with Bakery Rossi/ }).click();
    await secondLog.getByText('Hi, Sam from the bakery here').waitFor();
    await messageBox().fill('Great, I will order two loaves.');
    await messageBox().press('Enter');
    await secondLog.getByText('Great, I will order two loaves.').waitFor({ timeout: 5_000 });
    await page.keyboard.press('Escape');
    await second.keyboard.press('Escape');
    await world.agentReplies('Perfect, see you tomorrow.');
    // Each tab's launcher counts it once.
    for (const tab of [page, second]) {
      await tab.getByRole('button', { name: 'Chat with Bakery Rossi (1 unread)' }).waitFor();
    }
    await second.getByRole('button', { name: /^Chat with Bakery Rossi/ }).click();
    await secondLog.getByText('Perfect, see you tomorrow.').waitFor();
    // Reading it in one tab clears the other's badge.
    await page.getByRole('button', { name: 'Chat with Bakery Rossi', exact: true }).waitFor();
    await launcher().click();
    await log().getByText('Perfect, see you tomorrow.').waitFor();
    expect(await log().getByText('Perfect, see you tomorrow.').count()).toBe(1);
    await second.close();
  });

  it('comes back after a network drop and shows what it missed, once', async () => {
    const before = sockets.length;
    const dropped = sockets.at(-1)!.waitForEvent('close');
    world.dropConnections();
    await dropped;
    // Stored while the visitor's socket is down: the reconnect (1 s, 2 s, … later) fetches it.
    await world.agentReplies('We also have focaccia today.');
    await log().getByText('We also have focaccia today.').waitFor({ timeout: 15_000 });
    expect(sockets.length).toBeGreaterThan(before);
    expect(await log().getByText('We also have focaccia today.').count()).toBe(1);
    expect(await log().getByText('Perfect, see you tomorrow.').count()).toBe(1);
  });
});
