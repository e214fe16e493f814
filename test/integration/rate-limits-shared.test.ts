import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app/server.js';
import { createApiToken, createUser } from '../../src/auth/auth.service.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { createLocalQueue } from '../../src/infra/local-queue.js';
import { createRedisCache } from '../../src/infra/redis-cache.js';
import { closeRedis, connectRedis, type Redis } from '../../src/infra/redis.js';
import type { Cache } from '../../src/infra/cache.js';
import { testConfig } from '../helpers/app.js';
import { createPostgresDatabase } from '../helpers/database.js';

/**
 * Two `serve` processes behind one load balancer share their counts through
 * Redis: a limit is the deployment's, not each process's. Another deployment
 * on the same Redis (another PARLEY_REDIS_PREFIX) counts apart.
 */
const redisUrl = process.env.TEST_REDIS_URL!;
const prefix = `parley-test-limits-${randomBytes(4).toString('hex')}`;
const failOnError = (error: Error) => {
  throw error;
};

interface Instance {
  app: FastifyInstance;
  redis: Redis;
  cache: Cache;
}

let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let handle: DatabaseHandle;
const instances: Instance[] = [];

async function instance(redisPrefix: string): Promise<FastifyInstance> {
  const config = testConfig({
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    PARLEY_REDIS_PREFIX: redisPrefix,
    PARLEY_API_REQUESTS_PER_MINUTE: '4',
    PARLEY_SIGN_IN_FAILURES: '2',
  });
  const redis = await connectRedis(redisUrl, failOnError);
  const cache = createRedisCache(redisUrl, failOnError, redisPrefix);
  const app = await buildApp({
    config,
    db: handle.db,
    readiness: {},
    queue: createLocalQueue(),
    logger: false,
    redis,
    cache,
  });
  await app.ready();
  instances.push({ app, redis, cache });
  return app;
}

let a: FastifyInstance;
let b: FastifyInstance;
let elsewhere: FastifyInstance;

beforeAll(async () => {
  database = await createPostgresDatabase();
  handle = await openDatabase({ kind: 'postgres', url: database.url });
  await migrateDatabase(handle);
  a = await instance(prefix);
  b = await instance(prefix);
  elsewhere = await instance(`${prefix}-other`);
});
afterAll(async () => {
  const [first] = instances;
  if (first) {
    const keys = await first.redis.keys(`${prefix}*`);
    if (keys.length > 0) await first.redis.del(...keys);
  }
  for (const { app, redis, cache } of instances) {
    await app.close();
    await cache.close();
    await closeRedis(redis);
  }
  await handle?.close();
  await database?.drop();
});

const me = (app: FastifyInstance, token: string) =>
  app.inject({ method: 'GET', url: '/api/v1/auth/me/', headers: { authorization: `Bearer ${token}` } });
const signIn = (app: FastifyInstance, password: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/token/', payload: { username: 'shared-owner', password } });

describe('two serve processes on one Redis', () => {
  it("share a token's count, under their own prefix, apart from another deployment's", async () => {
    const user = await createUser(handle.db, { username: 'shared-user' });
    const token = await createApiToken(handle.db, user.id, 'test');
    const statuses = [];
    for (const app of [a, b, a, b]) statuses.push((await me(app, token)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200]);

    for (const app of [a, b]) {
      const refused = await me(app, token);
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ code: 'rate_limited' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect((await me(elsewhere, token)).statusCode).toBe(200);

    const keys = await instances[0]!.redis.keys(`${prefix}:rate-limit:*`);
    expect(keys.length).toBeGreaterThan(0);
  });

  it("share a username's failed sign-ins, so a lock-out holds on both", async () => {
    await createUser(handle.db, { username: 'shared-owner', password: 'shared-real-password' });
    expect((await signIn(a, 'guess one')).statusCode).toBe(401);
    expect((await signIn(b, 'guess two')).statusCode).toBe(401);
    for (const app of [a, b]) {
      const locked = await signIn(app, 'shared-real-password');
      expect(locked.statusCode).toBe(429);
      expect(locked.headers['retry-after']).toBe('60');
    }
    expect((await signIn(elsewhere, 'shared-real-password')).statusCode).toBe(200);
  });
});
