import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { accessibilityProblems, launchBrowser, screenshot, type TestBrowser } from './browser.js';
import { focusedInWidget, inWidget, startWidgetSite } from './widget-setup.js';

// The widget on sites and browsers that do not make it easy: cookies blocked, a hostile stylesheet,
// a strict Content-Security-Policy, a site the business did not allow, a visitor without a mouse.

let world: Awaited<ReturnType<typeof startWidgetSite>>;
const browsers: TestBrowser[] = [];

beforeAll(async () => {
  // Two messages a minute per visitor: enough for each test's one, and a third shows the limit.
  world = await startWidgetSite('safety', { PARLEY_WIDGET_MESSAGES_PER_MINUTE: '2' });
});

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await world?.close();
});

async function visit(path: string, options: { blockCookies?: boolean } = {}): Promise<Page> {
  const browser = await launchBrowser(world.site, options);
  browsers.push(browser);
  browser.page.setDefaultTimeout(10_000);
  await browser.page.goto(path);
  return browser.page;
}

async function chat(page: Page, question: string, answer: string): Promise<void> {
  world.gemini.enqueue({ text: answer });
  await page.getByRole('button', { name: /^Chat with Bakery Rossi/ }).click();
  const box = page.getByRole('textbox', { name: 'Your message' });
  await box.fill(question);
  await box.press('Enter');
  await page.getByRole('log').getByText(answer).waitFor();
}

