import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeminiFake } from '../fakes/gemini.js';
import { createPostgresDatabase } from '../helpers/database.js';
import { cleanEnv, runParley, startParley, type ParleyServer } from '../helpers/processes.js';
import { testRedisPrefix } from '../helpers/redis-prefix.js';
import { connectLive, type Frame, type LiveClient } from '../helpers/ws.js';

/**
 * Two `parley serve` processes on one PostgreSQL and one Redis: a business's
 * live events reach its WebSocket whichever process produced them.
 */
const GEMINI_KEY = 'fanout-test-key';
let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let gemini: GeminiFake;
let env: NodeJS.ProcessEnv;
let serverA: ParleyServer;
let serverB: ParleyServer;
const clients: LiveClient[] = [];

const prefix = testRedisPrefix('ws');

beforeAll(async () => {
  database = await createPostgresDatabase();
  gemini = await GeminiFake.start({ apiKey: GEMINI_KEY });
  env = cleanEnv({
    DATABASE_URL: database.url,
    REDIS_URL: process.env.TEST_REDIS_URL!,
    // Its own namespace in the shared Redis, so no other suite's process hears these events.
    PARLEY_REDIS_PREFIX: prefix,
    APP_SECRET: 'fanout-test-secret-fanout-test-secret-0123',
    GEMINI_API_KEY: GEMINI_KEY,
    GEMINI_BASE_URL: gemini.url,
  });
  // The first migrates; the second starts on a migrated database.
  serverA = await startParley(env);
  serverB = await startParley(env);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all([serverA, serverB].map((server) => server?.stop()));
  await gemini?.close();
  await database?.drop();
});

async function business(username: string): Promise<string> {
  const created = await runParley(['createuser', username, '--password', 'fanout-password'], env);
  expect(created.code, created.stderr).toBe(0);
  const token = (await runParley(['token', 'create', username], env)).stdout.trim();
  const response = await fetch(`${serverB.url}/api/v1/ai/config/`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ auto_response_enabled: true }),
  });
  expect(response.status).toBe(200);
  return token;
}

async function ask(server: ParleyServer, token: string, customer: string, question: string): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/ai/ask/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ question, customer_id: customer }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { session_id: string; auto_response_generated: boolean };
  expect(body.auto_response_generated).toBe(true);
  return body.session_id.slice(4);
}

async function live(server: ParleyServer, token: string): Promise<LiveClient> {
  const client = await connectLive(server.url, { token });
  clients.push(client);
  return client;
}

const completedFor = (conversationId: string) => (frame: Frame) =>
  frame.type === 'ai.reply.completed' && frame.data?.conversation_id === conversationId;

describe('WebSocket fan-out across serve processes (PostgreSQL + Redis)', () => {
  it('shows a reply produced on one process live on another, to its business only', async () => {
    const shop = await business('fanout-shop');
    const bakery = await business('fanout-bakery');
    const shopOnA = await live(serverA, shop);
    const bakeryOnA = await live(serverA, bakery);
    const shopOnB = await live(serverB, shop);

    gemini.enqueue({ text: 'Open from 9 to 5.', chunks: ['Open ', 'from 9 ', 'to 5.'] });
    const conversationId = await ask(serverB, shop, 'fanout-1@example.com', 'When are you open?');

    for (const client of [shopOnA, shopOnB]) {
      await client.waitFor(completedFor(conversationId), 10_000);
      const events = client.frames.filter((frame) => frame.data?.conversation_id === conversationId);
      expect(events.map((frame) => frame.type)).toEqual([
        'conversation.created',
        'message.created',
        'ai.reply.started',
        'ai.reply.delta',
        'ai.reply.delta',
        'ai.reply.delta',
        'message.created',
        'ai.reply.completed',
      ]);
      expect(events.at(-1)?.data).toMatchObject({ message: { type: 'AI', text: 'Open from 9 to 5.' } });
    }

    // The bakery's own reply, published by the same process after the shop's, is the proof that
    // the shop's events had their chance to arrive: one Redis connection keeps them in order.
    gemini.enqueue({ text: 'Fresh bread at 7.' });
    const bakeryConversation = await ask(serverB, bakery, 'fanout-2@example.com', 'Bread?');
    await bakeryOnA.waitFor(completedFor(bakeryConversation), 10_000);
    const seen = bakeryOnA.frames.filter((frame) => frame.type !== 'hello');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((frame) => frame.data?.conversation_id === bakeryConversation)).toBe(true);
  });

  it('closes its sockets with 1001 when a process shuts down, and exits cleanly', async () => {
    const token = await business('fanout-closer');
    const extra = await startParley(env);
    try {
      const client = await connectLive(extra.url, { token });
      const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
      expect(await extra.stop('SIGTERM')).toBe(0);
      expect(await closed).toBe(1001);
    } finally {
      await extra.stop('SIGKILL');
    }
  });
});
