import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels } from '../../src/db/schema/index.js';
import { GraphFake } from '../fakes/graph.js';
import { telegramTextUpdate, type TelegramFake } from '../fakes/telegram.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';

/**
 * A channel's health as its owner sees it on the channels screen: what Telegram says of the
 * bot's webhook (getWebhookInfo), whether Instagram still takes the token, and the replies
 * Parley could not deliver in the last day.
 */
const BOT_TOKEN = '555000333:AAEbakeryBotTokenForTheChannelHealthTest';
const IG_USER = '17841400000000077';
const IG_TOKEN = 'IGQVJfakeAccessTokenForTheHealthTest0123';
const CHAT = 7070;

let t: TelegramTestApp;
let telegram: TelegramFake;
let graph: GraphFake;
let rosa: string;
let bob: string;
let botChannel: string;
let igChannel: string;
let updateId = 1;

interface Health {
  problems: { code: string; detail: string }[];
  needs_reconnection: boolean;
  platform_reachable: boolean | null;
  webhook: {
    url: string;
    points_here: boolean;
    pending_update_count: number;
    last_error_at: string | null;
    last_error_message: string | null;
  } | null;
  failed_deliveries: { last_day: number; last_at: string | null; last_error: string | null };
}

const health = async (token: string, id: string) => {
  const response = await t.as(token, { method: 'GET', url: `/api/v1/channels/${id}/health/` });
  return { status: response.statusCode, body: response.json<Health>() };
};
const codes = (body: Health) => body.problems.map((problem) => problem.code);
const callTelegram = (method: string, body: Record<string, unknown>) =>
  fetch(`${telegram.url}/bot${BOT_TOKEN}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** Sets the bot's webhook back as Parley had it (the fake tells its secret), optionally dropping what waits. */
const restoreWebhook = (webhook: NonNullable<ReturnType<TelegramFake['webhookOf']>>, drop = false) =>
  callTelegram('setWebhook', {
    url: webhook.url,
    secret_token: webhook.secret_token,
    allowed_updates: webhook.allowed_updates,
    ...(drop ? { drop_pending_updates: true } : {}),
  });

beforeAll(async () => {
  graph = await GraphFake.start();
  graph.addAccount(IG_USER, IG_TOKEN, 'rosa_bakery');
  t = await createTelegramTestApp(
    { token: BOT_TOKEN, id: 555000333, username: 'rosa_health_bot' },
    { META_GRAPH_BASE: graph.url },
  );
  telegram = t.telegram;
  rosa = await t.telegramBusiness('rosa');
  bob = await t.business('bob');
  const listed = await t.as(rosa, { method: 'GET', url: '/api/v1/channels/' });
  botChannel = listed.json<{ results: { id: string }[] }>().results[0]!.id;
  const ig = await t.as(rosa, {
    method: 'POST',
    url: '/api/v1/channels/',
    payload: { type: 'instagram', ig_user_id: IG_USER, access_token: IG_TOKEN },
  });
  igChannel = ig.json<{ id: string }>().id;
});
afterAll(async () => {
  await t?.close();
  await graph?.close();
});
beforeEach(() => {
  telegram.reset();
  graph.reset();
  t.gemini.reset();
});

describe('GET /api/v1/channels/{id}/health/', () => {
  it('reports a working bot: its webhook points here, nothing waits, nothing failed', async () => {
    const { status, body } = await health(rosa, botChannel);
    expect(status).toBe(200);
    expect(body).toEqual({
      channel_id: botChannel,
      checked_at: expect.any(String),
      problems: [],
      needs_reconnection: false,
      platform_reachable: true,
      webhook: {
        url: `${t.config.publicUrl}/webhooks/telegram/${botChannel}/`,
        points_here: true,
        pending_update_count: 0,
        last_error_at: null,
        last_error_message: null,
      },
      failed_deliveries: { last_day: 0, last_at: null, last_error: null },
    });
    expect(telegram.calls.map((call) => call.method)).toEqual(['getWebhookInfo']);
  });

  it('shows what Telegram holds when it could not deliver to Parley, and its last error', async () => {
    // A delivery Parley refuses (a wrong secret) is one Telegram keeps and reports.
    const refused = await telegram.deliver(
      BOT_TOKEN,
      telegramTextUpdate({ updateId: updateId++, messageId: 1, chatId: CHAT, text: 'hello?' }),
      { secretToken: 'not-the-secret' },
    );
    expect(refused.status).toBe(401);
    const { body } = await health(rosa, botChannel);
    expect(body.webhook).toMatchObject({
      points_here: true,
      pending_update_count: 1,
      last_error_at: expect.any(String),
      last_error_message: 'Wrong response from the webhook: 401 Unauthorized',
    });
    expect(Date.now() - Date.parse(body.webhook!.last_error_at!)).toBeLessThan(60_000);
    expect(body.problems).toEqual([
      {
        code: 'webhook_failing',
        detail:
          'Telegram could not deliver to Parley (“Wrong response from the webhook: 401 Unauthorized”) and 1 update waits: check that PUBLIC_URL reaches this server.',
      },
    ]);
    // Dropped (as `setWebhook` with drop_pending_updates does), nothing waits: the old error stays, and is no problem.
    await restoreWebhook(telegram.webhookOf(BOT_TOKEN)!, true);
    const dropped = (await health(rosa, botChannel)).body;
    expect(dropped.webhook).toMatchObject({ pending_update_count: 0, last_error_message: null });
    expect(dropped.problems).toEqual([]);
  });

  it('counts the replies that could not be delivered in the last day, with the latest reason', async () => {
    telegram.blockChat(CHAT);
    t.gemini.enqueue({ text: 'We open at 7.' });
    const delivered = await telegram.deliver(
      BOT_TOKEN,
      telegramTextUpdate({ updateId: updateId++, messageId: 10, chatId: CHAT, text: 'When do you open?' }),
    );
    expect(delivered.status).toBe(200);
    const { body } = await until(async () => {
      const answer = await health(rosa, botChannel);
      return answer.body.failed_deliveries.last_day > 0 ? answer : undefined;
    });
    expect(body.failed_deliveries).toEqual({
      last_day: 1,
      last_at: expect.any(String),
      last_error: 'Telegram 403: Forbidden: bot was blocked by the user',
    });
    expect(body.problems).toContainEqual({
      code: 'deliveries_failed',
      detail:
        '1 reply could not be delivered in the last day; the latest: Telegram 403: Forbidden: bot was blocked by the user.',
    });
    // Another channel of the same business counts only its own.
    expect((await health(rosa, igChannel)).body.failed_deliveries.last_day).toBe(0);
  });

  it('says Telegram could not be reached rather than failing, keeping what Parley knows', async () => {
    telegram.failNext('getWebhookInfo', { error_code: 502, description: 'Bad Gateway' });
    const { status, body } = await health(rosa, botChannel);
    expect(status).toBe(200);
    expect(body.platform_reachable).toBe(false);
    expect(body.webhook).toBeNull();
    expect(body.problems[0]).toEqual({
      code: 'telegram_unreachable',
      detail:
        'Telegram is unavailable: it answered 502 (Bad Gateway), so how the bot is doing is not known; check again in a moment.',
    });
    expect(body.failed_deliveries.last_day).toBe(1);
  });

  it('says when Telegram no longer accepts the token, or delivers the bot’s messages elsewhere', async () => {
    telegram.failNext('getWebhookInfo', { error_code: 401, description: 'Unauthorized' });
    const revoked = (await health(rosa, botChannel)).body;
    expect(revoked.platform_reachable).toBe(true);
    expect(revoked.problems[0]).toMatchObject({
      code: 'invalid_bot_token',
      detail: expect.stringContaining('Telegram no longer accepts this bot’s token (Unauthorized)'),
    });

    const ours = `${t.config.publicUrl}/webhooks/telegram/${botChannel}/`;
    const saved = telegram.webhookOf(BOT_TOKEN)!;
    expect(saved.url).toBe(ours);
    await callTelegram('setWebhook', { url: 'https://elsewhere.example.com/hook' });
    const elsewhere = (await health(rosa, botChannel)).body;
    expect(elsewhere.webhook).toMatchObject({ url: 'https://elsewhere.example.com/hook', points_here: false });
    expect(elsewhere.problems[0]).toEqual({
      code: 'webhook_elsewhere',
      detail: `Telegram delivers this bot’s messages to https://elsewhere.example.com/hook, not to this server (${ours}): another program set the bot’s webhook, or PUBLIC_URL changed. Disconnect the bot and connect it again.`,
    });

    await callTelegram('deleteWebhook', {});
    const missing = (await health(rosa, botChannel)).body;
    expect(missing.webhook).toMatchObject({ url: '', points_here: false });
    expect(codes(missing)[0]).toBe('webhook_missing');
    await restoreWebhook(saved);
    expect((await health(rosa, botChannel)).body.webhook?.points_here).toBe(true);
  });

  it('asks Instagram whether the access token still works', async () => {
    const fine = (await health(rosa, igChannel)).body;
    expect(fine).toMatchObject({ problems: [], platform_reachable: true, webhook: null, needs_reconnection: false });
    expect(graph.calls.map((call) => call.path)).toEqual([expect.stringMatching(/\/me$/)]);

    graph.failNext({ status: 400, code: 190, message: 'Error validating access token: Session has expired.' });
    const expired = (await health(rosa, igChannel)).body;
    expect(expired.problems).toEqual([
      {
        code: 'invalid_access_token',
        detail:
          'Instagram no longer accepts the access token (Error validating access token: Session has expired); tokens expire unless refreshed. Disconnect the account and connect it again with a new token.',
      },
    ]);

    graph.failNext({ status: 503, code: 2, message: 'Service temporarily unavailable' });
    const down = (await health(rosa, igChannel)).body;
    expect(down.platform_reachable).toBe(false);
    expect(codes(down)).toEqual(['instagram_unreachable']);
  });

  it('says a channel whose credentials cannot be read must be reconnected, without asking the platform', async () => {
    const [row] = await t.db.select().from(channels).where(eq(channels.id, igChannel));
    await t.db.update(channels).set({ credentials: 'v1.garbage' }).where(eq(channels.id, igChannel));
    try {
      const { body } = await health(rosa, igChannel);
      expect(body).toMatchObject({ needs_reconnection: true, platform_reachable: null, webhook: null });
      expect(codes(body)).toEqual(['needs_reconnection']);
      expect(graph.calls).toEqual([]);
    } finally {
      await t.db.update(channels).set({ credentials: row!.credentials }).where(eq(channels.id, igChannel));
    }
  });

  it('answers 404 for another business’s channel or none, and 400 for an unreadable id', async () => {
    for (const id of [botChannel, igChannel, 'nosuchchannel']) {
      const response = await t.as(bob, { method: 'GET', url: `/api/v1/channels/${id}/health/` });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ detail: 'No such channel.', code: 'not_found' });
    }
    expect(telegram.calls).toEqual([]);
    const long = await t.as(rosa, { method: 'GET', url: '/api/v1/channels/bell%07/health/' });
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ code: 'validation_error', errors: { channel_id: [expect.any(String)] } });
    const anonymous = await t.app.inject({ method: 'GET', url: `/api/v1/channels/${botChannel}/health/` });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('GET /api/v1/channels/setup/', () => {
  it('shows the public URL and what each platform needs of it', async () => {
    const response = await t.as(rosa, { method: 'GET', url: '/api/v1/channels/setup/' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      public_url: t.config.publicUrl,
      public_url_set: true,
      platforms: [
        {
          type: 'telegram',
          ready: true,
          // The fake stands where a self-hosted Bot API server would: it calls any address.
          requirement: `Telegram messages come through the Bot API server at ${telegram.url} (TELEGRAM_API_BASE), which delivers them to PUBLIC_URL.`,
          problem: null,
          webhook_url: null,
        },
        {
          type: 'instagram',
          ready: false,
          requirement: expect.stringContaining('set the callback URL to the one shown here'),
          problem:
            'META_APP_SECRET and META_VERIFY_TOKEN are not set on this server, so Meta’s deliveries would be refused: set them and restart Parley.',
          webhook_url: `${t.config.publicUrl}/webhooks/instagram/`,
        },
        {
          type: 'website',
          ready: true,
          requirement: expect.stringContaining('PUBLIC_URL') as string,
          problem: null,
          webhook_url: null,
        },
      ],
    });
  });
});
