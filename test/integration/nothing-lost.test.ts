import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeminiFake } from '../fakes/gemini.js';
import { GraphFake, instagramBatch, instagramMessageEvent } from '../fakes/graph.js';
import { TelegramFake, telegramTextUpdate } from '../fakes/telegram.js';
import { createPostgresDatabase } from '../helpers/database.js';
import { cleanEnv, runParley, startParley, startParleyWorker, type ParleyServer } from '../helpers/processes.js';
import { freePort, until } from '../helpers/wait.js';

/**
 * "Nothing lost" with `serve` and `worker` as separate processes on real
 * PostgreSQL and Redis: a worker killed mid-reply, Redis restarting, the model
 * down. This suite runs its own redis-server, so restarting it disturbs no other suite.
 */
const BOT_TOKEN = '777000333:AAEnothingLostBotTokenForIntegration';
const IG_ID = '17841400000000777';
const IG_TOKEN = 'IGQVJnothingLostAccessTokenForIntegration01';
const META_SECRET = 'nothing-lost-meta-app-secret';

let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let gemini: GeminiFake;
let telegram: TelegramFake;
let graph: GraphFake;
let redisPort: number;
let redisServer: ChildProcess;
let serve: ParleyServer;
let worker: ChildProcess;
let env: NodeJS.ProcessEnv;
let token: string;
let updateId = 1;
let chat = 9100;

async function startRedis(): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await until(async () => {
    const probe = new Redis({ port: redisPort, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG' ? true : undefined;
    } catch {
      return undefined;
    } finally {
      probe.disconnect();
    }
  }, 10_000);
  return child;
}

const startWorker = async () => (await startParleyWorker(env)).process;

const kill = (child: ChildProcess, signal: NodeJS.Signals) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });

const say = (chatId: number, text: string, id = updateId++) =>
  telegram.deliver(BOT_TOKEN, telegramTextUpdate({ updateId: id, messageId: id * 10, chatId, text, firstName: 'Lia' }));
