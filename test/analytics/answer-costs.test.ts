import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telegramTextUpdate } from '../fakes/telegram.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';

/**
 * What an answer costs a business, from a scripted day on Telegram: the
 * emulator reports known token counts, one customer sends a burst of three,
 * one is taken over by a person, one writes while the shop is closed.
 */
const BOT_TOKEN = '555000333:AAEcostBotTokenForTheCostOfAnswers0000';
const MODEL = 'gemini-flash-latest';
// USD per million tokens: a prompt token costs 1 µUSD, an answer token 10.
const PRICES = JSON.stringify({ [MODEL]: { input: 1, output: 10, cached: 0.1 } });

let t: TelegramTestApp;
let token: string;
let updateId = 9000;
let messageId = 0;

interface Spread {
  count: number;
  mean_tokens: number | null;
  p95_tokens: number | null;
  mean_cost_usd: number | null;
  p95_cost_usd: number | null;
  unpriced: number;
}
interface AnswerCosts {
  per_reply: Spread;
  per_ai_conversation: Spread;
  model_calls_avoided: {
    coalesced: number;
    takeovers: number;
    closed_hours: number;
    total: number;
    by_reason: Record<string, number>;
  };
}

const say = (chat: number, text: string) =>
  t.telegram.deliver(
    BOT_TOKEN,
    telegramTextUpdate({ updateId: updateId++, messageId: (messageId += 1000), chatId: chat, text, firstName: 'Ana' }),
  );
const sentTo = (chat: number) => t.telegram.sent(BOT_TOKEN).filter((m) => String(m.chat_id) === String(chat));
const answered = (chat: number, replies: number) => until(() => (sentTo(chat).length >= replies ? true : undefined));
const reply = (text: string, prompt: number, answer: number) => ({
  text,
  usage: { promptTokenCount: prompt, candidatesTokenCount: answer },
});

async function conversationOf(chat: number): Promise<string> {
  const response = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?channel=telegram' });
  const found = response
    .json<{ results: { id: string; customer_id: string }[] }>()
    .results.find((c) => c.customer_id === String(chat));
  if (!found) throw new Error(`no conversation with ${chat}`);
  return found.id;
}

async function costsFrom(url: string, as = token): Promise<AnswerCosts> {
  const response = await t.as(as, { method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ answer_costs: AnswerCosts }>().answer_costs;
}

beforeAll(async () => {
  t = await createTelegramTestApp(
    { token: BOT_TOKEN, id: 555000333, username: 'cost_bot' },
    { PARLEY_MODEL_PRICES: PRICES, GEMINI_RETRIES: '0' },
  );
  token = await t.telegramBusiness('bakery', { reply_debounce_ms: 400 });

  // 201: a burst of three, answered by one reply of 100 + 20 tokens.
  t.gemini.enqueue(reply('We open at 7, have croissants, and deliver.', 100, 20));
  await Promise.all([say(201, 'open when?'), say(201, 'croissants?'), say(201, 'delivery?')]);
  await answered(201, 1);

  // 202: answered (200 + 40), then a person takes over; the next message never reaches the model.
  t.gemini.enqueue(reply('Hello!', 200, 40));
  await say(202, 'hi');
  await answered(202, 1);
  const taken = await t.as(token, {
    method: 'PUT',
    url: `/api/v1/ai/conversations/${await conversationOf(202)}/status/`,
    payload: { status: 'support_active' },
  });
  expect(taken.statusCode).toBe(200);
  await say(202, 'is a person there?');

  // 203: two turns answered by the AI alone: 300 + 60, then 400 + 100.
  t.gemini.enqueue(reply('Yes, gluten-free too.', 300, 60));
  await say(203, 'gluten-free bread?');
  await answered(203, 1);
  t.gemini.enqueue(reply('Until 19:00.', 400, 100));
  await say(203, 'until when?');
  await answered(203, 2);

  // 204 writes while the shop is closed: the away message answers, not the model.
  const closed = await t.as(token, {
    method: 'PUT',
    url: '/api/v1/ai/config/',
    payload: {
      business_hours_enabled: true,
      business_hours: { timezone: 'Europe/Lisbon', schedule: {} },
      away_message: 'We are closed; we answer from 9.',
    },
  });
  expect(closed.statusCode, closed.body).toBe(200);
  await say(204, 'open now?');
  await answered(204, 1);

  // 205 writes while the AI is switched off: the conversation waits for the AI, and the reason is kept.
  const off = await t.as(token, {
    method: 'PUT',
    url: '/api/v1/ai/config/',
    payload: { auto_response_enabled: false, business_hours_enabled: false },
  });
  expect(off.statusCode, off.body).toBe(200);
  await say(205, 'anyone there?');
});
afterAll(() => t.close());

const EXPECTED: AnswerCosts = {
  // Replies of 120, 240, 360 and 500 tokens, costing 300, 600, 900 and 1,400 µUSD.
  per_reply: {
    count: 4,
    mean_tokens: 305,
    p95_tokens: 500,
    mean_cost_usd: 0.0008,
    p95_cost_usd: 0.0014,
    unpriced: 0,
  },
  // 201 (120 tokens, 300 µUSD) and 203 (860 tokens, 2,300 µUSD); 202 had a person, 204 and 205 no model reply.
  per_ai_conversation: {
    count: 2,
    mean_tokens: 490,
    p95_tokens: 860,
    mean_cost_usd: 0.0013,
    p95_cost_usd: 0.0023,
    unpriced: 0,
  },
  model_calls_avoided: {
    coalesced: 2,
    takeovers: 1,
    closed_hours: 1,
    total: 5,
    by_reason: { coalesced: 2, manual_handling: 1, outside_business_hours: 1, ai_disabled: 1 },
  },
};

describe('the cost of an answered conversation', () => {
  it('is in the analytics report: per reply, per AI-only conversation, and the model calls avoided', async () => {
    expect(t.gemini.requests.filter((r) => r.method.includes('enerateContent'))).toHaveLength(4);
    expect(await costsFrom('/api/v1/ai/analytics/?days=7')).toEqual(EXPECTED);
  });

  it('is the same in the usage report, and in the operator’s view across businesses', async () => {
    expect(await costsFrom('/api/v1/ai/usage/stats/?days=7')).toEqual(EXPECTED);
    const operator = await t.signUp('operator', { isAdmin: true });
    expect(await costsFrom('/api/v1/ai/usage/global/?days=7', operator)).toEqual(EXPECTED);
  });

  it('is empty, not zero-cost, for a business without replies', async () => {
    const quiet = await t.business('quiet');
    expect(await costsFrom('/api/v1/ai/usage/stats/', quiet)).toEqual({
      per_reply: {
        count: 0,
        mean_tokens: null,
        p95_tokens: null,
        mean_cost_usd: null,
        p95_cost_usd: null,
        unpriced: 0,
      },
      per_ai_conversation: {
        count: 0,
        mean_tokens: null,
        p95_tokens: null,
        mean_cost_usd: null,
        p95_cost_usd: null,
        unpriced: 0,
      },
      model_calls_avoided: { coalesced: 0, takeovers: 0, closed_hours: 0, total: 0, by_reason: {} },
    });
  });
});
