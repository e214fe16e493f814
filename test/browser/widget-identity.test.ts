import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from './browser.js';
import { startWidgetSite } from './widget-setup.js';

// Verified identity (docs/widget.md): the site signs its signed-in customer's id, and the widget is
// that customer on every device; a login after an anonymous chat, or another customer's login on the
// same computer, switches to that customer's own conversation.

let world: Awaited<ReturnType<typeof startWidgetSite>>;
const browsers: TestBrowser[] = [];

beforeAll(async () => {
  // Every test's browser is a new visitor from 127.0.0.1: more than the default 20 an hour.
  world = await startWidgetSite('identity', { PARLEY_WIDGET_VISITORS_PER_IP_PER_HOUR: '1000' });
});

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await world?.close();
});

/** What the site's server computes for its signed-in customer. */
const signed = (userId: string) => createHmac('sha256', world.widgetSecret).update(userId).digest('hex');
const WRONG_HASH = 'ab'.repeat(32);
/** As long as a locator waits: a switch is a request or two to Parley, on a busy machine. */
const POLL = { timeout: 10_000 };

/** A new browser (its own profile: nothing stored) on the business's site. */
async function visit(path: string): Promise<Page> {
  const browser = await launchBrowser(world.site);
  browsers.push(browser);
  browser.page.setDefaultTimeout(10_000);
  await browser.page.goto(path);
  return browser.page;
}

const signedInPage = (userId: string, hash = signed(userId), name?: string) =>
  `/?${new URLSearchParams({ user_id: userId, user_hash: hash, ...(name ? { name } : {}) }).toString()}`;

const log = (page: Page) => page.getByRole('log', { name: 'Messages' });

async function openWidget(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Chat with Bakery Rossi/ }).click();
  await page.getByRole('dialog').waitFor();
}

async function chat(page: Page, question: string, answer: string): Promise<void> {
  world.gemini.enqueue({ text: answer });
  const box = page.getByRole('textbox', { name: 'Your message' });
  await box.fill(question);
  await box.press('Enter');
  await log(page).getByText(answer).waitFor();
}

/** What the page calls when its visitor signs in (or another customer does). */
const identify = (page: Page, userId: string, hash = signed(userId)) =>
  page.evaluate(`window.Parley.identify(${JSON.stringify({ user_id: userId, user_hash: hash })})`);

/** The visitor's own and the replies' texts, as the widget shows them. */
const shownTexts = (page: Page) =>
  page.evaluate<string[]>(
    `[...document.querySelector('parley-widget').shadowRoot.querySelectorAll('.msg:not(.greeting)')].map((m) => m.childNodes[1].textContent)`,
  );

const stored = async (page: Page) =>
  JSON.parse((await page.evaluate<string | null>(`localStorage.getItem('parley:${world.publicId}')`)) ?? 'null') as {
    visitor_token: string;
    user_id?: string;
  } | null;

interface InboxRow {
  id: string;
  customer_id: string;
  customer_name: string | null;
}

async function websiteConversations(): Promise<InboxRow[]> {
  return (await world.api<{ results: InboxRow[] }>('GET', '/api/v1/conversations/?channel=website&page_size=50'))
    .results;
}

async function textsOf(conversationId: string): Promise<string[]> {
  const page = await world.api<{ results: { text: string }[] }>(
    'GET',
    `/api/v1/conversations/${conversationId}/messages/?page_size=100`,
  );
  return page.results.map((message) => message.text);
}

