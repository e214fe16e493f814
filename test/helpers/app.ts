import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../src/kernel/config.js';
import type { ReadinessCheck } from '../../src/app/health.routes.js';
import { sharedKeyModel } from '../../src/model/shared-key.js';
import { secretBox } from '../../src/kernel/secret-box.js';
import { buildApp } from '../../src/app/server.js';
import { createLocalCache, type Cache } from '../../src/infra/cache.js';
import { createLocalQueue } from '../../src/infra/local-queue.js';
import { instrumentModel } from '../../src/metrics/instrument-model.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import type { Queue } from '../../src/infra/queue.js';
import { startAllJobs } from '../../src/jobs/catalogue.js';
import { modelHealthView } from '../../src/jobs/scheduled.jobs.js';
import { createApiToken, createUser } from '../../src/auth/auth.service.js';
import type { Database } from '../../src/db/client.js';
import type { Watchers } from '../../src/events/watchers.js';
import { createLocalEventBus, type EventBus, type ParleyEvent } from '../../src/events/events.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  database: TestDatabase;
  config: Config;
  events: EventBus;
  queue: Queue;
  /** What /metrics shows, the jobs' model calls included. */
  metrics: Metrics;
  /** Every event published, with the business it went to, in order. */
  published: { userId: string; event: ParleyEvent }[];
  /** Creates a business account and a token for it. */
  signUp(username: string, options?: { password?: string; isAdmin?: boolean; email?: string }): Promise<string>;
  /** `app.inject` with the token as a Bearer header. */
  as(token: string, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    PARLEY_DATA_DIR: '/nonexistent/parley-test',
    LOG_LEVEL: 'silent',
    APP_SECRET: 'test-app-secret-test-app-secret-0123456789',
    // The shared key's rate limit has its own tests; elsewhere it would only slow suites down.
    GEMINI_REQUESTS_PER_MINUTE: '0',
    // Suites sign in and call the API far more than people do; the limits' own tests set them low.
    PARLEY_API_REQUESTS_PER_MINUTE: '1000000',
    PARLEY_ASKS_PER_MINUTE: '1000000',
    PARLEY_AGENT_REPLIES_PER_MINUTE: '1000000',
    PARLEY_WEBHOOKS_PER_MINUTE: '1000000',
    PARLEY_SIGN_INS_PER_MINUTE: '1000000',
    PARLEY_SIGN_IN_FAILURES: '1000',
    // Cheap hashes: suites create many accounts. Production's OWASP cost has its own tests.
    PARLEY_PASSWORD_COST: '10',
    ...env,
  });
}

export async function createTestApp(
  options: {
    env?: Record<string, string>;
    readiness?: Record<string, ReadinessCheck>;
    /** As in production: answers stream only while the business has a socket open. Default: always stream. */
    watchers?: Watchers;
    /** What processes share (a Redis cache, for several apps as one deployment); a new local one when omitted. */
    cache?: Cache;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig(options.env);
  const db = database.handle.db;
  const events = createLocalEventBus();
  const published: { userId: string; event: ParleyEvent }[] = [];
  events.subscribe((userId, event) => published.push({ userId, event }));
  // Every job runs in-process, as with `npm start`; quick retries keep failure tests short.
  const queue = createLocalQueue({ backoffMs: 20 });
  const metrics = createMetrics();
  const cache = options.cache ?? createLocalCache();
  const model = instrumentModel(sharedKeyModel(config, cache), metrics);
  await startAllJobs(queue, {
    db,
    config,
    model,
    cache,
    events,
    secrets: secretBox(config.appSecret!, config.previousAppSecret),
    ...(options.watchers ? { watchers: options.watchers } : {}),
  });
  const app = await buildApp({
    config,
    db,
    events,
    queue,
    model,
    cache,
    ...(options.watchers ? { watchers: options.watchers } : {}),
    readiness: options.readiness ?? { database: () => database.handle.ping() },
    modelHealth: () => modelHealthView(db),
    logger: false,
    metrics,
  });
  await app.ready();
  return {
    app,
    db,
    database,
    config,
    events,
    queue,
    metrics,
    published,
    async signUp(username, { password, isAdmin, email } = {}) {
      const user = await createUser(db, { username, password, isAdmin, email });
      return createApiToken(db, user.id, 'test');
    },
    as(token, request) {
      return app.inject({ ...request, headers: { authorization: `Bearer ${token}`, ...request.headers } });
    },
    async close() {
      await app.close();
      await queue.close();
      await database.drop();
    },
  };
}
