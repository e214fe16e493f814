import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations, handovers, messages } from '../../src/db/schema/index.js';
import { telegramTextUpdate, type TelegramFake } from '../fakes/telegram.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';

/**
 * One customer's share of a business's AI (issue #15): at most
 * PARLEY_CUSTOMER_REPLIES_PER_HOUR model calls an hour, then their messages
 * are stored and left for people with reason `customer_rate_limited`.
 */

const LIMIT_MESSAGE = 'You have written a lot this hour: a person from our team will answer you.';

const modelCalls = (t: AiTestApp) =>
  t.gemini.requests.filter((request) => /generatecontent$/i.test(request.method)).length;

describe('the default limit, through ask', () => {
  let t: AiTestApp;
  let token = '';

  beforeAll(async () => {
    t = await createAiTestApp();
    token = await t.business('chatty', { customer_limit_message: LIMIT_MESSAGE });
  });
  afterAll(async () => {
    await t?.close();
  });

  const ask = async (customer: string, question: string) =>
    (await t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: customer } })).json<{
      answer: string | null;
      auto_response_generated: boolean;
      reason?: string;
      session_id: string;
    }>();

  it('hands the 31st reply of an hour to people, tells the customer once, and leaves other customers alone', async () => {
    t.gemini.setResponder(() => ({ text: 'Happy to help.' }));
    for (let i = 1; i <= 30; i++) {
      expect(await ask('regular', `Question ${i}?`)).toMatchObject({ auto_response_generated: true });
    }
    expect(modelCalls(t)).toBe(30);

    const limited = await ask('regular', 'Question 31?');
    expect(limited).toMatchObject({
      answer: LIMIT_MESSAGE,
      auto_response_generated: false,
      reason: 'customer_rate_limited',
    });
    expect(modelCalls(t)).toBe(30);
    const [conversation] = await t.db.select().from(conversations).where(eq(conversations.customerId, 'regular'));
    expect(conversation?.status).toBe('support_active');
    const reasons = await t.db
      .select({ reason: handovers.reason })
      .from(handovers)
      .where(eq(handovers.conversationId, conversation!.id));
    expect(reasons).toEqual([{ reason: 'customer_rate_limited' }]);

    // Their next message is stored for people; nothing more is said.
    expect(await ask('regular', 'Question 32?')).toMatchObject({ answer: null, reason: 'manual_handling' });
    const stored = await t.db
      .select({ type: messages.type, text: messages.text })
      .from(messages)
      .where(eq(messages.conversationId, conversation!.id));
    expect(stored.filter((message) => message.type === 'customer')).toHaveLength(32);
    expect(stored.filter((message) => message.text === LIMIT_MESSAGE)).toHaveLength(1);

    // Another customer of the same business has a share of their own.
    expect(await ask('newcomer', 'Hello?')).toMatchObject({ answer: 'Happy to help.', auto_response_generated: true });
    expect(modelCalls(t)).toBe(31);
  });

  it('has its message in the AI config, with the same length rule as the other messages', async () => {
    const read = await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' });
    expect(read.json()).toMatchObject({ customer_limit_message: LIMIT_MESSAGE });
    const cleared = await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/config/',
      payload: { customer_limit_message: null },
    });
    expect(cleared.json()).toMatchObject({ customer_limit_message: null });
    const tooLong = await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/config/',
      payload: { customer_limit_message: 'x'.repeat(1_001) },
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({
      code: 'validation_error',
      errors: { customer_limit_message: [expect.any(String)] },
    });
    expect((await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' })).json()).toMatchObject({
      customer_limit_message: null,
    });
  });
});

describe('a lower limit, on Telegram', () => {
  const BOT_TOKEN = '555000333:AAEcustomerLimitBotTokenForTheTests';
  let t: TelegramTestApp;
  let telegram: TelegramFake;
  let updateId = 9000;

  beforeAll(async () => {
    t = await createTelegramTestApp(
      { token: BOT_TOKEN, id: 555000333, username: 'limit_bot' },
      { PARLEY_CUSTOMER_REPLIES_PER_HOUR: '2' },
    );
    telegram = t.telegram;
    await t.telegramBusiness('busy-bakery', { reply_debounce_ms: 400, customer_limit_message: LIMIT_MESSAGE });
    t.gemini.setResponder(() => ({ text: 'Fresh bread at seven.' }));
  });
  afterAll(async () => {
    await t?.close();
  });

  const say = (chatId: number, text: string) =>
    telegram.deliver(
      BOT_TOKEN,
      telegramTextUpdate({ updateId: updateId++, messageId: updateId * 10, chatId, text, firstName: 'Ines' }),
    );
  const sentTo = (chatId: number) =>
    telegram.sent(BOT_TOKEN).filter((message) => String(message.chat_id) === String(chatId));
  const waitForSent = (chatId: number, count: number) =>
    until(() => (sentTo(chatId).length >= count ? sentTo(chatId) : undefined), 15_000);

  it('counts a burst once, then hands the customer to people with the message said once', async () => {
    // A burst of three, answered by one reply: one of the customer's two.
    await say(41, 'Hi');
    await say(41, 'Do you have rye bread?');
    await say(41, 'And when do you open?');
    await waitForSent(41, 1);
    expect(modelCalls(t)).toBe(1);
    await say(41, 'Thanks, and sourdough?');
    await waitForSent(41, 2);
    expect(modelCalls(t)).toBe(2);

    await say(41, 'One more thing');
    const sent = await waitForSent(41, 3);
    expect(sent.map((message) => message.text)).toEqual([
      'Fresh bread at seven.',
      'Fresh bread at seven.',
      LIMIT_MESSAGE,
    ]);
    expect(modelCalls(t)).toBe(2);
    const [conversation] = await t.db.select().from(conversations).where(eq(conversations.customerId, '41'));
    expect(conversation?.status).toBe('support_active');
    const [handover] = await t.db.select().from(handovers).where(eq(handovers.conversationId, conversation!.id));
    expect(handover).toMatchObject({ source: 'system', reason: 'customer_rate_limited' });

    // Another customer is answered, and the limited one's next message waits for people, unanswered.
    await say(42, 'Open on Sunday?');
    await waitForSent(42, 1);
    await say(41, 'Hello?');
    await until(async () => {
      const rows = await t.db
        .select()
        .from(messages)
        .where(and(eq(messages.conversationId, conversation!.id), eq(messages.text, 'Hello?')));
      return rows.length === 1 ? true : undefined;
    });
    expect(modelCalls(t)).toBe(3);
    expect(sentTo(41)).toHaveLength(3);
  });
});

