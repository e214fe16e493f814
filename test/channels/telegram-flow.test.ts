import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messages } from '../../src/db/schema/index.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';
import { telegramPhotoUpdate, telegramTextUpdate, type TelegramFake } from '../fakes/telegram.js';

/** A customer on Telegram, end to end: webhook in, stored, answered by the AI, delivered by the bot. */
const BOT_TOKEN = '555000111:AAEbakeryBotTokenForTheTelegramFlowTest';
const CHAT = 4242;

let telegram: TelegramFake;
let t: TelegramTestApp;
let token: string;
let conversationId: string;
let updateId = 1000;
/** Customer message ids, spaced so the bot's replies (numbered in the same chat) fall between them. */
let messageId = 0;

const say = (text: string, chat = CHAT) =>
  telegram.deliver(
    BOT_TOKEN,
    telegramTextUpdate({ updateId: updateId++, messageId: (messageId += 1000), chatId: chat, text, firstName: 'Ana' }),
  );
const generateCalls = () => t.gemini.requests.filter((request) => request.method === 'streamGenerateContent');
const sent = (chat = CHAT) => telegram.sent(BOT_TOKEN).filter((m) => String(m.chat_id) === String(chat));

beforeAll(async () => {
  t = await createTelegramTestApp({ token: BOT_TOKEN, id: 555000111, username: 'rosa_bot' });
  telegram = t.telegram;
  token = await t.telegramBusiness('rosa', {
    reply_debounce_ms: 300,
    handover_message: 'A colleague will write to you here.',
  });
});
afterAll(() => t.close());
beforeEach(() => {
  t.gemini.reset();
  telegram.reset();
});

