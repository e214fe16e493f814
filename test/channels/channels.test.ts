import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../../src/db/schema/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TelegramFake } from '../fakes/telegram.js';

const BOT_TOKEN = '123456789:AAEfakeTokenForTheBakeryBot_0123456789';
const OTHER_BOT = '987654321:AAEanotherFakeTokenForAnotherBot_98765';

let telegram: TelegramFake;
let t: TestApp;
let alice: string;
let bob: string;

beforeAll(async () => {
  telegram = await TelegramFake.start();
  telegram.addBot(BOT_TOKEN, { id: 123456789, username: 'rosa_bakery_bot', first_name: 'Rosa' });
  telegram.addBot(OTHER_BOT, { id: 987654321, username: 'bobs_bikes_bot', first_name: 'Bob' });
  t = await createTestApp({ env: { TELEGRAM_API_BASE: telegram.url, PUBLIC_URL: 'https://chat.example.com' } });
  alice = await t.signUp('alice');
  bob = await t.signUp('bob');
});
afterAll(async () => {
  await t.close();
  await telegram.close();
});
beforeEach(() => telegram.reset());

const connect = (token: string, payload: Record<string, unknown>) =>
  t.as(token, { method: 'POST', url: '/api/v1/channels/', payload });

describe('/api/v1/channels/', () => {
  it('connects a Telegram bot: checks the token, sets the webhook with a secret, never returns the token', async () => {
    const response = await connect(alice, { type: 'telegram', bot_token: BOT_TOKEN });
    expect(response.statusCode).toBe(201);
    const channel = response.json<{ id: string; webhook_url: string }>();
    expect(channel).toEqual({
      id: expect.stringMatching(/^[0-9A-Za-z]{12}$/),
      type: 'telegram',
      name: '@rosa_bakery_bot',
      external_id: '123456789',
      webhook_url: `https://chat.example.com/webhooks/telegram/${channel.id}/`,
      needs_reconnection: false,
      created_at: expect.any(String),
    });
    expect(response.body).not.toContain(BOT_TOKEN);
    expect(telegram.calls.map((call) => call.method)).toEqual(['getMe', 'setWebhook']);
    const webhook = telegram.webhookOf(BOT_TOKEN);
    expect(webhook?.url).toBe(channel.webhook_url);
    expect(webhook?.secret_token).toMatch(/^[A-Za-z0-9_-]{20,256}$/);
    expect(webhook?.allowed_updates).toEqual(['message', 'edited_message', 'my_chat_member']);

    // At rest the token is sealed, and the webhook secret only hashed.
    const [stored] = await t.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(stored?.credentials).not.toContain(BOT_TOKEN.split(':')[1]);
    expect(stored?.webhookSecretHash).not.toBe(webhook?.secret_token);

    const list = await t.as(alice, { method: 'GET', url: '/api/v1/channels/' });
    expect(list.json()).toMatchObject({ count: 1, results: [{ id: channel.id, name: '@rosa_bakery_bot' }] });
    expect(list.body).not.toContain(BOT_TOKEN);
    expect((await t.as(bob, { method: 'GET', url: '/api/v1/channels/' })).json()).toMatchObject({ count: 0 });
  });

  it('refuses the same bot twice, even for another business', async () => {
    const again = await connect(bob, { type: 'telegram', bot_token: BOT_TOKEN });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'channel_exists' });
  });

  it('answers 400 with Telegram’s reason for a token Telegram rejects, storing nothing', async () => {
    const response = await connect(bob, {
      type: 'telegram',
      bot_token: '111111111:AAEthisTokenIsNotKnownToTelegramAtAll',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      detail: 'Telegram rejected the bot token: Unauthorized.',
      code: 'invalid_bot_token',
    });
    expect((await t.as(bob, { method: 'GET', url: '/api/v1/channels/' })).json()).toMatchObject({ count: 0 });
  });

  it('gives the channel back when Telegram refuses the webhook', async () => {
    telegram.failNext('setWebhook', {
      error_code: 400,
      description: 'Bad Request: bad webhook: HTTPS url must be provided for webhook',
    });
    const response = await connect(bob, { type: 'telegram', bot_token: OTHER_BOT });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'webhook_refused' });
    expect((await t.as(bob, { method: 'GET', url: '/api/v1/channels/' })).json()).toMatchObject({ count: 0 });
  });

  it('connects an Instagram account', async () => {
    const response = await connect(bob, {
      type: 'instagram',
      ig_user_id: '17841400000000001',
      access_token: 'IGQVJfakeAccessTokenForBob0123456789',
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      type: 'instagram',
      external_id: '17841400000000001',
      webhook_url: 'https://chat.example.com/webhooks/instagram/',
    });
    expect(response.body).not.toContain('IGQVJfakeAccessToken');
  });

  it('refuses malformed requests', async () => {
    for (const payload of [
      {},
      { type: 'whatsapp', bot_token: BOT_TOKEN },
      { type: 'telegram' },
      { type: 'telegram', bot_token: 'not-a-token' },
      { type: 'instagram', ig_user_id: 'abc', access_token: 'IGQVJfakeAccessTokenForBob0123456789' },
      { type: 'instagram', ig_user_id: '17841400000000002' },
    ]) {
      const response = await connect(alice, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_error' });
    }
  });

  it('disconnects: removes the webhook; another business’s channel is not found', async () => {
    const [channel] = (await t.as(alice, { method: 'GET', url: '/api/v1/channels/' })).json<{
      results: { id: string }[];
    }>().results;
    expect((await t.as(bob, { method: 'DELETE', url: `/api/v1/channels/${channel!.id}/` })).statusCode).toBe(404);
    const removed = await t.as(alice, { method: 'DELETE', url: `/api/v1/channels/${channel!.id}/` });
    expect(removed.statusCode).toBe(204);
    expect(telegram.calls.map((call) => call.method)).toContain('deleteWebhook');
    expect(telegram.webhookOf(BOT_TOKEN)?.url ?? '').toBe('');
    expect((await t.as(alice, { method: 'DELETE', url: `/api/v1/channels/${channel!.id}/` })).statusCode).toBe(404);
  });

  it('needs a token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/channels/' })).statusCode).toBe(401);
  });
});
