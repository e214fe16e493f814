import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { GraphFake } from '../fakes/graph.js';
import { TelegramFake } from '../fakes/telegram.js';

/**
 * Connecting or disconnecting a channel waits on Telegram or Instagram. When
 * the platform is down, failing or busy the answer is a 502 naming it and the
 * reason, never a 500; the platform's own refusals stay 400s.
 */
const BOT_TOKEN = '123456789:AAEfakeTokenForTheBakeryBot_0123456789';
const IG_USER = '17841400000000001';
const IG_TOKEN = 'IGQVJfakeAccessTokenForBob0123456789';

/** A loopback port nothing listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const channelsOf = async (t: TestApp, token: string) =>
  (await t.as(token, { method: 'GET', url: '/api/v1/channels/' })).json<{ count: number; results: { id: string }[] }>();

describe('a platform nobody answers at', () => {
  let t: TestApp;
  let token: string;
  let port: number;

  beforeAll(async () => {
    port = await closedPort();
    t = await createTestApp({
      env: {
        TELEGRAM_API_BASE: `http://127.0.0.1:${port}`,
        META_GRAPH_BASE: `http://127.0.0.1:${port}/v23.0`,
        PUBLIC_URL: 'https://chat.example.com',
      },
    });
    token = await t.signUp('rosa');
  });
  afterAll(() => t.close());

  it('Telegram: 502 telegram_unreachable with the reason, and nothing stored', async () => {
    const response = await t.as(token, {
      method: 'POST',
      url: '/api/v1/channels/',
      payload: { type: 'telegram', bot_token: BOT_TOKEN },
    });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({
      detail: `Telegram could not be reached: connect ECONNREFUSED 127.0.0.1:${port}. The bot token could not be checked and nothing was connected; try again in a moment.`,
      code: 'telegram_unreachable',
    });
    expect(await channelsOf(t, token)).toMatchObject({ count: 0 });
  });

  it('Instagram: 502 instagram_unreachable with the reason, and nothing stored', async () => {
    const response = await t.as(token, {
      method: 'POST',
      url: '/api/v1/channels/',
      payload: { type: 'instagram', ig_user_id: IG_USER, access_token: IG_TOKEN },
    });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({
      detail: `Instagram could not be reached: connect ECONNREFUSED 127.0.0.1:${port}. The access token could not be checked and nothing was connected; try again in a moment.`,
      code: 'instagram_unreachable',
    });
    expect(await channelsOf(t, token)).toMatchObject({ count: 0 });
  });
});

describe('a platform that answers with a failure', () => {
  let telegram: TelegramFake;
  let telegramOpen = true;
  let graph: GraphFake;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    telegram = await TelegramFake.start();
    telegram.addBot(BOT_TOKEN, { id: 123456789, username: 'rosa_bakery_bot', first_name: 'Rosa' });
    graph = await GraphFake.start();
    graph.addAccount(IG_USER, IG_TOKEN, 'rosa_bakery');
    t = await createTestApp({
      env: { TELEGRAM_API_BASE: telegram.url, META_GRAPH_BASE: graph.url, PUBLIC_URL: 'https://chat.example.com' },
    });
    token = await t.signUp('rosa');
  });
  afterAll(async () => {
    await t.close();
    if (telegramOpen) await telegram.close();
    await graph.close();
  });
  beforeEach(() => {
    telegram.reset();
    graph.reset();
  });

  const connectBot = () =>
    t.as(token, { method: 'POST', url: '/api/v1/channels/', payload: { type: 'telegram', bot_token: BOT_TOKEN } });

  it('Telegram failing while the webhook is set: 502, and the channel is given back', async () => {
    telegram.failNext('setWebhook', { error_code: 500, description: 'Internal Server Error' });
    const response = await connectBot();
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({
      detail:
        'Telegram is unavailable: it answered 500 (Internal Server Error). The webhook could not be set and nothing was connected; try again in a moment.',
      code: 'telegram_unreachable',
    });
    expect(telegram.calls.map((call) => call.method)).toEqual(['getMe', 'setWebhook']);
    expect(await channelsOf(t, token)).toMatchObject({ count: 0 });
  });

  it('Telegram busy (429): 502 saying how long it asks to wait', async () => {
    telegram.failNext('getMe', { error_code: 429, description: 'Too Many Requests: retry after 5', retry_after: 5 });
    const response = await connectBot();
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({
      detail:
        'Telegram is busy and asks to wait 5 s (Too Many Requests: retry after 5). The bot token could not be checked and nothing was connected; try again in a moment.',
      code: 'telegram_unreachable',
    });
    expect(await channelsOf(t, token)).toMatchObject({ count: 0 });
  });

  it('Telegram’s own refusals stay 400s', async () => {
    const unknown = await t.as(token, {
      method: 'POST',
      url: '/api/v1/channels/',
      payload: { type: 'telegram', bot_token: '111111111:AAEthisTokenIsNotKnownToTelegramAtAll' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual({
      detail: 'Telegram rejected the bot token: Unauthorized.',
      code: 'invalid_bot_token',
    });

    telegram.failNext('setWebhook', {
      error_code: 400,
      description: 'Bad Request: bad webhook: Failed to resolve host',
    });
    const refused = await connectBot();
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      detail: 'Telegram refused the webhook: Bad Request: bad webhook: Failed to resolve host.',
      code: 'webhook_refused',
    });
    expect(await channelsOf(t, token)).toMatchObject({ count: 0 });
  });

  it('Instagram failing: 502 instagram_unreachable; its refusal stays 400', async () => {
    graph.failNext({ status: 503, code: 2, message: 'Service temporarily unavailable', is_transient: true });
    const failing = await t.as(token, {
      method: 'POST',
      url: '/api/v1/channels/',
      payload: { type: 'instagram', ig_user_id: IG_USER, access_token: IG_TOKEN },
    });
    expect(failing.statusCode).toBe(502);
    expect(failing.json()).toMatchObject({
      detail: expect.stringMatching(/^Instagram is unavailable: it answered 503 \(Service temporarily unavailable\)\./),
      code: 'instagram_unreachable',
    });

    const refused = await t.as(token, {
      method: 'POST',
      url: '/api/v1/channels/',
      payload: { type: 'instagram', ig_user_id: IG_USER, access_token: 'IGQVJaTokenInstagramHasNeverIssued000' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'invalid_access_token' });
    expect(await channelsOf(t, token)).toMatchObject({ count: 0 });
  });

  it('disconnecting while Telegram fails: 502, the channel stays until the webhook is removed', async () => {
    expect((await connectBot()).statusCode).toBe(201);
    const [channel] = (await channelsOf(t, token)).results;
    const url = `/api/v1/channels/${channel!.id}/`;

    telegram.failNext('deleteWebhook', { error_code: 502, description: 'Bad Gateway' });
    const failed = await t.as(token, { method: 'DELETE', url });
    expect(failed.statusCode).toBe(502);
    expect(failed.json()).toEqual({
      detail:
        'Telegram is unavailable: it answered 502 (Bad Gateway). The channel is still connected, so its webhook can be removed; try again in a moment.',
      code: 'telegram_unreachable',
    });
    expect(await channelsOf(t, token)).toMatchObject({ count: 1 });
    expect(telegram.webhookOf(BOT_TOKEN)?.url).toBe(`https://chat.example.com/webhooks/telegram/${channel!.id}/`);

    const again = await t.as(token, { method: 'DELETE', url });
    expect(again.statusCode).toBe(204);
    expect(telegram.webhookOf(BOT_TOKEN)?.url ?? '').toBe('');
    expect(await channelsOf(t, token)).toMatchObject({ count: 0 });
  });

  it('disconnecting a bot whose token Telegram refuses still disconnects it', async () => {
    expect((await connectBot()).statusCode).toBe(201);
    const [channel] = (await channelsOf(t, token)).results;
    telegram.failNext('deleteWebhook', { error_code: 401, description: 'Unauthorized' });
    const response = await t.as(token, { method: 'DELETE', url: `/api/v1/channels/${channel!.id}/` });
    expect(response.statusCode).toBe(204);
    expect(await channelsOf(t, token)).toMatchObject({ count: 0 });
  });

  it('disconnecting while Telegram cannot be reached at all: 502 with the reason', async () => {
    expect((await connectBot()).statusCode).toBe(201);
    const [channel] = (await channelsOf(t, token)).results;
    await telegram.close();
    telegramOpen = false;
    const response = await t.as(token, { method: 'DELETE', url: `/api/v1/channels/${channel!.id}/` });
    expect(response.statusCode).toBe(502);
    // The pooled keep-alive connection may be the one that breaks: it closed before an answer came.
    expect(response.json()).toEqual({
      detail: expect.stringMatching(
        /^Telegram could not be reached: (connect ECONNREFUSED 127\.0\.0\.1:\d+|the connection closed before an answer came)\. The channel is still connected, so its webhook can be removed; try again in a moment\.$/,
      ),
      code: 'telegram_unreachable',
    });
    expect(await channelsOf(t, token)).toMatchObject({ count: 1 });
  });
});