describe('the widget with verified identity', () => {
  let ana: Page;

  it("links a signed-in customer's chat to their user id, in the inbox too", async () => {
    ana = await visit(signedInPage('cust-ana', signed('cust-ana'), 'Ana'));
    await openWidget(ana);
    await chat(ana, 'Is my order 1042 ready?', 'Yes, it is ready for pickup.');
    expect(await stored(ana)).toEqual({ visitor_token: expect.any(String), user_id: 'cust-ana' });
    const rows = (await websiteConversations()).filter((row) => row.customer_id === 'cust-ana');
    expect(rows).toEqual([expect.objectContaining({ customer_id: 'cust-ana', customer_name: 'Ana' })]);
    expect(await textsOf(rows[0]!.id)).toEqual(
      expect.arrayContaining(['Is my order 1042 ready?', 'Yes, it is ready for pickup.']),
    );
  });

  it('shows the same history on another device of the same customer, and what is written there', async () => {
    const phone = await visit(signedInPage('cust-ana'));
    await openWidget(phone);
    await log(phone).getByText('Yes, it is ready for pickup.').waitFor();
    expect(await shownTexts(phone)).toEqual(['Is my order 1042 ready?', 'Yes, it is ready for pickup.']);
    await chat(phone, 'Can my husband pick it up?', 'Of course, with the order number.');
    // The first device, open all along, sees it live.
    await log(ana).getByText('Of course, with the order number.').waitFor();
    expect((await websiteConversations()).filter((row) => row.customer_id === 'cust-ana')).toHaveLength(1);
  });

  it('continues anonymously when the hash is wrong', async () => {
    const page = await visit(signedInPage('cust-mallory', WRONG_HASH));
    const refused = page.waitForResponse(
      (response) => response.url().endsWith('/visitors/') && response.request().method() === 'POST',
    );
    await openWidget(page);
    expect((await refused).status()).toBe(401);
    await chat(page, 'Where is my order?', 'Which order number, please?');
    expect(await stored(page)).toEqual({ visitor_token: expect.any(String) });
    const conversations = await websiteConversations();
    expect(conversations.some((row) => row.customer_id === 'cust-mallory')).toBe(false);
    // Nothing of the customer it claimed to be.
    expect(await shownTexts(page)).toEqual(['Where is my order?', 'Which order number, please?']);
  });

  it("switches to the customer's own history when the visitor signs in after chatting anonymously", async () => {
    const page = await visit('/');
    await openWidget(page);
    await chat(page, 'Do you sell gift cards?', 'Yes, from 10 EUR.');
    const anonymous = await stored(page);
    expect(anonymous?.user_id).toBeUndefined();

    await identify(page, 'cust-ana');
    await log(page).getByText('Is my order 1042 ready?').waitFor();
    expect(await shownTexts(page)).toEqual([
      'Is my order 1042 ready?',
      'Yes, it is ready for pickup.',
      'Can my husband pick it up?',
      'Of course, with the order number.',
    ]);
    const verified = await stored(page);
    expect(verified).toEqual({ visitor_token: expect.any(String), user_id: 'cust-ana' });
    expect(verified?.visitor_token).not.toBe(anonymous?.visitor_token);

    // What they write now is Ana's: her first device sees it live.
    await chat(page, 'Thanks, on my way.', 'See you soon!');
    await log(ana).getByText('Thanks, on my way.').waitFor();
    // The anonymous conversation stays with the business as it was, apart from Ana's.
    const rows = await websiteConversations();
    const texts = await Promise.all(rows.map(async (row) => ({ row, texts: await textsOf(row.id) })));
    const giftCards = texts.filter((one) => one.texts.includes('Do you sell gift cards?'));
    expect(giftCards.map((one) => one.row.customer_id)).toEqual([expect.stringMatching(/^vis_/)]);
    expect(giftCards[0]!.texts).not.toContain('Thanks, on my way.');

    // Back on the site later, signed in or not, the browser is still Ana's.
    await page.reload();
    await openWidget(page);
    await log(page).getByText('Thanks, on my way.').waitFor();
    expect(await shownTexts(page)).not.toContain('Do you sell gift cards?');
  });

  it("never shows the previous customer's history when another customer signs in on the same computer", async () => {
    const page = await visit(signedInPage('cust-ana'));
    await openWidget(page);
    await log(page).getByText('Is my order 1042 ready?').waitFor();

    await identify(page, 'cust-bruno');
    await expect.poll(() => stored(page), POLL).toEqual({ visitor_token: expect.any(String), user_id: 'cust-bruno' });
    expect(await shownTexts(page)).toEqual([]);
    await chat(page, 'Do you have rye bread?', 'Yes, every day.');
    expect(await shownTexts(page)).toEqual(['Do you have rye bread?', 'Yes, every day.']);
    expect((await websiteConversations()).map((row) => row.customer_id)).toContain('cust-bruno');

    // A third login whose hash the server refuses: Bruno's conversation goes too, and the page goes on anonymously.
    await identify(page, 'cust-carla', WRONG_HASH);
    await expect.poll(() => stored(page), POLL).toBeNull();
    expect(await shownTexts(page)).toEqual([]);
    await chat(page, 'Hello?', 'Hello! How can we help?');
    expect(await stored(page)).toEqual({ visitor_token: expect.any(String) });
    expect(await shownTexts(page)).toEqual(['Hello?', 'Hello! How can we help?']);
  });

  it('forgets the customer when the site signs them out, in every tab, so the next person sees nothing of theirs', async () => {
    const page = await visit(signedInPage('cust-ana'));
    const other = await page.context().newPage();
    await other.goto('/');
    for (const tab of [page, other]) {
      await openWidget(tab);
      await log(tab).getByText('Thanks, on my way.').waitFor();
    }
    await page.evaluate('window.Parley.logout()');
    for (const tab of [page, other]) await expect.poll(() => shownTexts(tab), POLL).toEqual([]);
    expect(await stored(page)).toBeNull();

    // The site's pages after the sign-out no longer call identify.
    await page.goto('/');
    await openWidget(page);
    await log(page).getByText('Ciao! Ask us about orders').waitFor();
    expect(await shownTexts(page)).toEqual([]);
    expect(await stored(page)).toBeNull();
  });

  it('keeps the anonymous conversation when a sign-in after it is refused', async () => {
    const page = await visit('/');
    await openWidget(page);
    await chat(page, 'Are you open on Monday?', 'Yes, from 7.');
    const anonymous = await stored(page);
    const refused = page.waitForResponse(
      (response) => response.url().endsWith('/visitors/') && response.request().method() === 'POST',
    );
    await identify(page, 'cust-dora', WRONG_HASH);
    expect((await refused).status()).toBe(401);
    expect(await stored(page)).toEqual(anonymous);
    expect(await shownTexts(page)).toEqual(['Are you open on Monday?', 'Yes, from 7.']);
    await chat(page, 'And on Tuesday?', 'Also from 7.');
    expect(await shownTexts(page)).toEqual([
      'Are you open on Monday?',
      'Yes, from 7.',
      'And on Tuesday?',
      'Also from 7.',
    ]);
  });
});
