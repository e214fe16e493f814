import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { users } from '../../src/db/schema/index.js';
import { telegramTextUpdate, type TelegramFake } from '../fakes/telegram.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';

/**
 * Whenever the AI stays silent on a channel (a person took over, the business
 * answers manually, it is closed, auto-response is off, the quota is spent),
 * the customer's message must still reach the business: stored, counted on
 * its conversation, and shown live to its people. Checking only the silence
 * would let a change that drops those messages pass.
 */
const BOT_TOKEN = '555000222:AAEsilentBotTokenForTheSilentAiTests00';

let telegram: TelegramFake;
let t: TelegramTestApp;
let token: string;
let updateId = 5000;
let messageId = 0;

interface ConversationItem {
  id: string;
  customer_id: string;
  status: string;
  message_count: number;
}

const say = (chat: number, text: string) =>
  telegram.deliver(
    BOT_TOKEN,
    telegramTextUpdate({ updateId: updateId++, messageId: (messageId += 1000), chatId: chat, text, firstName: 'Rui' }),
  );
const modelCalls = () => t.gemini.requests.filter((request) => request.method.includes('enerateContent')).length;
const sentTo = (chat: number) => telegram.sent(BOT_TOKEN).filter((m) => String(m.chat_id) === String(chat));

async function conversationOf(chat: number): Promise<ConversationItem | undefined> {
  const response = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?channel=telegram' });
  return response.json<{ results: ConversationItem[] }>().results.find((c) => c.customer_id === String(chat));
}

async function textsOf(conversationId: string): Promise<[string, string][]> {
  const response = await t.as(token, { method: 'GET', url: `/api/v1/conversations/${conversationId}/messages/` });
  return response.json<{ results: { type: string; text: string }[] }>().results.map((m) => [m.type, m.text]);
}

const configure = async (settings: Record<string, unknown>) => {
  const response = await t.as(token, { method: 'PUT', url: '/api/v1/ai/config/', payload: settings });
  expect(response.statusCode).toBe(200);
};

/**
 * Delivers `text` from `chat` and checks what the business must see of it:
 * the message stored in order, the conversation's count moved, and a
 * `message.created` event to this business with the text. Returns the conversation.
 */
async function expectReceived(chat: number, text: string): Promise<ConversationItem> {
  const before = (await conversationOf(chat))?.message_count ?? 0;
  const published = t.published.length;
  expect(await say(chat, text)).toMatchObject({ status: 200 });
  const conversation = await conversationOf(chat);
  expect(conversation).toBeDefined();
  expect(conversation!.message_count).toBeGreaterThan(before);
  expect((await textsOf(conversation!.id)).filter(([type]) => type === 'customer').at(-1)).toEqual(['customer', text]);
  const events = t.published.slice(published);
  expect(events).toContainEqual({
    userId: expect.any(String),
    event: {
      type: 'message.created',
      data: expect.objectContaining({
        conversation_id: conversation!.id,
        message: expect.objectContaining({ type: 'customer', text }),
      }),
    },
  });
  // Only this business hears of it.
  const [owner] = await t.db.select({ id: users.id }).from(users).where(eq(users.username, 'quiet'));
  for (const { userId } of events) expect(userId).toBe(owner?.id);
  return conversation!;
}