describe('a customer on Telegram', () => {
  it('is answered once, by the bot, however often Telegram delivers the message', async () => {
    t.gemini.enqueue({ text: 'Hello Ana! We open at 7.' });
    const update = telegramTextUpdate({
      updateId: updateId++,
      messageId: (messageId += 1000),
      chatId: CHAT,
      text: 'When do you open?',
      firstName: 'Ana',
    });
    expect(await telegram.deliver(BOT_TOKEN, update)).toMatchObject({ status: 200 });
    expect(await telegram.deliver(BOT_TOKEN, update)).toMatchObject({ status: 200 });

    const [reply] = await until(() => (sent().length > 0 ? sent() : undefined));
    expect(reply?.text).toBe('Hello Ana! We open at 7.');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(generateCalls()).toHaveLength(1);
    expect(sent()).toHaveLength(1);

    const list = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?channel=telegram' });
    const [conversation] = list.json<{ results: { id: string; customer_id: string; customer_name: string }[] }>()
      .results;
    expect(conversation).toMatchObject({ customer_id: String(CHAT), customer_name: 'Ana' });
    conversationId = conversation!.id;
    const stored = await t.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(messages.seq);
    expect(stored.map((m) => [m.type, m.deliveryStatus])).toEqual([
      ['customer', null],
      ['AI', 'sent'],
    ]);
  });

  it('gets one answer to a burst, which saw every message', async () => {
    t.gemini.enqueue({ text: 'A dozen, with cinnamon. Ready at 10.' });
    await say('I want pastéis de nata');
    await say('a dozen');
    await say('with cinnamon please');
    await until(() => (sent().length > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(generateCalls()).toHaveLength(1);
    const body = generateCalls()[0]?.body as { contents: { role: string; parts: { text: string }[] }[] };
    expect(body.contents.at(-1)).toEqual({
      role: 'user',
      parts: [{ text: 'I want pastéis de nata\n\na dozen\n\nwith cinnamon please' }],
    });
    expect(sent().map((m) => m.text)).toEqual(['A dozen, with cinnamon. Ready at 10.']);
  });

  it('receives a long answer in parts within Telegram’s limit', async () => {
    const long = `${'We bake every morning. '.repeat(300)}`.trim();
    t.gemini.enqueue({ text: long });
    await say('tell me everything');
    const parts = await until(() => (sent().length >= 2 ? sent() : undefined));
    expect(parts.every((part) => part.text.length <= 4_096)).toBe(true);
    expect(parts.map((part) => part.text).join(' ')).toBe(long);
  });

  it('gets each part of a long answer once, when Telegram fails midway through it', async () => {
    const long = `${'Our sourdough rests for two days. '.repeat(200)}`.trim();
    t.gemini.enqueue({ text: long });
    telegram.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' }, 1, 1);
    await say('how is your bread made?');
    const parts = await until(() => {
      const stored = sent();
      return stored.length >= 2 ? stored : undefined;
    }, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sent()).toHaveLength(parts.length);
    expect(parts.map((part) => part.text).join(' ')).toBe(long);
    // Every part was tried once, and the one that failed once more.
    expect(telegram.calls.filter((call) => call.method === 'sendMessage')).toHaveLength(parts.length + 1);
  });

  it('gets the reply after Telegram asks the bot to slow down', async () => {
    telegram.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      retry_after: 1,
    });
    t.gemini.enqueue({ text: 'Patience pays.' });
    await say('hello?');
    const [reply] = await until(() => (sent().length > 0 ? sent() : undefined), 10_000);
    expect(reply?.text).toBe('Patience pays.');
  });

  it('shows a photo as a placeholder with its caption', async () => {
    t.gemini.enqueue({ text: 'What a lovely cake!' });
    await telegram.deliver(
      BOT_TOKEN,
      telegramPhotoUpdate({
        updateId: updateId++,
        messageId: (messageId += 1000),
        chatId: CHAT,
        caption: 'like this one',
      }),
    );
    await until(() => (sent().length > 0 ? true : undefined));
    const page = await t.as(token, {
      method: 'GET',
      url: `/api/v1/conversations/${conversationId}/messages/?page_size=100`,
    });
    expect(page.json<{ results: { text: string }[] }>().results.map((m) => m.text)).toContain('[photo] like this one');
  });

  it('keeps a message with NUL and other control characters, stripped of them, and answers it', async () => {
    t.gemini.enqueue({ text: 'Yes, gluten-free on Fridays.' });
    const delivered = await say('Any\u0000 gluten-free\u0007 bread?\nThanks');
    expect(delivered.status).toBe(200);
    const [reply] = await until(() => (sent().length > 0 ? sent() : undefined));
    expect(reply?.text).toBe('Yes, gluten-free on Fridays.');
    const page = await t.as(token, {
      method: 'GET',
      url: `/api/v1/conversations/${conversationId}/messages/?page_size=100`,
    });
    const texts = page.json<{ results: { text: string }[] }>().results.map((m) => m.text);
    expect(texts).toContain('Any gluten-free bread?\nThanks');
    expect(texts.some((text) => text.includes('\u0000') || text.includes('\u0007'))).toBe(false);
  });

  it('hears nothing from the AI after a person takes over, and gets the person’s replies', async () => {
    await t.as(token, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${conversationId}/status/`,
      payload: { status: 'support_active' },
    });
    await say('is anyone there?');
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(generateCalls()).toHaveLength(0);
    expect(sent()).toHaveLength(0);

    const agent = await t.as(token, {
      method: 'POST',
      url: `/api/v1/conversations/${conversationId}/messages/`,
      payload: { text: 'Hi Ana, Marta here.' },
    });
    expect(agent.statusCode).toBe(201);
    const [reply] = await until(() => (sent().length > 0 ? sent() : undefined));
    expect(reply?.text).toBe('Hi Ana, Marta here.');
    await t.as(token, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${conversationId}/status/`,
      payload: { status: 'active' },
    });
  });

  it('records a reply to a customer who blocked the bot as failed, without retrying for ever', async () => {
    telegram.blockChat(CHAT);
    t.gemini.enqueue({ text: 'Are you still there?' });
    await say('bye');
    const failed = await until(async () => {
      const rows = await t.db
        .select()
        .from(messages)
        .where(eq(messages.conversationId, conversationId))
        .orderBy(messages.seq);
      const last = rows.at(-1);
      return last?.type === 'AI' && last.deliveryStatus === 'failed' ? last : undefined;
    });
    expect(failed.deliveryError).toBe('Telegram 403: Forbidden: bot was blocked by the user');
    expect(telegram.calls.filter((call) => call.method === 'sendMessage')).toHaveLength(1);
  });

  it('refuses deliveries without the right secret, and unknown channels, storing nothing', async () => {
    const before = await t.db.select().from(messages).where(eq(messages.conversationId, conversationId));
    const forged = await telegram.deliver(
      BOT_TOKEN,
      telegramTextUpdate({ updateId: updateId++, messageId: (messageId += 1000), chatId: CHAT, text: 'forged' }),
      {
        secretToken: 'not-the-secret',
      },
    );
    expect(forged.status).toBe(401);
    const missing = await telegram.deliver(
      BOT_TOKEN,
      telegramTextUpdate({ updateId: updateId++, messageId: (messageId += 1000), chatId: CHAT, text: 'no header' }),
      {
        secretToken: null,
      },
    );
    expect(missing.status).toBe(401);
    const unknown = await t.app.inject({ method: 'POST', url: '/webhooks/telegram/doesnotexist/', payload: {} });
    expect(unknown.statusCode).toBe(404);
    const malformed = await t.app.inject({
      method: 'POST',
      url: `/webhooks/telegram/${conversationId}/`,
      headers: { 'content-type': 'application/json' },
      payload: '{"update_id": ',
    });
    expect(malformed.statusCode).toBe(400);
    const after = await t.db.select().from(messages).where(eq(messages.conversationId, conversationId));
    expect(after).toHaveLength(before.length);
  });
  it('starts new chats with people once the business answers manually, and refuses a disconnected bot’s deliveries', async () => {
    const handler = await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual' },
    });
    expect(handler.statusCode).toBe(200);
    await say('hello, is this the bakery?', 5151);
    const list = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?channel=telegram' });
    const fresh = list
      .json<{ results: { customer_id: string; status: string }[] }>()
      .results.find((conversation) => conversation.customer_id === '5151');
    expect(fresh?.status).toBe('support_active');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(generateCalls()).toHaveLength(0);

    const [channel] = (await t.as(token, { method: 'GET', url: '/api/v1/channels/' })).json<{
      results: { id: string }[];
    }>().results;
    const webhook = telegram.webhookOf(BOT_TOKEN)!;
    expect((await t.as(token, { method: 'DELETE', url: `/api/v1/channels/${channel!.id}/` })).statusCode).toBe(204);
    const late = await fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': webhook.secret_token! },
      body: JSON.stringify(
        telegramTextUpdate({
          updateId: updateId++,
          messageId: (messageId += 1000),
          chatId: 5151,
          text: 'still there?',
        }),
      ),
    });
    expect(late.status).toBe(404);
  });
});
