import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { GeminiFake } from '../fakes/gemini.js';
import { focused, screenshots, startSignedIn, tabTo } from './ai-setup.js';
import { accessibilityProblems } from './browser.js';

/**
 * The AI screens (issue #14) in a real browser against a real `parley serve` whose model is the
 * Gemini fake: settings, prompts with the FAQ editor, and "Try it".
 */
let started: Awaited<ReturnType<typeof startSignedIn>>;
let gemini: GeminiFake;
let page: Page;

const INSTRUCTIONS = "You are the friendly assistant of Rosa's Bakery in Lisbon.";
const FAQ = [
  'Prices valid for 2026.',
  '',
  'Q: Are you open on Sunday?',
  'A: No, we are closed on Sundays.',
  'Q: Do you deliver?',
  'A: Yes, within 3 km.',
].join('\n');

interface GenerateBody {
  systemInstruction: { parts: { text: string }[] };
  contents: { role: string; parts: { text: string }[] }[];
}
const lastModelCall = () =>
  gemini.requests.filter((request) => request.method === 'streamGenerateContent').at(-1)?.body as GenerateBody;

const api = <T>(path: string) => started.api<T>(path);

/** A text area or input by its accessible name (a region may carry the same name). */
const textbox = (name: string) => page.getByRole('textbox', { name, exact: true });

async function expectAccessible(): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
}

beforeAll(async () => {
  started = await startSignedIn({ username: 'rosa', password: 'correct horse' }, '/ai/prompts');
  ({ gemini, page } = started);
}, 120_000);

afterAll(() => started?.close());

