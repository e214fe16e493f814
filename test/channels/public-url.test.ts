import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TelegramFake } from '../fakes/telegram.js';

/**
 * Telegram's own Bot API calls webhooks only at public HTTPS addresses on
 * ports 443, 80, 88 or 8443. Connecting a bot with a PUBLIC_URL it would not
 * call is refused before Telegram is asked, saying what to do; a self-hosted
 * Bot API server calls any address, so with one nothing is refused.
 */
const BOT_TOKEN = '123456789:AAEfakeTokenForTheBakeryBot_0123456789';
const OFFICIAL = 'https://api.telegram.org';

/**
 * What the server sends to the outside world, answered as Telegram's Bot API would; no real
 * network: HTTPS requests are turned, at `https.request`, into plain ones to a local stand-in.
 */
async function interceptTelegram() {
  const calls: { url: string; body: Record<string, unknown> }[] = [];
  const standIn = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const url = `${OFFICIAL}${request.url ?? ''}`;
      calls.push({ url, body: JSON.parse(text || '{}') as Record<string, unknown> });
      const method = url.split('/').at(-1);
      const result =
        method === 'getMe' ? { id: 123456789, is_bot: true, first_name: 'Rosa', username: 'rosa_bakery_bot' } : true;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
    });
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  closeStandIn = () => new Promise((resolve) => standIn.close(() => resolve()));
  const local = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
  vi.spyOn(https, 'request').mockImplementation(((url: URL, options: https.RequestOptions, callback) =>
    http.request(
      `${local}${url.pathname}`,
      { method: options.method, headers: options.headers },
      callback,
    )) as typeof https.request);
  return calls;
}
let closeStandIn = async () => {};

async function withApp(env: Record<string, string>, run: (t: TestApp, token: string) => Promise<void>) {
  const t = await createTestApp({ env });
  try {
    await run(t, await t.signUp('rosa'));
  } finally {
    await t.close();
  }
}

const connect = (t: TestApp, token: string) =>
  t.as(token, { method: 'POST', url: '/api/v1/channels/', payload: { type: 'telegram', bot_token: BOT_TOKEN } });
const channelCount = async (t: TestApp, token: string) =>
  (await t.as(token, { method: 'GET', url: '/api/v1/channels/' })).json<{ count: number }>().count;

afterEach(async () => {
  vi.restoreAllMocks();
  await closeStandIn();
  closeStandIn = async () => {};
});

describe('with Telegram’s own Bot API', () => {
  it('refuses an http PUBLIC_URL on a private address and port, before asking Telegram anything', async () => {
    const calls = await interceptTelegram();
    await withApp({ TELEGRAM_API_BASE: OFFICIAL, PUBLIC_URL: 'http://127.0.0.1:8000' }, async (t, token) => {
      const response = await connect(t, token);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        detail:
          'Telegram only calls public HTTPS URLs on port 443, 80, 88 or 8443; PUBLIC_URL is http://127.0.0.1:8000 (not https, port 8000, 127.0.0.1 is a private address). ' +
          'On a laptop, start a tunnel such as `cloudflared tunnel --url http://127.0.0.1:8000` and set PUBLIC_URL to the https URL it prints; ' +
          'on a server, set PUBLIC_URL to its public https address. Then connect the bot again.',
        code: 'public_url_unusable',
      });
      expect(calls).toEqual([]);
      expect(await channelCount(t, token)).toBe(0);
      // The channels screen shows the same before anyone pastes a token.
      const setup = await t.as(token, { method: 'GET', url: '/api/v1/channels/setup/' });
      expect(setup.json()).toMatchObject({
        public_url: 'http://127.0.0.1:8000',
        public_url_set: true,
        platforms: [
          {
            type: 'telegram',
            ready: false,
            requirement:
              'Telegram delivers your customers’ messages only to a public HTTPS address on port 443, 80, 88 or 8443, so PUBLIC_URL must be one.',
            problem: response.json<{ detail: string }>().detail,
          },
          { type: 'instagram' },
          { type: 'website', ready: true },
        ],
      });
    });
  });

  it('refuses when PUBLIC_URL is not set, saying so', async () => {
    const calls = await interceptTelegram();
    await withApp({ TELEGRAM_API_BASE: OFFICIAL, PORT: '8123' }, async (t, token) => {
      const response = await connect(t, token);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        detail: expect.stringContaining(
          "; PUBLIC_URL is not set, so Parley's address is http://127.0.0.1:8123. On a laptop, start a tunnel such as `cloudflared tunnel --url http://127.0.0.1:8123`",
        ),
        code: 'public_url_unusable',
      });
      expect(calls).toEqual([]);
      expect(await channelCount(t, token)).toBe(0);
    });
  });

  it('connects with a public https PUBLIC_URL on one of Telegram’s ports', async () => {
    const calls = await interceptTelegram();
    await withApp({ TELEGRAM_API_BASE: OFFICIAL, PUBLIC_URL: 'https://chat.example.com:8443' }, async (t, token) => {
      const response = await connect(t, token);
      expect(response.statusCode).toBe(201);
      const { id } = response.json<{ id: string }>();
      expect(calls.map((call) => call.url)).toEqual([
        `${OFFICIAL}/bot${BOT_TOKEN}/getMe`,
        `${OFFICIAL}/bot${BOT_TOKEN}/setWebhook`,
      ]);
      expect(calls[1]?.body).toMatchObject({ url: `https://chat.example.com:8443/webhooks/telegram/${id}/` });
      const setup = await t.as(token, { method: 'GET', url: '/api/v1/channels/setup/' });
      expect(setup.json()).toMatchObject({
        public_url: 'https://chat.example.com:8443',
        platforms: [{ type: 'telegram', ready: true, problem: null }, { type: 'instagram' }, { type: 'website' }],
      });
    });
  });
});

describe('with a self-hosted Bot API server', () => {
  it('connects with an http PUBLIC_URL on a loopback port: that server calls any address', async () => {
    const telegram = await TelegramFake.start();
    telegram.addBot(BOT_TOKEN, { id: 123456789, username: 'rosa_bakery_bot', first_name: 'Rosa' });
    try {
      await withApp({ TELEGRAM_API_BASE: telegram.url, PUBLIC_URL: 'http://127.0.0.1:8000' }, async (t, token) => {
        const response = await connect(t, token);
        expect(response.statusCode).toBe(201);
        const { id } = response.json<{ id: string }>();
        expect(telegram.webhookOf(BOT_TOKEN)?.url).toBe(`http://127.0.0.1:8000/webhooks/telegram/${id}/`);
      });
    } finally {
      await telegram.close();
    }
  });
});