/** Long enough for a reply job that should not run to have run (debounce 50 ms). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

beforeAll(async () => {
  t = await createTelegramTestApp({ token: BOT_TOKEN, id: 555000222, username: 'quiet_bot' });
  telegram = t.telegram;
  token = await t.telegramBusiness('quiet', { reply_debounce_ms: 50 });
});
afterAll(() => t.close());
beforeEach(async () => {
  t.gemini.reset();
  telegram.reset();
  await configure({ auto_response_enabled: true, business_hours_enabled: false, away_message: null });
});

describe('when the AI stays silent on a channel, the customer still reaches the business', () => {
  it('after an agent took the conversation over', async () => {
    t.gemini.enqueue({ text: 'Hello Rui!' });
    const first = await expectReceived(101, 'hi');
    await until(() => (sentTo(101).length > 0 ? true : undefined));
    const takeover = await t.as(token, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${first.id}/status/`,
      payload: { status: 'support_active' },
    });
    expect(takeover.statusCode).toBe(200);
    t.gemini.reset();
    telegram.reset();

    const conversation = await expectReceived(101, 'is a person there?');
    await settle();
    expect(conversation.status).toBe('support_active');
    expect(modelCalls()).toBe(0);
    expect(sentTo(101)).toEqual([]);
    expect(await textsOf(conversation.id)).toEqual([
      ['customer', 'hi'],
      ['AI', 'Hello Rui!'],
      ['customer', 'is a person there?'],
    ]);
  });

  it('when the business answers new conversations itself', async () => {
    const manual = await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual' },
    });
    expect(manual.statusCode).toBe(200);
    try {
      const conversation = await expectReceived(102, 'do you deliver?');
      await settle();
      expect(conversation.status).toBe('support_active');
      expect(modelCalls()).toBe(0);
      expect(sentTo(102)).toEqual([]);
    } finally {
      await t.as(token, {
        method: 'PUT',
        url: '/api/v1/ai/default-handler/',
        payload: { default_reply_handler: 'AI' },
      });
    }
  });

  it('outside business hours, where the away message goes out once', async () => {
    await configure({
      business_hours_enabled: true,
      business_hours: { timezone: 'Europe/Lisbon', schedule: {} },
      away_message: 'We are closed; we answer from 9.',
    });
    const conversation = await expectReceived(103, 'open now?');
    await until(() => (sentTo(103).length > 0 ? true : undefined));
    await expectReceived(103, 'hello?');
    await settle();
    expect(modelCalls()).toBe(0);
    expect(sentTo(103).map((m) => m.text)).toEqual(['We are closed; we answer from 9.']);
    expect(await textsOf(conversation.id)).toEqual([
      ['customer', 'open now?'],
      ['AI', 'We are closed; we answer from 9.'],
      ['customer', 'hello?'],
    ]);
  });

  it('while auto-response is switched off', async () => {
    t.gemini.enqueue({ text: 'Hi!' });
    await expectReceived(104, 'first');
    await until(() => (sentTo(104).length > 0 ? true : undefined));
    await configure({ auto_response_enabled: false });
    t.gemini.reset();
    telegram.reset();

    await expectReceived(104, 'second');
    await settle();
    expect(modelCalls()).toBe(0);
    expect(sentTo(104)).toEqual([]);
  });

  it('once its token quota is spent, handing the conversation to people', async () => {
    const adminToken = await t.signUp('operator', { isAdmin: true });
    t.gemini.enqueue({ text: 'Sure.', usage: { promptTokenCount: 40, candidatesTokenCount: 10 } });
    await expectReceived(105, 'can I order?');
    await until(() => (sentTo(105).length > 0 ? true : undefined));
    const quota = await t.as(adminToken, {
      method: 'PUT',
      url: '/api/v1/ai/usage/quotas/quiet/',
      payload: { daily_tokens: 10 },
    });
    expect(quota.statusCode).toBe(200);
    t.gemini.reset();
    telegram.reset();

    const conversation = await expectReceived(105, 'two loaves please');
    await until(async () => ((await conversationOf(105))?.status === 'support_active' ? true : undefined));
    expect(modelCalls()).toBe(0);
    const status = await t.as(token, { method: 'GET', url: `/api/v1/ai/conversations/${conversation.id}/status/` });
    expect(status.json()).toMatchObject({ status: 'support_active', reason: 'quota_exceeded' });
    await t.as(adminToken, {
      method: 'PUT',
      url: '/api/v1/ai/usage/quotas/quiet/',
      payload: { daily_tokens: null },
    });
  });
});
