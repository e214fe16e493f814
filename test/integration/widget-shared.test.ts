import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeminiFake } from '../fakes/gemini.js';
import { createPostgresDatabase } from '../helpers/database.js';
import {
  cleanEnv,
  runParley,
  startParley,
  startParleyWorker,
  type ParleyProcess,
  type ParleyServer,
} from '../helpers/processes.js';
import { connectWidget, SITE } from '../helpers/widget.js';
import { testRedisPrefix } from '../helpers/redis-prefix.js';

/**
 * The website widget across processes on one PostgreSQL and one Redis: a visitor writes to
 * one `serve`, holds its socket on another, a `parley worker` answers, and an agent replies
 * through the first; the visitor sees all of it live. Their limits count together.
 */
const GEMINI_KEY = 'widget-shared-key';
let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let gemini: GeminiFake;
let env: NodeJS.ProcessEnv;
let serverA: ParleyServer;
let serverB: ParleyServer;
let worker: ParleyProcess;
let token: string;
let publicId: string;

interface Message {
  id: string;
  author: string;
  text: string;
}

const api = (
  server: ParleyServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const widgetApi = (server: ParleyServer, method: string, path: string, visitor?: string, body?: unknown) =>
  api(server, method, `/api/v1/widget/${publicId}/${path}`, body, {
    origin: SITE,
    ...(visitor ? { 'x-parley-visitor': visitor } : {}),
  });

const prefix = testRedisPrefix('widget');

beforeAll(async () => {
  database = await createPostgresDatabase();
  gemini = await GeminiFake.start({ apiKey: GEMINI_KEY });
  env = cleanEnv({
    DATABASE_URL: database.url,
    REDIS_URL: process.env.TEST_REDIS_URL!,
    PARLEY_REDIS_PREFIX: prefix,
    APP_SECRET: 'widget-shared-secret-widget-shared-secret-01',
    GEMINI_API_KEY: GEMINI_KEY,
    GEMINI_BASE_URL: gemini.url,
    PARLEY_WIDGET_MESSAGES_PER_MINUTE: '3',
  });
  serverA = await startParley(env);
  serverB = await startParley(env);
  worker = await startParleyWorker(env);
  expect((await runParley(['createuser', 'widget-shop', '--password', 'widget-password'], env)).code).toBe(0);
  token = (await runParley(['token', 'create', 'widget-shop'], env)).stdout.trim();
  const auth = { authorization: `Bearer ${token}` };
  const config = await api(
    serverA,
    'PUT',
    '/api/v1/ai/config/',
    { auto_response_enabled: true, reply_debounce_ms: 100 },
    auth,
  );
  expect(config.status).toBe(200);
  const created = await api(serverA, 'POST', '/api/v1/channels/', { type: 'website', allowed_origins: [SITE] }, auth);
  expect(created.status).toBe(201);
  publicId = ((await created.json()) as { widget: { public_id: string } }).widget.public_id;
});
afterAll(async () => {
  await Promise.all([serverA, serverB, worker].map((process) => process?.stop()));
  await gemini?.close();
  await database?.drop();
});

describe('the widget across processes (PostgreSQL + Redis)', () => {
  it('streams the worker’s answer and an agent’s reply to a socket on another process', async () => {
    const started = await widgetApi(serverA, 'POST', 'visitors/', undefined, { name: 'Ana' });
    expect(started.status).toBe(201);
    const visitor = ((await started.json()) as { visitor_token: string }).visitor_token;
    const socket = await connectWidget(serverB.url, publicId, visitor);

    gemini.enqueue({ text: 'We bake until 7.', chunks: ['We bake ', 'until 7.'] });
    expect(
      (await widgetApi(serverA, 'POST', 'messages/', visitor, { client_id: 'a-1', text: 'Until when?' })).status,
    ).toBe(202);
    const answer = await socket.waitFor(
      (frame) => frame.type === 'message' && (frame.message as Message).author === 'ai',
      15_000,
    );
    expect((answer.message as Message).text).toBe('We bake until 7.');
    const deltas = socket.frames.filter((frame) => frame.type === 'ai.delta').map((frame) => frame.text as string);
    expect(deltas.join('')).toBe('We bake until 7.');

    const auth = { authorization: `Bearer ${token}` };
    const list = await api(serverA, 'GET', '/api/v1/conversations/?channel=website', undefined, auth);
    const [conversation] = ((await list.json()) as { results: { id: string }[] }).results;
    const reply = await api(
      serverA,
      'POST',
      `/api/v1/conversations/${conversation!.id}/messages/`,
      { text: 'And on Sundays until noon.' },
      auth,
    );
    expect(reply.status).toBeLessThan(300);
    const agent = await socket.waitFor(
      (frame) => frame.type === 'message' && (frame.message as Message).author === 'agent',
      15_000,
    );
    expect((agent.message as Message).text).toBe('And on Sundays until noon.');
    await socket.close();
  });

  it('counts a visitor’s messages together on every process', async () => {
    const started = await widgetApi(serverB, 'POST', 'visitors/', undefined, {});
    const visitor = ((await started.json()) as { visitor_token: string }).visitor_token;
    const statuses: number[] = [];
    for (const [index, server] of [serverA, serverB, serverA, serverB].entries()) {
      const sent = await widgetApi(server, 'POST', 'messages/', visitor, {
        client_id: `c-${index}`,
        text: `hello ${index}`,
      });
      statuses.push(sent.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});