const sentTo = (chatId: number) => telegram.sent(BOT_TOKEN).filter((m) => String(m.chat_id) === String(chatId));
const modelCalls = () => gemini.requests.filter((request) => /generatecontent$/i.test(request.method));
const api = async (method: string, url: string, body?: unknown) => {
  const response = await fetch(`${serve.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
async function query<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
const aiMessagesOf = (chatId: number) =>
  query<{ text: string }>(
    `select m.text from messages m join conversations c on c.id = m.conversation_id
      where c.customer_id = $1 and m.type = 'AI' order by m.seq`,
    [String(chatId)],
  );

beforeAll(async () => {
  [database, gemini, telegram, graph, redisPort] = await Promise.all([
    createPostgresDatabase(),
    GeminiFake.start({ apiKey: 'nothing-lost-key' }),
    TelegramFake.start(),
    GraphFake.start(),
    freePort(),
  ]);
  graph.addAccount(IG_ID, IG_TOKEN);
  telegram.addBot(BOT_TOKEN, { id: 777000333, username: 'lia_bot' });
  redisServer = await startRedis();
  const port = await freePort();
  env = cleanEnv({
    DATABASE_URL: database.url,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PARLEY_REDIS_PREFIX: `parley-test-${randomBytes(4).toString('hex')}`,
    APP_SECRET: 'nothing-lost-secret-nothing-lost-secret-01',
    GEMINI_API_KEY: 'nothing-lost-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
    GEMINI_REQUESTS_PER_MINUTE: '0',
    TELEGRAM_API_BASE: telegram.url,
    META_GRAPH_BASE: graph.url,
    META_APP_SECRET: META_SECRET,
    META_VERIFY_TOKEN: 'nothing-lost-verify',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  expect((await runParley(['createuser', 'lia', '--password', 'lias long password'], env)).code).toBe(0);
  const created = await runParley(['token', 'create', 'lia'], env);
  expect(created.code).toBe(0);
  token = created.stdout.trim();
  [serve, worker] = await Promise.all([startParley(env, 'serve'), startWorker()]);
  expect(
    (
      await api('PUT', '/api/v1/ai/config/', {
        auto_response_enabled: true,
        reply_debounce_ms: 100,
        handover_message: 'A person will write to you.',
      })
    ).status,
  ).toBe(200);
  expect((await api('POST', '/api/v1/channels/', { type: 'telegram', bot_token: BOT_TOKEN })).status).toBe(201);
  expect(
    (await api('POST', '/api/v1/channels/', { type: 'instagram', ig_user_id: IG_ID, access_token: IG_TOKEN })).status,
  ).toBe(201);
}, 90_000);

afterAll(async () => {
  await Promise.all([serve && serve.stop(), worker && kill(worker, 'SIGTERM')]);
  if (redisServer) await kill(redisServer, 'SIGKILL');
  await Promise.all([gemini?.close(), telegram?.close(), graph?.close()]);
  await database?.drop();
}, 60_000);

describe('serve and worker as separate processes', () => {
  it('answers a message once however often Telegram delivers it', async () => {
    gemini.reset();
    const id = updateId++;
    gemini.enqueue({ text: 'Hello Lia!' });
    chat++;
    for (let i = 0; i < 3; i++) expect(await say(chat, 'hello', id).then((d) => d.status)).toBe(200);
    await until(() => (sentTo(chat).length > 0 ? true : undefined), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sentTo(chat).map((m) => m.text)).toEqual(['Hello Lia!']);
    expect(modelCalls()).toHaveLength(1);
  }, 30_000);

  it('answers an Instagram message once through the Send API, however often Meta delivers it', async () => {
    gemini.reset();
    graph.reset();
    gemini.enqueue({ text: 'Yes, until 8 pm.' });
    const payload = instagramBatch(
      instagramMessageEvent({ igId: IG_ID, senderId: 'igsid-lia', mid: 'm_lia_1', text: 'Open late?' }),
    );
    const webhook = `${serve.url}/webhooks/instagram/`;
    for (let i = 0; i < 2; i++) {
      expect((await graph.deliver(webhook, payload, { appSecret: META_SECRET })).status).toBe(200);
    }
    await until(() => (graph.sent.length > 0 ? true : undefined), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(graph.sent.map((m) => [m.recipientId, m.text])).toEqual([['igsid-lia', 'Yes, until 8 pm.']]);
    expect(modelCalls()).toHaveLength(1);
  }, 30_000);

  it('sends a long answer in parts within Telegram’s limit, after Telegram asks the bot to slow down', async () => {
    gemini.reset();
    telegram.reset();
    const long = 'Our croissants are laminated by hand every night. '.repeat(120).trim();
    gemini.enqueue({ text: long });
    telegram.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      retry_after: 1,
    });
    await say(++chat, 'tell me about your croissants');
    const parts = await until(() => {
      const sent = sentTo(chat);
      return sent.length >= 2 && sent.map((m) => m.text).join(' ') === long ? sent : undefined;
    }, 20_000);
    expect(parts.every((part) => part.text.length <= 4_096)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sentTo(chat)).toHaveLength(parts.length);
  }, 40_000);

  it('answers a burst with one reply that saw every message, and is silent once a person takes over', async () => {
    gemini.reset();
    telegram.reset();
    gemini.enqueue({ text: 'Two rye loaves, ready at 9.' });
    chat++;
    for (const text of ['Hi', 'two rye loaves', 'for tomorrow at 9']) await say(chat, text);
    await until(() => (sentTo(chat).length > 0 ? true : undefined), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(modelCalls()).toHaveLength(1);
    expect(JSON.stringify(modelCalls()[0]?.body)).toContain('Hi\\n\\ntwo rye loaves\\n\\nfor tomorrow at 9');
    expect(sentTo(chat).map((m) => m.text)).toEqual(['Two rye loaves, ready at 9.']);

    const [conversation] = await query<{ id: string }>('select id from conversations where customer_id = $1', [
      String(chat),
    ]);
    const takeover = await api('PUT', `/api/v1/ai/conversations/${conversation!.id}/status/`, {
      status: 'support_active',
    });
    expect(takeover.status).toBe(200);
    await say(chat, 'and a croissant');
    const reply = await api('POST', `/api/v1/conversations/${conversation!.id}/messages/`, { text: 'Added, Lia!' });
    expect(reply.status).toBe(201);
    await until(() => (sentTo(chat).length > 1 ? true : undefined), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sentTo(chat).map((m) => m.text)).toEqual(['Two rye loaves, ready at 9.', 'Added, Lia!']);
    expect(modelCalls()).toHaveLength(1);
  }, 45_000);

  it('sends the reply exactly once when the worker is killed mid-reply and another takes over', async () => {
    gemini.reset();
    telegram.reset();
    // The first call hangs in the model while the worker dies; the retry gets the second answer.
    gemini.enqueue({ text: 'Too late.', delayMs: 15_000 }, { text: 'Yes, we have gluten-free bread.' });
    await say(++chat, 'Do you have gluten-free bread?');
    await until(() => (modelCalls().length > 0 ? true : undefined), 15_000);
    await kill(worker, 'SIGKILL');
    worker = await startWorker();

    const [reply] = await until(() => (sentTo(chat).length > 0 ? sentTo(chat) : undefined), 45_000);
    expect(reply?.text).toBe('Yes, we have gluten-free bread.');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(sentTo(chat)).toHaveLength(1);
    expect(await aiMessagesOf(chat)).toEqual([{ text: 'Yes, we have gluten-free bread.' }]);
  }, 90_000);

  it('keeps working after Redis restarts: both processes reconnect and the next message is answered', async () => {
    gemini.reset();
    telegram.reset();
    await kill(redisServer, 'SIGKILL');
    redisServer = await startRedis();
    gemini.enqueue({ text: 'Still here.' });
    const delivery = await say(++chat, 'are you still there?');
    expect(delivery.status).toBe(200);
    const [reply] = await until(() => (sentTo(chat).length > 0 ? sentTo(chat) : undefined), 45_000);
    expect(reply?.text).toBe('Still here.');
    const ready = await fetch(`${serve.url}/readyz`);
    expect(ready.status).toBe(200);
  }, 90_000);

  it('keeps the message waiting while the model is down, retries, then hands it to people', async () => {
    gemini.reset();
    telegram.reset();
    gemini.setResponder(() => ({ error: { status: 503 } }));
    await say(++chat, 'Can I order a cake for Friday?');
    // While the model is down the conversation stays with the AI and the customer hears nothing.
    await until(() => (modelCalls().length >= 2 ? true : undefined), 20_000);
    const [waiting] = await query<{ status: string }>('select status from conversations where customer_id = $1', [
      String(chat),
    ]);
    expect(waiting?.status).toBe('active');
    expect(sentTo(chat)).toHaveLength(0);

    const [notice] = await until(() => (sentTo(chat).length > 0 ? sentTo(chat) : undefined), 80_000);
    expect(notice?.text).toBe('A person will write to you.');
    const [handedOver] = await query<{ status: string; reason: string }>(
      `select c.status, h.reason from conversations c join handovers h on h.conversation_id = c.id
        where c.customer_id = $1`,
      [String(chat)],
    );
    expect(handedOver).toEqual({ status: 'support_active', reason: 'ai_unavailable' });
    expect(modelCalls()).toHaveLength(6);
    gemini.reset();
  }, 120_000);
});
