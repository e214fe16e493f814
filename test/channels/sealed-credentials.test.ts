import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { resealCredentials } from '../../src/channels/credentials.js';
import { channels, messages } from '../../src/db/schema/index.js';
import { secretBox } from '../../src/kernel/secret-box.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { freePort, until } from '../helpers/wait.js';
import { TelegramFake, telegramTextUpdate } from '../fakes/telegram.js';

/**
 * Bot tokens at rest: sealed for their own channel's row, readable when sealed
 * the old way or under APP_SECRET_PREVIOUS (and then re-sealed), and a token
 * copied into another row makes that channel "needs reconnection", never a 500.
 */
const ROSA_BOT = '111222333:AAErosaBakeryBotTokenSealedCredentials';
const BIKE_BOT = '444555666:AAEbobsBikesBotTokenSealedCredentials_';
const OLD_SECRET = 'old-app-secret-old-app-secret-0123456789';
const NEW_SECRET = 'new-app-secret-new-app-secret-0123456789';

/** A token as Parley sealed it before values were bound to their row (format v1). */
function sealTheOldWay(appSecret: string, plaintext: string): string {
  const key = Buffer.from(hkdfSync('sha256', appSecret, 'parley', 'channel-credentials', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', ...[iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'))].join('.');
}

let telegram: TelegramFake;
let t: TestApp;
let chatId = 7000;
let updateId = 1;

async function start(env: Record<string, string>): Promise<void> {
  telegram = await TelegramFake.start();
  telegram.addBot(ROSA_BOT, { username: 'rosa_bot' });
  telegram.addBot(BIKE_BOT, { username: 'bikes_bot' });
  const port = await freePort();
  t = await createTestApp({ env: { TELEGRAM_API_BASE: telegram.url, PUBLIC_URL: `http://127.0.0.1:${port}`, ...env } });
  await t.app.listen({ port, host: '127.0.0.1' });
}

afterEach(async () => {
  await t.close();
  await telegram.close();
});

