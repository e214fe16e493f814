import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from './browser.js';
import { inWidget, startWidgetSite } from './widget-setup.js';

// What the business's settings change in the widget a visitor meets: the corner it sits in, and
// the away message outside business hours.

let world: Awaited<ReturnType<typeof startWidgetSite>>;
const browsers: TestBrowser[] = [];
const VIEWPORT_WIDTH = 1280;

beforeAll(async () => {
  world = await startWidgetSite('look');
});

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await world?.close();
});

async function visit(): Promise<Page> {
  const browser = await launchBrowser(world.site);
  browsers.push(browser);
  browser.page.setDefaultTimeout(10_000);
  await browser.page.goto('/');
  return browser.page;
}

const launcher = (page: Page) => page.getByRole('button', { name: /^Chat with Bakery Rossi/ });

async function boxes(page: Page) {
  // Measured before the click: under the mouse the launcher grows a little.
  const button = await launcher(page).boundingBox();
  await launcher(page).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const panel = await dialog.boundingBox();
  if (!button || !panel) throw new Error('The launcher or the panel has no box');
  return { button, panel };
}

describe("the widget as the business's settings make it", () => {
  it('sits in the bottom right corner by default, and in the left one with position "left"', async () => {
    const right = await boxes(await visit());
    expect(right.button.x + right.button.width).toBe(VIEWPORT_WIDTH - 20);
    expect(right.panel.x + right.panel.width).toBe(VIEWPORT_WIDTH - 20);

    await world.api('PATCH', `/api/v1/channels/${world.channelId}/`, { position: 'left' });
    const left = await boxes(await visit());
    expect(left.button.x).toBe(20);
    expect(left.panel.x).toBe(20);
    // Still at the bottom, the panel above the launcher.
    expect(left.button.y).toBe(right.button.y);
    expect(left.panel.y + left.panel.height).toBeLessThanOrEqual(left.button.y);
  });

  it('greets with the away message outside business hours, and answers with it instead of the AI', async () => {
    const AWAY = 'We are closed right now: we will answer when we open.';
    // Open only on the day after tomorrow (UTC): closed now, whatever the time of day.
    const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const openDay = weekdays[(new Date().getUTCDay() + 2) % 7]!;
    await world.api('PATCH', '/api/v1/ai/config/', {
      business_hours_enabled: true,
      business_hours: { timezone: 'UTC', schedule: { [openDay]: [['09:00', '17:00']] } },
      away_message: AWAY,
    });
    const settings = await fetch(`${world.parleyUrl}/api/v1/widget/${world.publicId}/settings/`, {
      headers: { origin: world.site },
    });
    expect(await settings.json()).toMatchObject({ open_now: false, away_message: AWAY });

    const page = await visit();
    await launcher(page).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('We are away: leave a message').waitFor();
    expect(await inWidget<string>(page, `root.querySelector('.greeting').textContent`)).toBe(AWAY);

    const asked = world.gemini.requests.length;
    const box = page.getByRole('textbox', { name: 'Your message' });
    await box.fill('Can I still order for tomorrow?');
    await box.press('Enter');
    await expect
      .poll(
        () =>
          inWidget<string[]>(
            page,
            `[...root.querySelectorAll('.msg:not(.greeting)')].map((m) => m.childNodes[1].textContent)`,
          ),
        { timeout: 15_000 },
      )
      .toEqual(['Can I still order for tomorrow?', AWAY]);
    // The model was not asked.
    expect(world.gemini.requests.slice(asked).filter((request) => request.method !== 'get')).toEqual([]);
  });
});
