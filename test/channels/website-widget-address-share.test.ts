import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { createWidget, widgetClient, type CreatedWidget } from '../helpers/widget.js';
import { until } from '../helpers/wait.js';

/**
 * One address flooding a widget left at its defaults (no `unverified_ai_replies`): its unverified
 * visitors' AI answers stop at 5% of the business's daily token cap, counted at each call's worst
 * case, however many visitors it starts; another address is not held back by it.
 */
const DAILY_CAP = 100_000;
const HANDOVER = 'A colleague will answer you here shortly.';
const KNOWLEDGE = Array.from({ length: 10 }, (_, i) => `Fact ${i + 1}: our cakes are baked daily from 7 am.`).join(
  '\n',
);

let t: AiTestApp;
let owner: string;
let widget: CreatedWidget;

interface History {
  messages: { author: string; text: string }[];
  handled_by: string;
}

beforeAll(async () => {
  t = await createAiTestApp({ PARLEY_DEFAULT_DAILY_TOKENS: String(DAILY_CAP), GEMINI_TIMEOUT_MS: '10000' });
  owner = await t.business('patisserie', {
    prompts: { knowledge_source: KNOWLEDGE },
    handover_message: HANDOVER,
    reply_debounce_ms: 1,
  });
  widget = await createWidget(t, owner);
});
afterAll(() => t.close());

/** A new visitor from `address` writes once and waits for the AI's answer or for people. */
async function oneVisitorWrites(address: string, n: number): Promise<History> {
  const client = widgetClient(t, widget.publicId);
  expect((await client.start({}, address)).statusCode).toBe(201);
  expect((await client.send(`Is there a cake for ${n}?`, `c-${n}`)).statusCode).toBe(202);
  return until(async () => {
    const history = (await client.history()).json<History>();
    const answered = history.messages.some((m) => m.author === 'ai');
    return answered ? history : undefined;
  }, 20_000);
}

const usedToday = async () =>
  (await t.as(owner, { method: 'GET', url: '/api/v1/ai/usage/stats/' })).json<{ quota: { used_today: number } }>().quota
    .used_today;

describe("one address's share of the daily cap", () => {
  it('answers its visitors until the share is spent, then hands each new one to people', async () => {
    const ends: History[] = [];
    for (let n = 0; n < 12; n++) ends.push(await oneVisitorWrites('192.0.2.44', n));
    const answered = ends.filter((end) => end.handled_by === 'ai');
    const handedOver = ends.filter((end) => end.handled_by === 'people');
    // Each call's worst case (the prompt, the question, 1,024 output tokens) is some 1,200
    // tokens, so 5,000 tokens hold a few; the rest are told a person will answer.
    expect(answered.length).toBeGreaterThanOrEqual(2);
    expect(handedOver.length).toBeGreaterThanOrEqual(6);
    for (const end of handedOver) expect(end.messages.at(-1)).toMatchObject({ author: 'ai', text: HANDOVER });
    expect(ends.findIndex((end) => end.handled_by === 'people')).toBe(answered.length);
    expect(await usedToday()).toBeLessThanOrEqual(0.05 * DAILY_CAP);
    const limited = t.published.filter(
      ({ event }) => event.type === 'conversation.status_changed' && event.data.reason === 'customer_rate_limited',
    );
    expect(limited).toHaveLength(handedOver.length);
  }, 120_000);

  it('leaves another address its own share', async () => {
    const end = await oneVisitorWrites('198.51.100.9', 100);
    expect(end.handled_by).toBe('ai');
    expect(end.messages.filter((m) => m.author === 'ai')).toHaveLength(1);
  });
});