describe('the website widget where it is hard', () => {
  it('works with every cookie blocked (and so localStorage), keeping the conversation in the page', async () => {
    const page = await visit('/', { blockCookies: true });
    expect(
      await page.evaluate<string>(
        `(() => { try { return String(localStorage.length); } catch (e) { return e.name; } })()`,
      ),
    ).toBe('SecurityError');
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await chat(page, 'Are you open on Sunday?', 'No, we are closed on Sundays.');
    expect(errors).toEqual([]);
  });

  it('looks and works the same under a stylesheet that restyles everything it can reach', async () => {
    const page = await visit('/?hostile');
    await chat(page, 'Do you have gluten-free bread?', 'Yes, on Fridays.');
    const looks = await inWidget<Record<string, string>>(
      page,
      `(() => {
        const style = (selector) => getComputedStyle(root.querySelector(selector));
        const host = getComputedStyle(document.querySelector('parley-widget'));
        return { display: host.display, position: host.position, opacity: host.opacity, transform: host.transform,
          launcher: style('.launcher').backgroundColor, size: style('.launcher').width,
          font: style('textarea').fontSize, family: style('.log').fontFamily, panel: style('.panel').display };
      })()`,
    );
    expect(looks).toEqual({
      display: 'block',
      position: 'fixed',
      opacity: '1',
      transform: 'none',
      launcher: 'rgb(180, 83, 9)',
      size: '56px',
      font: '16px',
      family: expect.stringMatching(/^system-ui/),
      panel: 'flex',
    });
    // The page itself did take the hostile styles.
    expect(await page.evaluate<string>(`getComputedStyle(document.querySelector('h1')).color`)).toBe('rgb(0, 255, 0)');
    await screenshot(page, 'widget-hostile');
  });

  it('works under a strict Content-Security-Policy without unsafe-inline', async () => {
    const page = await visit('/?csp');
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    await chat(page, 'Can I order a cake?', 'Yes, two days ahead.');
    expect(violations).toEqual([]);
    // Styled by its adopted stylesheets, not by a <style> element or attribute.
    expect(await inWidget<number>(page, `root.querySelectorAll('style, [style]').length`)).toBe(0);
    expect(await inWidget<string>(page, `getComputedStyle(root.querySelector('.launcher')).backgroundColor`)).toBe(
      'rgb(180, 83, 9)',
    );
  });

  it('shows nothing on a site the business did not allow, and the API refuses it', async () => {
    const browser = await launchBrowser(world.otherSite);
    browsers.push(browser);
    const asked = browser.page.waitForRequest((request) => request.url().includes('/settings/'));
    await browser.page.goto('/');
    await asked;
    await browser.page.waitForLoadState('networkidle');
    await browser.page.getByRole('heading', { name: 'Bakery Rossi' }).waitFor();
    expect(await browser.page.locator('parley-widget').count()).toBe(0);
    const direct = await fetch(`${world.parleyUrl}/api/v1/widget/${world.publicId}/settings/`, {
      headers: { origin: world.otherSite },
    });
    expect(direct.status).toBe(403);
    expect(((await direct.json()) as { code: string }).code).toBe('origin_not_allowed');
  });

  it('is usable with the keyboard alone: Tab to it, Enter opens, Enter sends, Esc closes and returns focus', async () => {
    const page = await visit('/');
    await page.getByRole('button', { name: /^Chat with Bakery Rossi/ }).waitFor();
    let presses = 0;
    while ((await focusedInWidget(page)) !== 'Chat with Bakery Rossi' && presses++ < 10)
      await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => focusedInWidget(page)).toBe('Your message');
    world.gemini.enqueue({ text: 'We open at 7.' });
    await page.keyboard.type('When do you open?');
    await page.keyboard.press('Enter');
    await page.getByRole('log').getByText('We open at 7.').waitFor();
    const input = await inWidget<string>(page, `getComputedStyle(root.querySelector('textarea')).fontSize`);
    expect(input).toBe('16px');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.keyboard.press('Escape');
    expect(await page.getByRole('dialog').isVisible()).toBe(false);
    expect(await focusedInWidget(page)).toBe('Chat with Bakery Rossi');
    expect(await page.getByRole('button', { name: 'Chat with Bakery Rossi' }).getAttribute('aria-expanded')).toBe(
      'false',
    );
  });

  it('fills the screen on a narrow phone', async () => {
    const page = await visit('/');
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole('button', { name: /^Chat with Bakery Rossi/ }).click();
    const box = await page.getByRole('dialog').boundingBox();
    expect(box).toEqual({ x: 0, y: 0, width: 360, height: 740 });
    await screenshot(page, 'widget-phone');
  });

  it('says politely how long to wait when the visitor sends too fast, and gives the message back', async () => {
    const page = await visit('/');
    await chat(page, 'One loaf, please.', 'Noted.');
    const box = page.getByRole('textbox', { name: 'Your message' });
    const limited = page.getByRole('status').filter({
      hasText: /^You're sending messages faster than we can take them\. Please try again in \d+ seconds\.$/,
    });
    const answers = () => inWidget<number>(page, `root.querySelectorAll('.msg.from-ai').length`);
    // The limit counts per minute of the clock, and a minute may end between two sends: so the visitor
    // sends until refused. The test spans at most two such minutes, two messages each, the first one's
    // included: the fourth send here is refused at the latest.
    let text = '';
    for (let send = 1; send <= 4 && !(await limited.isVisible()); send++) {
      const before = await answers();
      text = `And ${send} croissants.`;
      await box.fill(text);
      await box.press('Enter');
      // Refused, or taken and answered (the fake's own reply) before the next test scripts one.
      await expect
        .poll(async () => (await limited.isVisible()) || (await answers()) > before, { timeout: 10_000 })
        .toBe(true);
    }
    await limited.waitFor();
    expect(await box.inputValue()).toBe(text);
    expect(await page.getByRole('log').getByText(text).count()).toBe(0);
  });

  it('asks for a name first when the business wants one, and the inbox shows it', async () => {
    await world.api('PATCH', `/api/v1/channels/${world.channelId}/`, { ask_identity: 'name' });
    const page = await visit('/');
    await page.getByRole('button', { name: /^Chat with Bakery Rossi/ }).click();
    await expect.poll(() => focusedInWidget(page)).toBe('Your name');
    expect(await page.getByRole('textbox', { name: 'Your message' }).count()).toBe(0);
    await page.keyboard.type('Giulia');
    await page.keyboard.press('Enter');
    await expect.poll(() => focusedInWidget(page)).toBe('Your message');
    world.gemini.enqueue({ text: 'Hello Giulia!' });
    await page.keyboard.type('Hi!');
    await page.keyboard.press('Enter');
    await page.getByRole('log').getByText('Hello Giulia!').waitFor();
    const inbox = await world.api<{ results: { customer_name: string }[] }>(
      'GET',
      '/api/v1/conversations/?channel=website',
    );
    expect(inbox.results.map((row) => row.customer_name)).toContain('Giulia');
  });
});