describe('the AI screens', () => {
  it('edit the prompts, the FAQ as pairs or as text, and save them as the same text', async () => {
    await textbox('Instructions').fill(INSTRUCTIONS);
    await page.getByText(`${INSTRUCTIONS.length} of 20,000 characters`).waitFor();
    await page.getByRole('button', { name: 'As text' }).click();
    await textbox('Frequently asked questions').fill(FAQ);

    await page.getByRole('button', { name: 'As questions and answers' }).click();
    // The text that is no question and answer is kept, in its place.
    expect(await textbox('Item 1: other text, kept as written').inputValue()).toBe('Prices valid for 2026.');
    expect(await textbox('Question 2').inputValue()).toBe('Are you open on Sunday?');
    expect(await textbox('Answer 3').inputValue()).toBe('Yes, within 3 km.');
    await textbox('Answer 3').fill('Yes, within 3 km, for orders over 15 EUR.');
    await page.getByRole('button', { name: 'Add a question' }).click();
    await textbox('Question 4').fill('Gluten-free bread?');
    await textbox('Answer 4').fill('On Wednesdays.');
    await page.getByRole('button', { name: 'Move item 4 up' }).click();
    await screenshots(page, 'ai-prompts');
    await screenshots(page, 'ai-prompts-faq', page.getByRole('button', { name: 'Add a question' }));
    await expectAccessible();

    const expected = [
      'Prices valid for 2026.',
      '',
      'Q: Are you open on Sunday?',
      'A: No, we are closed on Sundays.',
      'Q: Gluten-free bread?',
      'A: On Wednesdays.',
      'Q: Do you deliver?',
      'A: Yes, within 3 km, for orders over 15 EUR.',
    ].join('\n');
    await page.getByRole('button', { name: 'As text' }).click();
    expect(await textbox('Frequently asked questions').inputValue()).toBe(expected);
    await page.getByRole('button', { name: 'Save prompts' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const config = await api<{ prompts: Record<string, string> }>('/api/v1/ai/config/');
    expect(config.prompts).toEqual({
      manual_prompt: INSTRUCTIONS,
      knowledge_source: '',
      product_service: '',
      question_answer: expected,
    });
  });

  it('answers a question in Try it with the new prompts, and says why real customers would not get it', async () => {
    await page.getByRole('link', { name: 'Try it' }).click();
    await page.getByRole('heading', { name: 'Try it' }).waitFor();
    // Auto-response is off: real customers get no answer, the owner's test does.
    await page.getByText('Real customers now: No: auto-response is off').waitFor();
    gemini.enqueue({ text: 'No, we are closed on Sundays.' });
    await textbox('Your question').fill('Are you open on Sunday?');
    await textbox('Your question').press('Enter');
    await page.locator('.msg--AI', { hasText: 'No, we are closed on Sundays.' }).waitFor();
    const why = page.getByRole('status').filter({ hasText: 'Answered by the AI' });
    await why.getByText('A real customer writing now would not get this answer.').waitFor();
    const sent = lastModelCall();
    expect(sent.systemInstruction.parts[0]?.text).toContain(INSTRUCTIONS);
    expect(sent.systemInstruction.parts[0]?.text).toContain('Q: Gluten-free bread?\nA: On Wednesdays.');

    // A question that calls for a person: no answer, and why, in words.
    gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'customer_request' } } });
    await textbox('Your question').fill('Can I talk to a person?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.getByRole('status').filter({ hasText: 'No AI answer: The AI passed this to your people' }).waitFor();
    // The conversation so far stays in the panel; the model saw it too.
    expect(lastModelCall().contents.map((turn) => turn.parts[0]?.text)).toEqual([
      'Are you open on Sunday?',
      'No, we are closed on Sundays.',
      'Can I talk to a person?',
    ]);
    expect(await page.locator('.try-messages .msg--customer').allTextContents()).toEqual([
      expect.stringContaining('Are you open on Sunday?'),
      expect.stringContaining('Can I talk to a person?'),
    ]);
    await screenshots(page, 'ai-try');
    await expectAccessible();

    // Not a customer's conversation: not in the inbox or the statistics; in the usage, yes.
    expect((await api<{ count: number }>('/api/v1/conversations/')).count).toBe(0);
    expect((await api<{ totals: { conversations: number } }>('/api/v1/ai/analytics/')).totals.conversations).toBe(0);
    expect((await api<{ totals: { requests: number } }>('/api/v1/ai/usage/stats/')).totals.requests).toBe(2);

    await page.getByRole('button', { name: 'Start over' }).click();
    await page.getByText('No questions yet.').waitFor();
    expect(await page.locator('.try-messages .msg').count()).toBe(0);
  });

  it('shows the API’s validation error beside its field, and warns before unsaved changes are lost', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'AI settings' }).waitFor();
    await page.getByText('No: auto-response is off').waitFor();
    await page.getByLabel('Temperature').fill('3');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const field = page.locator('.field--invalid', { has: page.getByLabel('Temperature') });
    await field.getByText('Between 0.0 and 1.0.').waitFor();
    expect(await page.getByLabel('Temperature').getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('alert').filter({ hasText: 'Some fields need a change.' }).waitFor();
    await screenshots(page, 'ai-settings-error', page.getByLabel('Temperature'));

    // Leaving with unsaved changes asks first; staying keeps them.
    const warnings: string[] = [];
    page.once('dialog', (dialog) => {
      warnings.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('link', { name: 'Prompts' }).click();
    await expect.poll(() => warnings).toEqual(['Your AI settings are not saved. Leave without saving them?']);
    expect(new URL(page.url()).pathname).toBe('/ai');
    expect(await page.getByLabel('Temperature').inputValue()).toBe('3');

    await page.getByLabel('Temperature').fill('0.3');
    await page.getByLabel('Auto-response: the AI answers customers').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.getByText('Yes: the AI answers new conversations.').waitFor();
    expect(await api('/api/v1/ai/config/')).toMatchObject({ temperature: 0.3, auto_response_enabled: true });

    // The thinking budget has its range checked by the server, for the model in use.
    const thinking = page.getByLabel('Thinking before answering (tokens)');
    await thinking.fill('99999');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.field--invalid', { has: thinking }).waitFor();
    expect(await thinking.getAttribute('aria-invalid')).toBe('true');
    await thinking.fill('256');
    await page.getByLabel('Too many messages').fill('You have written a lot today: our team will answer you here.');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await api('/api/v1/ai/config/')).toMatchObject({
      thinking_budget: 256,
      thinking_budget_in_use: 256,
      customer_limit_message: 'You have written a lot today: our team will answer you here.',
    });
    await expectAccessible();
    await screenshots(page, 'ai-settings');
  });

  it('works by keyboard alone: settings, the FAQ editor, and a question in Try it', async () => {
    await page.goto('/ai');
    await page.getByRole('heading', { name: 'AI settings' }).waitFor();
    // A radio group is one stop for Tab; the arrow keys choose inside it.
    await tabTo(page, /^The AI — /);
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toMatch(/^Your people \(Manual\) — /);
    await tabTo(page, 'Save settings');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.getByText('No: new conversations go to your people first').waitFor();
    expect(await api('/api/v1/ai/default-handler/')).toEqual({ default_reply_handler: 'Manual' });

    await page.goto('/ai');
    await tabTo(page, 'Prompts');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Prompts' }).waitFor();
    await tabTo(page, 'As questions and answers');
    await page.keyboard.press('Enter');
    await tabTo(page, 'Add a question');
    await page.keyboard.press('Enter');
    // The new question has the focus.
    await expect.poll(() => focused(page)).toBe('Question 5');
    await page.keyboard.type('Do you sell coffee?');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Yes, from 7:00.');
    await tabTo(page, 'Save prompts');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await api<{ prompts: { question_answer: string } }>('/api/v1/ai/config/')).prompts.question_answer).toMatch(
      /\nQ: Do you sell coffee\?\nA: Yes, from 7:00\.$/,
    );

    await page.goto('/ai/prompts');
    await tabTo(page, 'Try it');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Try it' }).waitFor();
    await tabTo(page, 'Your question');
    gemini.enqueue({ text: 'Yes, coffee from 7:00.' });
    await page.keyboard.type('Coffee?');
    await page.keyboard.press('Enter');
    await page.locator('.msg--AI', { hasText: 'Yes, coffee from 7:00.' }).waitFor();
    await page.getByText('Real customers now: No: new conversations go to your people first').waitFor();
    await tabTo(page, 'Start over');
    await page.keyboard.press('Enter');
    await page.getByText('No questions yet.').waitFor();
    await expect.poll(() => focused(page)).toBe('Your question');
  });
});
