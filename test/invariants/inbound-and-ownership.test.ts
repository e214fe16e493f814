import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { telegramTextUpdate } from '../fakes/telegram.js';
import { until } from '../helpers/wait.js';

/**
 * A customer's message is stored once however often Telegram delivers it, only
 * with the channel's secret; a business sees and moves only its own
 * conversations; an agent's reply takes the conversation from the AI.
 */
const BOT_TOKEN = '555000222:AAEinvariantsBotTokenForMutationTests';
const CHAT = 7070;

let t: TelegramTestApp;
let owner: string;
let stranger: string;
let updateId = 1;

interface Conversation {
  id: string;
  customer_id: string;
  status: string;
  message_count: number;
}

const update = (text: string, messageId: number, chatId = CHAT) =>
  telegramTextUpdate({ updateId: updateId++, messageId, chatId, text, firstName: 'Ana' });
const conversationsOf = async (token: string) =>
  (await t.as(token, { method: 'GET', url: '/api/v1/conversations/' })).json<{ results: Conversation[] }>().results;
const conversationOf = async (chat: number) =>
  (await conversationsOf(owner)).find((conversation) => conversation.customer_id === String(chat));
const messagesOf = async (id: string) =>
  (await t.as(owner, { method: 'GET', url: `/api/v1/conversations/${id}/messages/` })).json<{
    results: { type: string; text: string }[];
  }>().results;

beforeAll(async () => {
  t = await createTelegramTestApp({ token: BOT_TOKEN, id: 555000222, username: 'invariants_bot' });
  // People answer new chats here, so no AI reply races the assertions.
  owner = await t.telegramBusiness('owner', { reply_debounce_ms: 30_000 });
  await t.as(owner, {
    method: 'PUT',
    url: '/api/v1/ai/default-handler/',
    payload: { default_reply_handler: 'Manual' },
  });
  stranger = await t.business('stranger');
});
afterAll(() => t.close());

