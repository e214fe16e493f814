import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { accessibilityProblems, launchBrowser, screenshot, type TestBrowser } from './browser.js';
import { startWidgetSite } from './widget-setup.js';

// A shop owner adds a chat to a second site from the channels screen, by keyboard: the snippet and
// the secret shown once, the settings changed, the secret rotated; then, in the inbox, a visitor of
// the first site sees the owner typing a reply.

let world: Awaited<ReturnType<typeof startWidgetSite>>;
let browser: TestBrowser;
let page: Page;

interface ListedChannel {
  id: string;
  widget: { public_id: string; settings: { allowed_origins: string[]; greeting: string } } | null;
}

beforeAll(async () => {
  world = await startWidgetSite('dashboard');
  browser = await launchBrowser(world.parleyUrl);
  page = browser.page;
  page.setDefaultTimeout(10_000);
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.parleyUrl });
  await page.goto('/sign-in');
  await page.getByLabel('Username').fill('BakeryRossi');
  await page.getByLabel('Password').fill('bakery-rossi-1962');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function expectAccessible(): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
}

/** A phone's width and a desktop's, for a person to look at (PARLEY_SCREENSHOTS). */
async function shots(name: string): Promise<void> {
  if (!process.env.PARLEY_SCREENSHOTS) return;
  for (const [width, height] of [
    [1440, 2400],
    [360, 5200],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.locator('h1').first().scrollIntoViewIfNeeded();
    await screenshot(page, `${name}-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** A visitor signing in as a customer of the site, with a hash made with `secret`. */
async function verifiedVisitor(publicId: string, origin: string, secret: string) {
  const response = await fetch(`${world.parleyUrl}/api/v1/widget/${publicId}/visitors/`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({
      user_id: 'customer-7',
      user_hash: createHmac('sha256', secret).update('customer-7').digest('hex'),
    }),
  });
  return {
    status: response.status,
    json: (await response.json()) as { code?: string; visitor?: { verified: boolean } },
  };
}

const channels = async () =>
  (await world.api<{ results: ListedChannel[] }>('GET', '/api/v1/channels/')).results.filter(
    (channel) => channel.widget,
  );

const cardOf = (publicId: string): Locator => page.locator('.channel', { hasText: publicId });

let added: { id: string; publicId: string; secret: string };

describe('website chats on the channels screen', () => {
  it('lists the existing chat with its public id, its site and its snippet', async () => {
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
    const card = cardOf(world.publicId);
    await card.getByText(world.site).waitFor();
    expect(await card.getByLabel('Snippet').inputValue()).toContain(`data-parley-widget="${world.publicId}"`);
    await expectAccessible();
  });

  it('adds a chat by keyboard, naming a bad address beside its field, then shows the snippet and the secret once', async () => {
    const section = page.getByRole('region', { name: 'Add a website chat' });
    const origins = section.getByLabel('Your site’s addresses');
    await origins.focus();
    await page.keyboard.type('shop.example');
    await section.getByLabel('Greeting').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Welcome to the second shop!');
    // Tab to the button and press it, as a keyboard user would.
    await section.getByRole('button', { name: 'Add website chat' }).focus();
    await page.keyboard.press('Enter');
    await section
      .locator('#new-widget-allowed_origins-error')
      .filter({ hasText: '"shop.example" is not an origin like https://shop.example.' })
      .waitFor();
    // The field in error has the focus, so its message is read out.
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('new-widget-allowed_origins');
    expect(await origins.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible();

    await page.keyboard.press('Control+A');
    await page.keyboard.type(world.otherSite);
    await section.getByRole('button', { name: 'Add website chat' }).focus();
    await page.keyboard.press('Enter');
    await section.getByRole('heading', { name: 'Your website chat is ready' }).waitFor();
    const snippet = await section.getByLabel('Snippet').inputValue();
    const secret = await section.getByLabel('Widget secret').inputValue();
    expect(secret).toMatch(/^wsec_[\w-]{32}$/);
    await section.getByText('Shown only now').waitFor();
    // The snippet has the focus: the form it replaced had it.
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('new-widget-snippet');
    await section.getByRole('button', { name: 'Copy snippet' }).click();
    await section.getByRole('status').filter({ hasText: 'Copied.' }).first().waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(snippet);
    await section.getByRole('button', { name: 'Copy secret' }).click();
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    await shots('channels-widget-created');
    await expectAccessible();

    const mine = (await channels()).find((channel) => channel.widget?.settings.allowed_origins[0] === world.otherSite);
    expect(mine?.widget?.settings.greeting).toBe('Welcome to the second shop!');
    const publicId = mine!.widget!.public_id;
    expect(snippet).toContain(`data-parley-widget="${publicId}"`);
    added = { id: mine!.id, publicId, secret };
    expect((await verifiedVisitor(publicId, world.otherSite, secret)).json.visitor?.verified).toBe(true);

    // Done: the secret is gone from the page, and the form is empty for another chat.
    await section.getByRole('button', { name: 'Done, I have kept the secret' }).click();
    expect(await origins.inputValue()).toBe('');
    expect(await page.locator('body').innerText()).not.toContain(secret);
    await cardOf(publicId).getByText(world.otherSite).waitFor();
  });

  it('changes the sites a chat appears on, and says so', async () => {
    const card = cardOf(added.publicId);
    const edit = card.getByRole('button', { name: /^Edit the settings of/ });
    await edit.focus();
    await page.keyboard.press('Enter');
    expect(await edit.getAttribute('aria-expanded')).toBe('true');
    const origins = card.getByLabel('Your site’s addresses');
    expect(await origins.inputValue()).toBe(world.otherSite);
    await origins.focus();
    await page.keyboard.press('End');
    await page.keyboard.type('\nhttps://second-shop.example');
    await card.getByLabel('AI answers per conversation for visitors who are not signed in').fill('3');
    await shots('channels-widget-edit');
    await expectAccessible();
    await card.getByRole('button', { name: 'Save settings' }).click();
    await card.getByRole('status').filter({ hasText: 'Settings saved' }).waitFor();
    await card.getByText('https://second-shop.example').waitFor();
    // The editor closed; the focus is back on its button.
    await expect.poll(() => edit.getAttribute('aria-expanded')).toBe('false');
    await expect.poll(() => page.locator(':focus').getAttribute('aria-label')).toMatch(/^Edit the settings of/);

    const mine = (await channels()).find((channel) => channel.id === added.id);
    expect(mine?.widget?.settings).toMatchObject({
      allowed_origins: [world.otherSite, 'https://second-shop.example'],
      unverified_ai_replies: 3,
      greeting: 'Welcome to the second shop!',
    });
  });

  it('rotates the secret only after a confirmation; hashes made with the old one are refused', async () => {
    const card = cardOf(added.publicId);
    const rotate = card.getByRole('button', { name: /^Rotate the secret of/ });
    await rotate.click();
    const dialog = page.getByRole('dialog', { name: /^Rotate the secret of/ });
    await dialog.waitFor();
    // Cancel has the focus: Enter by mistake keeps the secret.
    expect(await page.locator(':focus').textContent()).toBe('Cancel');
    await expectAccessible();
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect((await verifiedVisitor(added.publicId, world.otherSite, added.secret)).status).toBe(201);

    await rotate.click();
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const shown = card.getByLabel('Widget secret');
    await shown.waitFor();
    const secret = await shown.inputValue();
    expect(secret).toMatch(/^wsec_/);
    expect(secret).not.toBe(added.secret);
    await card.getByText('Shown only now').waitFor();
    await expectAccessible();
    const old = await verifiedVisitor(added.publicId, world.otherSite, added.secret);
    expect(old).toMatchObject({ status: 401, json: { code: 'identity_invalid' } });
    expect((await verifiedVisitor(added.publicId, world.otherSite, secret)).json.visitor?.verified).toBe(true);
    await card.getByRole('button', { name: 'Done, I have kept the secret' }).click();
    expect(await card.getByLabel('Widget secret').count()).toBe(0);
  });
});

describe('an agent typing to a website visitor', () => {
  it('shows the visitor “Our team is typing…” while the agent writes, and stops when the box empties', async () => {
    const visitor = await browser.context.newPage();
    visitor.setDefaultTimeout(10_000);
    world.gemini.enqueue({ text: 'Yes, until six.' });
    await visitor.goto(world.site);
    await visitor.getByRole('button', { name: /^Chat with Bakery Rossi/ }).click();
    const messageBox = visitor.getByRole('textbox', { name: 'Your message' });
    await messageBox.fill('Are you open today?');
    await messageBox.press('Enter');
    await visitor.getByText('Yes, until six.').waitFor();

    await page.getByRole('link', { name: 'Inbox', exact: true }).click();
    await page.getByRole('link', { name: /Yes, until six/ }).click();
    const reply = page.getByRole('textbox', { name: 'Your reply' });
    // The thread knows its conversation is a website chat once loaded: only then is the visitor told.
    await page.locator('.thread-meta').getByText('Website', { exact: true }).waitFor();
    await reply.focus();
    await page.keyboard.type('Let me check');
    await visitor.getByText('Our team is typing…').waitFor();
    await reply.fill('');
    await expect.poll(() => visitor.getByText('Our team is typing…').count()).toBe(0);
    await visitor.close();
  });
});
