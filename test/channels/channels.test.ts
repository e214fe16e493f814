import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../../src/db/schema/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { GraphFake } from '../fakes/graph.js';
import { TelegramFake } from '../fakes/telegram.js';

const BOT_TOKEN = '123456789:AAEfakeTokenForTheBakeryBot_0123456789';
const OTHER_BOT = '987654321:AAEanotherFakeTokenForAnotherBot_98765';
const BOB_IG = '17841400000000001';
const BOB_IG_TOKEN = 'IGQVJfakeAccessTokenForBob0123456789';
const ALICE_IG = '17841400000000002';
const ALICE_IG_TOKEN = 'IGQVJfakeAccessTokenForAlice012345678';

let telegram: TelegramFake;
let graph: GraphFake;
let t: TestApp;
let alice: string;
let bob: string;

beforeAll(async () => {
  telegram = await TelegramFake.start();
  telegram.addBot(BOT_TOKEN, { id: 123456789, username: 'rosa_bakery_bot', first_name: 'Rosa' });
  telegram.addBot(OTHER_BOT, { id: 987654321, username: 'bobs_bikes_bot', first_name: 'Bob' });
  graph = await GraphFake.start();
  graph.addAccount(BOB_IG, BOB_IG_TOKEN, 'bobs_bikes');
  graph.addAccount(ALICE_IG, ALICE_IG_TOKEN, 'rosa_bakery');
  t = await createTestApp({
    env: { TELEGRAM_API_BASE: telegram.url, META_GRAPH_BASE: graph.url, PUBLIC_URL: 'https://chat.example.com' },
  });
  alice = await t.signUp('alice');
  bob = await t.signUp('bob');
});
afterAll(async () => {
  await t.close();
  await telegram.close();
  await graph.close();
});
beforeEach(() => {
  telegram.reset();
  graph.reset();
});

const channelsOf = async (token: string) =>
  (await t.as(token, { method: 'GET', url: '/api/v1/channels/' })).json<{ count: number; results: unknown[] }>();

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
      widget: null,
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

  it('refuses the same bot twice, even for another business, without naming that business', async () => {
    const again = await connect(bob, { type: 'telegram', bot_token: BOT_TOKEN });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ detail: 'This bot is already connected to Parley.', code: 'channel_exists' });
    expect(await channelsOf(bob)).toMatchObject({ count: 0 });
    // The bot's webhook still points at Alice's channel.
    expect(telegram.calls.map((call) => call.method)).toEqual(['getMe']);
  });

  it('answers 502 when Telegram cannot check the token, storing nothing', async () => {
    telegram.failNext('getMe', { error_code: 502, description: 'Bad Gateway' });
    const response = await connect(bob, { type: 'telegram', bot_token: OTHER_BOT });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({
      detail:
        'Telegram is unavailable: it answered 502 (Bad Gateway). The bot token could not be checked and nothing was connected; try again in a moment.',
      code: 'telegram_unreachable',
    });
    expect(await channelsOf(bob)).toMatchObject({ count: 0 });
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

  it('refuses an Instagram account id the token does not belong to, storing nothing', async () => {
    // Bob holds a real token, of his own account, and claims Alice's account id.
    const response = await connect(bob, { type: 'instagram', ig_user_id: ALICE_IG, access_token: BOB_IG_TOKEN });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      detail: `This access token belongs to Instagram account ${BOB_IG}, not ${ALICE_IG}.`,
      code: 'invalid_access_token',
    });
    expect(graph.calls).toEqual([expect.objectContaining({ method: 'GET', path: '/v23.0/me', token: BOB_IG_TOKEN })]);
    expect(await channelsOf(bob)).toMatchObject({ count: 0 });
  });

  it('refuses an access token Instagram rejects, with Instagram’s reason, storing nothing', async () => {
    const response = await connect(bob, {
      type: 'instagram',
      ig_user_id: BOB_IG,
      access_token: 'IGQVJaTokenInstagramHasNeverIssued000',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      detail: 'Instagram rejected the access token: Invalid OAuth access token - Cannot parse access token.',
      code: 'invalid_access_token',
    });
    expect(await channelsOf(bob)).toMatchObject({ count: 0 });
  });

  it('answers 502 when Instagram cannot check the token, storing nothing', async () => {
    graph.failNext({ status: 500, code: 2, message: 'An unexpected error has occurred.', is_transient: true });
    const response = await connect(bob, { type: 'instagram', ig_user_id: BOB_IG, access_token: BOB_IG_TOKEN });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({
      detail:
        'Instagram is unavailable: it answered 500 (An unexpected error has occurred). The access token could not be checked and nothing was connected; try again in a moment.',
      code: 'instagram_unreachable',
    });
    expect(await channelsOf(bob)).toMatchObject({ count: 0 });
  });

  it('connects an Instagram account its token belongs to, named as Instagram names it', async () => {
    const response = await connect(bob, { type: 'instagram', ig_user_id: BOB_IG, access_token: BOB_IG_TOKEN });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      type: 'instagram',
      name: '@bobs_bikes',
      external_id: BOB_IG,
      webhook_url: 'https://chat.example.com/webhooks/instagram/',
    });
    expect(response.body).not.toContain('IGQVJfakeAccessToken');
    expect(graph.calls.map((call) => [call.method, call.path])).toEqual([['GET', '/v23.0/me']]);
  });

  it('refuses an Instagram account connected to another business, without naming that business', async () => {
    // Alice somehow holds a valid token for Bob's account: still 409, and nothing about Bob.
    graph.addAccount(BOB_IG, 'IGQVJaSecondTokenForBobsAccount0000', 'bobs_bikes');
    const response = await connect(alice, {
      type: 'instagram',
      ig_user_id: BOB_IG,
      access_token: 'IGQVJaSecondTokenForBobsAccount0000',
    });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({
      detail: 'This Instagram account is already connected to Parley.',
      code: 'channel_exists',
    });
    expect(response.body).not.toMatch(/bob/i);
    expect(await channelsOf(alice)).toMatchObject({ count: 1, results: [{ type: 'telegram' }] });
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
