import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app/server.js';
import { createApiToken, createUser } from '../../src/auth/auth.service.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import type { Cache } from '../../src/infra/cache.js';
import { createLocalQueue } from '../../src/infra/local-queue.js';
import { createRedisCache } from '../../src/infra/redis-cache.js';
import { closeRedis, connectRedis } from '../../src/infra/redis.js';
import { setQuotaLimits } from '../../src/usage/quota.service.js';
import { GeminiFake } from '../fakes/gemini.js';
import { testConfig } from '../helpers/app.js';
import { createPostgresDatabase } from '../helpers/database.js';

/**
 * Two `serve` processes on one database and one Redis: a business's caps and
 * a customer's replies an hour are the deployment's, whichever process
 * answers. Each process has its own database pool and Redis connection.
 */
const redisUrl = process.env.TEST_REDIS_URL!;
const prefix = `parley-test-caps-${randomBytes(4).toString('hex')}`;
const KEY = 'caps-shared-key';
const failOnError = (error: Error) => {
  throw error;
};

let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let gemini: GeminiFake;
const handles: DatabaseHandle[] = [];
const caches: Cache[] = [];
const apps: FastifyInstance[] = [];

async function instance(): Promise<FastifyInstance> {
  const config = testConfig({
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    PARLEY_REDIS_PREFIX: prefix,
    GEMINI_API_KEY: KEY,
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
    GEMINI_TIMEOUT_MS: '10000',
    PARLEY_CUSTOMER_REPLIES_PER_HOUR: '3',
  });
  const handle = await openDatabase({ kind: 'postgres', url: database.url });
  const cache = createRedisCache(redisUrl, failOnError, prefix);
  const app = await buildApp({ config, db: handle.db, readiness: {}, queue: createLocalQueue(), logger: false, cache });
  await app.ready();
  handles.push(handle);
  caches.push(cache);
  apps.push(app);
  return app;
}

let a: FastifyInstance;
let b: FastifyInstance;

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: KEY });
  database = await createPostgresDatabase();
  const setup = await openDatabase({ kind: 'postgres', url: database.url });
  await migrateDatabase(setup);
  await setup.close();
  a = await instance();
  b = await instance();
});
afterAll(async () => {
  // A customer's count lives an hour: the test's keys go with it, not with their TTLs.
  const redis = await connectRedis(redisUrl, failOnError);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await closeRedis(redis);
  for (const app of apps) await app.close();
  for (const cache of caches) await cache.close();
  for (const handle of handles) await handle.close();
  await database?.drop();
  await gemini?.close();
});

const modelCalls = () =>
  gemini.requests.filter((r) => r.method === 'generateContent' || r.method === 'streamGenerateContent').length;

async function business(username: string): Promise<{ id: string; token: string }> {
  const user = await createUser(handles[0]!.db, { username });
  const token = await createApiToken(handles[0]!.db, user.id, 'test');
  const config = await a.inject({
    method: 'PUT',
    url: '/api/v1/ai/config/',
    headers: { authorization: `Bearer ${token}` },
    payload: { auto_response_enabled: true, max_tokens: 100 },
  });
  expect(config.statusCode).toBe(200);
  return { id: user.id, token };
}

const ask = async (app: FastifyInstance, token: string, customer: string) =>
  (
    await app.inject({
      method: 'POST',
      url: '/api/v1/ai/ask/',
      headers: { authorization: `Bearer ${token}` },
      payload: { question: 'When do you open?', customer_id: customer },
    })
  ).json<{ auto_response_generated: boolean; reason?: string }>();

describe('two serve processes on one Redis', () => {
  it('hold a cap together: 20 concurrent asks against a cap that fits 5 reach the model at most 6 times', async () => {
    const { id, token } = await business('shared-cap');
    await setQuotaLimits(handles[0]!.db, id, { dailyTokens: 1_000 });
    gemini.setResponder(() => ({
      text: 'We open at nine.',
      usage: { promptTokenCount: 150, candidatesTokenCount: 50, totalTokenCount: 200 },
      delayMs: 300,
    }));
    const before = modelCalls();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask(i % 2 === 0 ? a : b, token, `walk-in-${i}`)),
    );
    const called = modelCalls() - before;
    expect(called).toBeGreaterThanOrEqual(1);
    expect(called).toBeLessThanOrEqual(6);
    expect(answers.filter((answer) => answer.auto_response_generated)).toHaveLength(called);
    expect(answers.filter((answer) => answer.reason === 'quota_exceeded')).toHaveLength(20 - called);
    gemini.reset();
  });

  it("count a customer's replies together", async () => {
    const { token } = await business('shared-customer');
    gemini.setResponder(() => ({ text: 'Sure.' }));
    for (const app of [a, b, a])
      expect(await ask(app, token, 'regular')).toMatchObject({ auto_response_generated: true });
    expect(await ask(b, token, 'regular')).toMatchObject({ reason: 'customer_rate_limited' });
    expect(await ask(a, token, 'someone-else')).toMatchObject({ auto_response_generated: true });
    gemini.reset();
  });
});