describe('a limit on a channel reply that is retried', () => {
  const BOT_TOKEN = '555000335:AAEcustomerLimitRetryBotTokenForTests';
  let t: TelegramTestApp;

  beforeAll(async () => {
    t = await createTelegramTestApp(
      { token: BOT_TOKEN, id: 555000335, username: 'limit_retry_bot' },
      { PARLEY_CUSTOMER_REPLIES_PER_HOUR: '2', GEMINI_RETRIES: '0' },
    );
    await t.telegramBusiness('flaky-bakery', { reply_debounce_ms: 50, customer_limit_message: LIMIT_MESSAGE });
  });
  afterAll(async () => {
    await t?.close();
  });

  const say = (updateId: number, text: string) =>
    t.telegram.deliver(
      BOT_TOKEN,
      telegramTextUpdate({ updateId, messageId: updateId * 10, chatId: 51, text, firstName: 'Rui' }),
    );
  const waitForSent = (count: number) =>
    until(() => {
      const sent = t.telegram.sent(BOT_TOKEN).filter((message) => String(message.chat_id) === '51');
      return sent.length >= count ? sent.map((message) => message.text) : undefined;
    }, 20_000);

  it('counts a reply once however many times the model was down and the job tried again', async () => {
    // Two failed tries, then the answer: one of the customer's two replies this hour, not three.
    t.gemini.enqueue({ error: { status: 503 } }, { error: { status: 503 } }, { text: 'Yes, on Saturdays too.' });
    await say(1, 'Open on Saturday?');
    expect(await waitForSent(1)).toEqual(['Yes, on Saturdays too.']);
    expect(modelCalls(t)).toBe(3);

    t.gemini.setResponder(() => ({ text: 'Until six.' }));
    await say(2, 'Until when?');
    expect(await waitForSent(2)).toEqual(['Yes, on Saturdays too.', 'Until six.']);
    // The third reply of the hour is over the limit of two.
    await say(3, 'And on Sunday?');
    expect(await waitForSent(3)).toEqual(['Yes, on Saturdays too.', 'Until six.', LIMIT_MESSAGE]);
    expect(modelCalls(t)).toBe(4);
  });
});

describe('a limit when the caps cannot be read', () => {
  let t: AiTestApp;
  let token = '';

  beforeAll(async () => {
    t = await createAiTestApp({ PARLEY_CUSTOMER_REPLIES_PER_HOUR: '1' });
    token = await t.business('capped-bakery');
    const admin = await t.signUp('operator', { isAdmin: true });
    await t.as(admin, {
      method: 'PUT',
      url: '/api/v1/ai/usage/quotas/capped-bakery/',
      payload: { daily_tokens: 50_000 },
    });
    t.gemini.setResponder(() => ({ text: 'Fresh bread at seven.' }));
  });
  afterAll(async () => {
    await t?.close();
  });

  const ask = (question: string) =>
    t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: 'early-bird' } });

  it('does not count a reply that failed before the model was called', async () => {
    // The usage the caps are checked against cannot be read: the ask fails, and no model call is made.
    await t.db.execute(sql`alter table usage_records rename to usage_records_away`);
    try {
      expect((await ask('Open at seven?')).statusCode).toBe(500);
    } finally {
      await t.db.execute(sql`alter table usage_records_away rename to usage_records`);
    }
    expect(modelCalls(t)).toBe(0);

    // The customer's one reply of the hour is still theirs, then the limit holds.
    expect((await ask('Open at seven?')).json()).toMatchObject({ answer: 'Fresh bread at seven.' });
    expect((await ask('And rye?')).json()).toMatchObject({ reason: 'customer_rate_limited' });
    expect(modelCalls(t)).toBe(1);
  });
});
