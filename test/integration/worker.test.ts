import { Queue as BullQueue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../helpers/database.js';
import { cleanEnv, runParley, startParleyWorker } from '../helpers/processes.js';
import { testRedisPrefix } from '../helpers/redis-prefix.js';

/** `parley worker` as its own process on PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL). */
let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let env: NodeJS.ProcessEnv;
// Its own namespace in the shared Redis, so other suites' processes never take its jobs.
const prefix = testRedisPrefix('worker');

beforeAll(async () => {
  database = await createPostgresDatabase();
  env = cleanEnv({
    DATABASE_URL: database.url,
    REDIS_URL: process.env.TEST_REDIS_URL!,
    APP_SECRET: 'worker-test-secret-worker-test-secret-0123',
    PARLEY_TIMEZONE: 'Europe/Lisbon',
    PARLEY_REDIS_PREFIX: prefix,
  });
});
afterAll(() => database.drop());

describe('parley worker', () => {
  it('upserts the schedules in Redis, runs, and stops cleanly on SIGTERM', async () => {
    const worker = await startParleyWorker(env);
    const cleanup = new BullQueue('cleanup-sessions', {
      connection: { url: process.env.TEST_REDIS_URL! },
      prefix,
    });
    try {
      const schedulers = await cleanup.getJobSchedulers();
      expect(schedulers).toEqual([
        expect.objectContaining({ key: 'cleanup-sessions', pattern: '0 2 * * *', tz: 'Europe/Lisbon' }),
      ]);
    } finally {
      await cleanup.close();
    }
    expect(await worker.stop('SIGTERM')).toBe(0);
  });

  it('refuses to start without Redis and PostgreSQL', async () => {
    const result = await runParley(['worker'], cleanEnv({ PARLEY_DATA_DIR: '/tmp/parley-worker-refused' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('parley worker needs DATABASE_URL and REDIS_URL');
  });
});