describe('inbound messages', () => {
  it('are stored once however often the same message is delivered, and announced once', async () => {
    t.published.length = 0;
    const first = update('do you deliver?', 10);
    expect((await t.telegram.deliver(BOT_TOKEN, first)).status).toBe(200);
    expect((await t.telegram.deliver(BOT_TOKEN, first)).status).toBe(200);
    expect((await t.telegram.deliver(BOT_TOKEN, { ...first, update_id: updateId++ })).status).toBe(200);
    expect((await t.telegram.deliver(BOT_TOKEN, update('and on Sundays?', 11))).status).toBe(200);

    const conversation = await conversationOf(CHAT);
    expect(conversation).toMatchObject({ status: 'support_active', message_count: 2 });
    expect((await messagesOf(conversation!.id)).map((m) => [m.type, m.text])).toEqual([
      ['customer', 'do you deliver?'],
      ['customer', 'and on Sundays?'],
    ]);
    const types = t.published.map((p) => p.event.type);
    expect(types.filter((type) => type === 'conversation.created')).toHaveLength(1);
    expect(types.filter((type) => type === 'message.created')).toHaveLength(2);
    const created = t.published.find((p) => p.event.type === 'conversation.created')!;
    expect(created.event.data).toMatchObject({
      conversation_id: conversation!.id,
      customer_id: String(CHAT),
      channel: 'telegram',
      status: 'support_active',
    });
    const message = t.published.find((p) => p.event.type === 'message.created')!;
    expect(message.event.data).toMatchObject({
      conversation_id: conversation!.id,
      message: { type: 'customer', text: 'do you deliver?', response_time_ms: null },
    });
  });

  it('are refused without the channel secret, storing nothing', async () => {
    const before = (await conversationOf(CHAT))!.message_count;
    expect(before).toBe(2);
    expect((await t.telegram.deliver(BOT_TOKEN, update('forged', 20), { secretToken: 'wrong' })).status).toBe(401);
    expect((await t.telegram.deliver(BOT_TOKEN, update('bare', 21), { secretToken: null })).status).toBe(401);
    expect((await t.telegram.deliver(BOT_TOKEN, update('empty', 22), { secretToken: '' })).status).toBe(401);
    expect((await conversationOf(CHAT))!.message_count).toBe(before);
  });

  it('count as stored, duplicate, ignored or rejected in the metrics', async () => {
    const telegramCounts = async () => {
      const out: Record<string, number> = {};
      for (const line of (await t.app.inject({ method: 'GET', url: '/metrics' })).body.split('\n')) {
        const match = /^parley_webhook_deliveries_total\{([^}]*"telegram"[^}]*)\} (\d+)/.exec(line);
        const result = match && /result="(\w+)"/.exec(match[1]!)?.[1];
        if (result) out[result] = Number(match[2]);
      }
      return out;
    };
    const before = await telegramCounts();
    const fresh = update('counted', 40);
    await t.telegram.deliver(BOT_TOKEN, fresh);
    await t.telegram.deliver(BOT_TOKEN, fresh);
    // A button press is no customer message: acknowledged, stored nowhere.
    const press = await t.telegram.deliver(BOT_TOKEN, {
      update_id: updateId++,
      callback_query: { id: '1', data: 'x' },
    });
    expect(press.status).toBe(200);
    await t.telegram.deliver(BOT_TOKEN, update('forged', 41), { secretToken: 'wrong' });
    const after = await telegramCounts();
    const delta = (result: string) => (after[result] ?? 0) - (before[result] ?? 0);
    expect([delta('stored'), delta('duplicate'), delta('ignored'), delta('rejected')]).toEqual([1, 1, 1, 1]);
  });

  it("answer Telegram {ok:true} once stored, repeated or ignored; 404 for a channel that isn't there", async () => {
    const stored = update('what time do you open?', 50, 9090);
    expect(JSON.parse((await t.telegram.deliver(BOT_TOKEN, stored)).body)).toEqual({ ok: true });
    expect(JSON.parse((await t.telegram.deliver(BOT_TOKEN, stored)).body)).toEqual({ ok: true });
    const press = await t.telegram.deliver(BOT_TOKEN, { update_id: updateId++, callback_query: { id: '2' } });
    expect(JSON.parse(press.body)).toEqual({ ok: true });

    const forged = await t.telegram.deliver(BOT_TOKEN, update('forged', 51, 9090), { secretToken: 'wrong' });
    expect(JSON.parse(forged.body)).toMatchObject({ code: 'invalid_secret' });

    // The right secret on a channel id nobody has: not found, whatever the secret says.
    const webhook = t.telegram.webhookOf(BOT_TOKEN)!;
    const unknown = await t.app.inject({
      method: 'POST',
      url: webhook.url.replace(/\/telegram\/[^/]+\//, '/telegram/no-such-channel/'),
      headers: { 'x-telegram-bot-api-secret-token': webhook.secret_token! },
      payload: update('lost?', 52, 9090),
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'not_found' });

    const texts = (await messagesOf((await conversationOf(9090))!.id)).map((m) => m.text);
    expect(texts).toEqual(['what time do you open?']);
  });

  it('open one conversation per customer', async () => {
    await t.telegram.deliver(BOT_TOKEN, update('hello from another chat', 30, 8080));
    const other = await conversationOf(8080);
    expect(other).toMatchObject({ message_count: 1 });
    expect(other!.id).not.toBe((await conversationOf(CHAT))!.id);
  });

  it("open one conversation when a new customer's first messages arrive together", async () => {
    t.published.length = 0;
    const chat = 6060;
    const statuses = await Promise.all(
      ['hi', 'are you open?', 'on Sunday?'].map(
        async (text, i) => (await t.telegram.deliver(BOT_TOKEN, update(text, 40 + i, chat))).status,
      ),
    );
    expect(statuses).toEqual([200, 200, 200]);
    const conversation = await conversationOf(chat);
    expect(conversation).toMatchObject({ message_count: 3, customer_name: 'Ana' });
    expect((await messagesOf(conversation!.id)).map((m) => m.text).sort()).toEqual([
      'are you open?',
      'hi',
      'on Sunday?',
    ]);
    const created = t.published.filter((p) => p.event.type === 'conversation.created');
    expect(created.map((p) => p.event.data)).toEqual([expect.objectContaining({ conversation_id: conversation!.id })]);
  });
});