async function connect(token: string, botToken: string): Promise<string> {
  const response = await t.as(token, {
    method: 'POST',
    url: '/api/v1/channels/',
    payload: { type: 'telegram', bot_token: botToken },
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ id: string }>().id;
}

const storedCredentials = async (channelId: string) =>
  (await t.db.select().from(channels).where(eq(channels.id, channelId)))[0]!.credentials;

const setCredentials = (channelId: string, credentials: string) =>
  t.db.update(channels).set({ credentials }).where(eq(channels.id, channelId));

/** A customer writes to the bot, an agent answers; resolves with the answer's stored delivery outcome. */
async function agentReply(token: string, botToken: string, text: string) {
  const chat = chatId++;
  const delivery = await telegram.deliver(
    botToken,
    telegramTextUpdate({ updateId: updateId++, messageId: 1, chatId: chat, text: 'Hello?', firstName: 'Ana' }),
  );
  expect(delivery.status).toBe(200);
  const list = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?channel=telegram' });
  const conversation = list
    .json<{ results: { id: string; customer_id: string }[] }>()
    .results.find((c) => c.customer_id === String(chat))!;
  const reply = await t.as(token, {
    method: 'POST',
    url: `/api/v1/conversations/${conversation.id}/messages/`,
    payload: { text },
  });
  expect(reply.statusCode).toBe(201);
  const messageId = reply.json<{ message: { id: string } }>().message.id;
  return until(async () => {
    const [message] = await t.db.select().from(messages).where(eq(messages.id, messageId));
    return message?.deliveryStatus === 'pending' ? undefined : message;
  });
}

const listed = async (token: string) =>
  (await t.as(token, { method: 'GET', url: '/api/v1/channels/' })).json<{
    results: { id: string; needs_reconnection: boolean }[];
  }>().results;

describe('sealed channel credentials', () => {
  it('seals a new token for its own row, and delivers with it', async () => {
    await start({});
    const rosa = await t.signUp('rosa');
    const channelId = await connect(rosa, ROSA_BOT);
    const sealed = await storedCredentials(channelId);
    expect(sealed).toMatch(/^v2\./);
    expect(sealed).not.toContain(ROSA_BOT.split(':')[1]);
    expect(await listed(rosa)).toEqual([expect.objectContaining({ id: channelId, needs_reconnection: false })]);

    const message = await agentReply(rosa, ROSA_BOT, 'Good morning!');
    expect(message).toMatchObject({ deliveryStatus: 'sent', deliveryError: null });
    expect(telegram.sent(ROSA_BOT).map((m) => m.text)).toEqual(['Good morning!']);
  });

  it('reads a token sealed the old way, and the start-up pass re-seals it for its row', async () => {
    await start({});
    const rosa = await t.signUp('rosa');
    const channelId = await connect(rosa, ROSA_BOT);
    const old = sealTheOldWay(t.config.appSecret!, ROSA_BOT);
    await setCredentials(channelId, old);

    expect(await listed(rosa)).toEqual([expect.objectContaining({ id: channelId, needs_reconnection: false })]);
    expect(await agentReply(rosa, ROSA_BOT, 'Still here.')).toMatchObject({ deliveryStatus: 'sent' });

    const secrets = secretBox(t.config.appSecret!);
    expect(await resealCredentials(t.db, secrets)).toEqual({ resealed: 1, unreadable: [] });
    const resealed = await storedCredentials(channelId);
    expect(resealed).toMatch(/^v2\./);
    expect(secrets.open(resealed, `channels/${channelId}/credentials`)).toEqual({ plaintext: ROSA_BOT });
    // Once re-sealed there is nothing left to do.
    expect(await resealCredentials(t.db, secrets)).toEqual({ resealed: 0, unreadable: [] });
    expect(await storedCredentials(channelId)).toBe(resealed);
    expect(await agentReply(rosa, ROSA_BOT, 'And now?')).toMatchObject({ deliveryStatus: 'sent' });
  });

  it('a token copied into another channel’s row does not open there: that channel needs reconnecting', async () => {
    await start({});
    const rosa = await t.signUp('rosa');
    const bob = await t.signUp('bob');
    const rosaChannel = await connect(rosa, ROSA_BOT);
    const bobChannel = await connect(bob, BIKE_BOT);
    await setCredentials(bobChannel, await storedCredentials(rosaChannel));

    expect(await listed(bob)).toEqual([expect.objectContaining({ id: bobChannel, needs_reconnection: true })]);
    expect(await listed(rosa)).toEqual([expect.objectContaining({ id: rosaChannel, needs_reconnection: false })]);

    // The agent's reply is accepted; its delivery fails at once with what to do, and nothing goes out as Rosa's bot.
    telegram.reset();
    const message = await agentReply(bob, BIKE_BOT, 'Your bike is ready.');
    expect(message).toMatchObject({
      deliveryStatus: 'failed',
      deliveryError: expect.stringContaining('disconnect the channel and connect it again'),
    });
    expect(telegram.sent()).toEqual([]);

    const secrets = secretBox(t.config.appSecret!);
    expect(await resealCredentials(t.db, secrets)).toEqual({ resealed: 0, unreadable: [bobChannel] });

    // Bob can still disconnect it (Telegram cannot be told without the token) and connect it again.
    const removed = await t.as(bob, { method: 'DELETE', url: `/api/v1/channels/${bobChannel}/` });
    expect(removed.statusCode).toBe(204);
    const again = await connect(bob, BIKE_BOT);
    expect(await listed(bob)).toEqual([expect.objectContaining({ id: again, needs_reconnection: false })]);
    expect(await agentReply(bob, BIKE_BOT, 'Ready now.')).toMatchObject({ deliveryStatus: 'sent' });
  });

  it('after APP_SECRET is rotated, reads tokens sealed under APP_SECRET_PREVIOUS and re-seals them under the new one', async () => {
    await start({ APP_SECRET: NEW_SECRET, APP_SECRET_PREVIOUS: OLD_SECRET });
    const rosa = await t.signUp('rosa');
    const bob = await t.signUp('bob');
    const rosaChannel = await connect(rosa, ROSA_BOT);
    const bobChannel = await connect(bob, BIKE_BOT);
    await setCredentials(rosaChannel, secretBox(OLD_SECRET).seal(ROSA_BOT, `channels/${rosaChannel}/credentials`));
    await setCredentials(bobChannel, sealTheOldWay(OLD_SECRET, BIKE_BOT));

    expect(await agentReply(rosa, ROSA_BOT, 'Rotated.')).toMatchObject({ deliveryStatus: 'sent' });
    expect(await resealCredentials(t.db, secretBox(NEW_SECRET, OLD_SECRET))).toEqual({ resealed: 2, unreadable: [] });

    // Everything now opens under the new secret alone, so APP_SECRET_PREVIOUS can be dropped.
    const newOnly = secretBox(NEW_SECRET);
    expect(newOnly.open(await storedCredentials(rosaChannel), `channels/${rosaChannel}/credentials`).plaintext).toBe(
      ROSA_BOT,
    );
    expect(newOnly.open(await storedCredentials(bobChannel), `channels/${bobChannel}/credentials`).plaintext).toBe(
      BIKE_BOT,
    );
    expect(await resealCredentials(t.db, newOnly)).toEqual({ resealed: 0, unreadable: [] });
  });
});
