import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  TelegramFake,
  telegramCallbackQueryUpdate,
  telegramEditedUpdate,
  telegramMyChatMemberUpdate,
  telegramPhotoUpdate,
  telegramStickerUpdate,
  telegramTextUpdate,
  telegramVoiceUpdate,
} from './telegram.js';

const TOKEN = '123456789:AAE-test_token';
const OTHER = '987654321:BBF-other_token';

let fake: TelegramFake;

beforeAll(async () => {
  fake = await TelegramFake.start();
  fake.addBot(TOKEN, { username: 'shop_bot', first_name: 'Shop' });
  fake.addBot(OTHER);
});
afterAll(() => fake.close());
beforeEach(async () => {
  await call('deleteWebhook');
  fake.reset();
});

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

/** Calls the fake exactly as a fetch-based client would. */
async function call(method: string, body?: object, token = TOKEN): Promise<Answer> {
  const init: RequestInit = { method: 'POST' };
  if (body) Object.assign(init, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const response = await fetch(`${fake.url}/bot${token}/${method}`, init);
  expect(response.headers.get('content-type')).toContain('application/json');
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in for Parley's webhook route: records what arrives, answers with `status`. */
async function receiver(status = 200): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks/telegram`, received, server };
}

describe('routing and auth', () => {
  it('answers getMe with the bot user, taking the id from the token, method names case-insensitive', async () => {
    const answer = await call('getme');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      ok: true,
      result: { id: 123456789, is_bot: true, first_name: 'Shop', username: 'shop_bot', can_join_groups: true },
    });
  });

  it('refuses an unknown token with 401 JSON and still records the call', async () => {
    const answer = await call('getMe', {}, '1:nope');
    expect(answer).toEqual({ status: 401, json: { ok: false, error_code: 401, description: 'Unauthorized' } });
    expect(fake.calls).toEqual([{ token: '1:nope', method: 'getMe', body: {} }]);
  });

  it('answers an unknown method or path with 404 JSON', async () => {
    for (const method of ['sendTelepathy', 'constructor']) {
      expect(await call(method, {})).toEqual({
        status: 404,
        json: { ok: false, error_code: 404, description: 'Not Found' },
      });
    }
    const response = await fetch(`${fake.url}/nothing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found' });
  });

  it('accepts form-encoded bodies and empty bodies, and rejects broken JSON', async () => {
    const form = await fetch(`${fake.url}/bot${TOKEN}/sendMessage`, {
      method: 'POST',
      body: new URLSearchParams({ chat_id: '42', text: 'from a form' }),
    });
    expect(await form.json()).toMatchObject({ ok: true, result: { chat: { id: 42 }, text: 'from a form' } });
    expect((await call('getMe')).json.ok).toBe(true);
    const broken = await fetch(`${fake.url}/bot${TOKEN}/getMe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ ok: false, error_code: 400 });
  });
});

describe('sendMessage', () => {
  it('returns a Message from the bot with message ids counting up per chat, and records it', async () => {
    const first = await call('sendMessage', { chat_id: 501, text: 'hi', parse_mode: 'HTML' });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      ok: true,
      result: {
        message_id: 1,
        from: { id: 123456789, is_bot: true, username: 'shop_bot' },
        chat: { id: 501, type: 'private' },
        date: expect.any(Number),
        text: 'hi',
      },
    });
    expect((await call('sendMessage', { chat_id: '501', text: 'again' })).json).toMatchObject({
      result: { message_id: 2 },
    });
    expect((await call('sendMessage', { chat_id: 502, text: 'other chat' })).json).toMatchObject({
      result: { message_id: 1 },
    });
    await call('sendMessage', { chat_id: 501, text: 'other bot' }, OTHER);

    expect(fake.sent(TOKEN).map((message) => [message.chat_id, message.message_id, message.text])).toEqual([
      [501, 1, 'hi'],
      [501, 2, 'again'],
      [502, 1, 'other chat'],
    ]);
    expect(fake.sent(TOKEN)[0]).toMatchObject({ token: TOKEN, parse_mode: 'HTML' });
    expect(fake.sent()).toHaveLength(4);
  });

  it('requires chat_id and non-empty text', async () => {
    expect((await call('sendMessage', { text: 'x' })).json).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: chat_id is empty',
    });
    for (const text of [undefined, '', '   ']) {
      const answer = await call('sendMessage', { chat_id: 42, text });
      expect(answer).toEqual({
        status: 400,
        json: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' },
      });
    }
    expect(fake.sent()).toEqual([]);
  });

  it('allows 4096 UTF-16 code units and refuses one more', async () => {
    expect((await call('sendMessage', { chat_id: 42, text: 'a'.repeat(4096) })).status).toBe(200);
    expect((await call('sendMessage', { chat_id: 42, text: '😀'.repeat(2048) })).status).toBe(200);
    // 2049 emoji are only 2049 code points but 4098 code units: Telegram counts the latter.
    for (const text of ['a'.repeat(4097), '😀'.repeat(2049)]) {
      expect(await call('sendMessage', { chat_id: 42, text })).toEqual({
        status: 400,
        json: { ok: false, error_code: 400, description: 'Bad Request: message is too long' },
      });
    }
    expect(fake.sent()).toHaveLength(2);
  });
});

describe('blocked chats and chat actions', () => {
  it('answers 403 to sendMessage and sendChatAction for a blocked chat, until reset', async () => {
    fake.blockChat(42);
    const blocked = { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' };
    expect(await call('sendMessage', { chat_id: '42', text: 'hi' })).toEqual({ status: 403, json: blocked });
    expect(await call('sendChatAction', { chat_id: 42, action: 'typing' })).toEqual({ status: 403, json: blocked });
    expect((await call('sendMessage', { chat_id: 43, text: 'hi' })).status).toBe(200);
    fake.reset();
    expect((await call('sendMessage', { chat_id: 42, text: 'hi' })).status).toBe(200);
  });

  it('answers sendChatAction with true and refuses an unknown action', async () => {
    expect(await call('sendChatAction', { chat_id: 42, action: 'typing' })).toEqual({
      status: 200,
      json: { ok: true, result: true },
    });
    expect((await call('sendChatAction', { chat_id: 42, action: 'dancing' })).status).toBe(400);
  });
});

describe('scripted failures', () => {
  it('answers a scripted 429 with retry_after, then recovers', async () => {
    fake.failNext('sendMessage', { error_code: 429, description: 'ignored', retry_after: 3 }, 2);
    const flood = {
      status: 429,
      json: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        parameters: { retry_after: 3 },
      },
    };
    expect((await call('sendChatAction', { chat_id: 42, action: 'typing' })).status).toBe(200);
    expect(await call('sendMessage', { chat_id: 42, text: 'one' })).toEqual(flood);
    expect(await call('sendMessage', { chat_id: 42, text: 'two' })).toEqual(flood);
    expect((await call('sendMessage', { chat_id: 42, text: 'three' })).json).toMatchObject({ ok: true });
    expect(fake.sent().map((message) => message.text)).toEqual(['three']);
  });

  it('answers other scripted errors verbatim', async () => {
    fake.failNext('getMe', { error_code: 500, description: 'Internal Server Error' });
    expect(await call('getMe')).toEqual({
      status: 500,
      json: { ok: false, error_code: 500, description: 'Internal Server Error' },
    });
    expect((await call('getMe')).status).toBe(200);
  });
});

describe('webhooks', () => {
  it('validates setWebhook and reports the result in getWebhookInfo', async () => {
    const bad = { ok: false, error_code: 400, description: 'Bad Request: secret token contains unallowed characters' };
    const url = 'http://127.0.0.1:9/hook';
    expect((await call('setWebhook', { url, secret_token: 'has space' })).json).toEqual(bad);
    expect((await call('setWebhook', { url, secret_token: 'a'.repeat(257) })).json).toEqual(bad);
    expect((await call('setWebhook', { url: 'http://example.com/hook' })).status).toBe(400);
    expect((await call('setWebhook', { url: 'https://example.com:3000/hook' })).status).toBe(400);
    expect(fake.webhookOf(TOKEN)).toBeUndefined();

    const set = await call('setWebhook', { url, secret_token: 'Ab9_-'.repeat(10), allowed_updates: ['message'] });
    expect(set.json).toEqual({ ok: true, result: true, description: 'Webhook was set' });
    await call('setWebhook', { url, max_connections: 500 });
    expect(fake.webhookOf(TOKEN)).toMatchObject({ url, allowed_updates: ['message'], max_connections: 100 });
    expect(fake.webhookOf(TOKEN)?.secret_token).toBeUndefined();
    expect((await call('getWebhookInfo')).json).toEqual({
      ok: true,
      result: {
        url,
        has_custom_certificate: false,
        pending_update_count: 0,
        max_connections: 100,
        allowed_updates: ['message'],
      },
    });
    expect((await call('getUpdates')).status).toBe(409);

    expect((await call('setWebhook', { url: '' })).json).toMatchObject({ description: 'Webhook was deleted' });
    expect(fake.webhookOf(TOKEN)).toBeUndefined();
    expect((await call('getWebhookInfo')).json.result).toEqual({
      url: '',
      has_custom_certificate: false,
      pending_update_count: 0,
    });
  });

  it('delivers updates with the secret header, an override, or none', async () => {
    const hook = await receiver();
    try {
      await call('setWebhook', { url: hook.url, secret_token: 'S3cret_token' });
      const update = telegramTextUpdate({ updateId: 1000, messageId: 5, chatId: 42, text: 'héllo' });
      expect(await fake.deliver(TOKEN, update)).toEqual({ status: 200, body: '' });
      await fake.deliver(TOKEN, update, { secretToken: 'wrong' });
      await fake.deliver(TOKEN, update, { secretToken: null });

      const [first, second, third] = hook.received;
      expect(first?.headers['x-telegram-bot-api-secret-token']).toBe('S3cret_token');
      expect(first?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(first?.body ?? '')).toEqual(update);
      expect(second?.headers['x-telegram-bot-api-secret-token']).toBe('wrong');
      expect(third?.headers).not.toHaveProperty('x-telegram-bot-api-secret-token');
    } finally {
      hook.server.close();
    }
  });

  it('refuses to deliver without a webhook and records a failing receiver in getWebhookInfo', async () => {
    await expect(
      fake.deliver(TOKEN, telegramTextUpdate({ updateId: 1, messageId: 1, chatId: 1, text: 'x' })),
    ).rejects.toThrow(/no webhook/);
    const hook = await receiver(500);
    try {
      await call('setWebhook', { url: hook.url });
      const delivery = await fake.deliver(
        TOKEN,
        telegramTextUpdate({ updateId: 1, messageId: 1, chatId: 1, text: 'x' }),
      );
      expect(delivery.status).toBe(500);
      expect((await call('getWebhookInfo')).json.result).toMatchObject({
        pending_update_count: 1,
        last_error_date: expect.any(Number),
        last_error_message: 'Wrong response from the webhook: 500 Internal Server Error',
      });
      // The update the webhook refused is held until dropped.
      await fake.deliver(TOKEN, telegramTextUpdate({ updateId: 2, messageId: 2, chatId: 1, text: 'y' }));
      expect((await call('getWebhookInfo')).json.result).toMatchObject({ pending_update_count: 2 });
      await call('setWebhook', { url: hook.url, drop_pending_updates: true });
      expect((await call('getWebhookInfo')).json.result).toMatchObject({ pending_update_count: 0 });
    } finally {
      hook.server.close();
    }
  });

  it('learns from delivered updates: the chat, its message ids, and blocks from my_chat_member', async () => {
    const hook = await receiver();
    try {
      await call('setWebhook', { url: hook.url });
      const person = { chatId: 4242, firstName: 'Ann', username: 'ann' };
      await fake.deliver(TOKEN, telegramTextUpdate({ ...person, updateId: 1, messageId: 17, text: 'hi' }));
      expect((await call('sendMessage', { chat_id: 4242, text: 'hello Ann' })).json.result).toMatchObject({
        message_id: 18,
        chat: { id: 4242, first_name: 'Ann', username: 'ann', type: 'private' },
      });
      await fake.deliver(TOKEN, telegramMyChatMemberUpdate({ ...person, updateId: 2, status: 'kicked' }));
      expect((await call('sendMessage', { chat_id: 4242, text: 'still there?' })).status).toBe(403);
      await fake.deliver(TOKEN, telegramMyChatMemberUpdate({ ...person, updateId: 3, status: 'member' }));
      expect((await call('sendMessage', { chat_id: 4242, text: 'welcome back' })).status).toBe(200);
    } finally {
      hook.server.close();
    }
  });
});

describe('update builders', () => {
  const base = { updateId: 1000, messageId: 5, chatId: 42, firstName: 'A', username: 'ab', date: 1_700_000_000 };

  it('builds a private-chat text message as in §2.4, marking a leading command', () => {
    expect(telegramTextUpdate({ ...base, text: '/start hello' })).toEqual({
      update_id: 1000,
      message: {
        message_id: 5,
        from: { id: 42, is_bot: false, first_name: 'A', username: 'ab', language_code: 'en' },
        chat: { id: 42, first_name: 'A', username: 'ab', type: 'private' },
        date: 1_700_000_000,
        text: '/start hello',
        entities: [{ type: 'bot_command', offset: 0, length: 6 }],
      },
    });
    expect(telegramTextUpdate({ ...base, text: 'plain' }).message).not.toHaveProperty('entities');
  });

  it('builds edited, photo, sticker and voice messages', () => {
    expect(telegramEditedUpdate({ ...base, text: 'fixed' }).edited_message).toMatchObject({
      text: 'fixed',
      edit_date: 1_700_000_060,
    });
    const photo = telegramPhotoUpdate({ ...base, caption: 'look' }).message as { photo: { width: number }[] };
    expect(photo).toMatchObject({ caption: 'look', chat: { id: 42 } });
    expect(photo.photo.length).toBeGreaterThan(2);
    expect(photo.photo.map((size) => size.width)).toEqual(
      [...photo.photo.map((size) => size.width)].sort((a, b) => a - b),
    );
    expect(photo.photo[0]).toEqual({
      file_id: expect.any(String),
      file_unique_id: expect.any(String),
      file_size: expect.any(Number),
      width: expect.any(Number),
      height: expect.any(Number),
    });
    expect(telegramStickerUpdate(base).message).toMatchObject({
      sticker: { type: 'regular', is_animated: false, is_video: false, width: 512, height: 512, emoji: '👍' },
    });
    expect(telegramVoiceUpdate({ ...base, duration: 7 }).message).toMatchObject({
      voice: { duration: 7, mime_type: 'audio/ogg', file_id: expect.any(String) },
    });
  });

  it('builds a callback query on the bot message and my_chat_member block/unblock', () => {
    const callback = telegramCallbackQueryUpdate({ ...base, data: 'buy:1' });
    expect(callback.callback_query).toMatchObject({
      id: expect.any(String),
      from: { id: 42, is_bot: false },
      message: { message_id: 5, from: { is_bot: true }, chat: { id: 42, type: 'private' } },
      chat_instance: expect.any(String),
      data: 'buy:1',
    });
    expect(telegramMyChatMemberUpdate({ ...base, status: 'kicked' }).my_chat_member).toMatchObject({
      chat: { id: 42, type: 'private' },
      from: { id: 42 },
      old_chat_member: { status: 'member', user: { is_bot: true } },
      new_chat_member: { status: 'kicked', until_date: 0 },
    });
    expect(telegramMyChatMemberUpdate({ ...base, status: 'member' }).my_chat_member).toMatchObject({
      old_chat_member: { status: 'kicked' },
      new_chat_member: { status: 'member' },
    });
  });
});