describe("another business's conversations", () => {
  it('are as absent as unknown ones, for reading, moving and replying', async () => {
    const id = (await conversationOf(CHAT))!.id;
    expect(await conversationsOf(stranger)).toEqual([]);
    expect((await t.as(stranger, { method: 'GET', url: `/api/v1/conversations/${id}/` })).statusCode).toBe(404);
    expect((await t.as(stranger, { method: 'GET', url: `/api/v1/conversations/${id}/messages/` })).statusCode).toBe(
      404,
    );
    expect((await t.as(stranger, { method: 'GET', url: `/api/v1/ai/conversations/${id}/status/` })).statusCode).toBe(
      404,
    );
    const move = await t.as(stranger, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${id}/status/`,
      payload: { status: 'active' },
    });
    expect(move.statusCode).toBe(404);
    const bulk = await t.as(stranger, {
      method: 'PUT',
      url: '/api/v1/ai/conversations/bulk-status/',
      payload: { conversation_ids: [id], status: 'active' },
    });
    expect(bulk.json()).toEqual({ status: 'active', updated: [], not_found: [id] });
    const reply = await t.as(stranger, {
      method: 'POST',
      url: `/api/v1/conversations/${id}/messages/`,
      payload: { text: 'not yours' },
    });
    expect(reply.statusCode).toBe(404);
    expect(await conversationOf(CHAT)).toMatchObject({ status: 'support_active', message_count: 3 });
  });
});

describe("an agent's reply", () => {
  it('takes a conversation over from the AI and says so', async () => {
    const id = (await conversationOf(8080))!.id;
    const toAi = await t.as(owner, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${id}/status/`,
      payload: { status: 'active' },
    });
    expect(toAi.statusCode).toBe(200);
    t.published.length = 0;
    const reply = await t.as(owner, {
      method: 'POST',
      url: `/api/v1/conversations/${id}/messages/`,
      payload: { text: 'Hi, Rosa here.' },
    });
    expect(reply.statusCode).toBe(201);
    expect(reply.json()).toMatchObject({
      message: { type: 'support', text: 'Hi, Rosa here.' },
      conversation: { id, status: 'support_active', message_count: 2 },
    });
    expect(t.published.map((p) => p.event.type)).toEqual(['conversation.status_changed', 'message.created']);
    expect(t.published[0]!.event.data).toEqual({
      conversation_id: id,
      status: 'support_active',
      previous: 'active',
      reason: 'agent_takeover',
      ownership_version: 2,
    });
    const status = await t.as(owner, { method: 'GET', url: `/api/v1/ai/conversations/${id}/status/` });
    expect(status.json()).toMatchObject({ status: 'support_active', reason: 'agent_takeover' });
    // The customer gets the agent's reply on Telegram.
    const delivered = await until(() =>
      t.telegram.sent(BOT_TOKEN).find((message) => message.text === 'Hi, Rosa here.'),
    );
    expect(String(delivered.chat_id)).toBe('8080');
  });

  it('leaves the AI on with keep_ai, and changes nothing in a conversation people already have', async () => {
    const id = (await conversationOf(8080))!.id;
    // The events besides deliveries: a reply's own delivery (sent on Telegram) may be published at any moment.
    const changes = () => t.published.map((p) => p.event.type).filter((type) => type !== 'message.delivery_changed');
    t.published.length = 0;
    const kept = await t.as(owner, {
      method: 'POST',
      url: `/api/v1/conversations/${id}/messages/`,
      payload: { text: 'Still here.' },
    });
    expect(kept.json()).toMatchObject({ conversation: { status: 'support_active', message_count: 3 } });
    expect(changes()).toEqual(['message.created']);

    await t.as(owner, { method: 'PUT', url: `/api/v1/ai/conversations/${id}/status/`, payload: { status: 'active' } });
    t.published.length = 0;
    const withAi = await t.as(owner, {
      method: 'POST',
      url: `/api/v1/conversations/${id}/messages/`,
      payload: { text: 'A note, the AI goes on.', keep_ai: true },
    });
    expect(withAi.json()).toMatchObject({ conversation: { status: 'active', message_count: 4 } });
    expect(changes()).toEqual(['message.created']);
    const status = await t.as(owner, { method: 'GET', url: `/api/v1/ai/conversations/${id}/status/` });
    expect(status.json()).toMatchObject({ status: 'active', ai_available: true, reason: null });
  });
});
