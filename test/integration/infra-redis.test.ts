import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisCache } from '../../src/infra/redis-cache.js';
import { createRedisPubSub } from '../../src/infra/redis-pubsub.js';
import { jobType, PermanentJobError } from '../../src/infra/queue.js';
import { createRedisQueue } from '../../src/infra/redis-queue.js';
import { cacheContract, pubsubContract, queueContract } from '../helpers/infra-contract.js';
import { testRedisPrefix } from '../helpers/redis-prefix.js';
import { until } from '../helpers/wait.js';

/** The same contract as the in-process implementations, on real Redis (TEST_REDIS_URL). */
const url = process.env.TEST_REDIS_URL!;
const failOnError = (error: Error) => {
  throw error;
};

// Namespaces of this file's own: the queue keeps a set of every job type it has seen.
const prefixes = {
  contract: testRedisPrefix('contract'),
  cache: testRedisPrefix('cache'),
  serve: testRedisPrefix('serve'),
  here: testRedisPrefix('here'),
};

queueContract('BullMQ', () => createRedisQueue(url, { backoffMs: 20, prefix: prefixes.contract }));
cacheContract('Redis', () => createRedisCache(url, failOnError, prefixes.cache));
pubsubContract('Redis', () => createRedisPubSub(url, failOnError));

describe('PARLEY_REDIS_PREFIX', () => {
  it('keeps two deployments on one Redis from hearing each other', async () => {
    const ours = createRedisPubSub(url, failOnError, 'parley-a');
    const theirs = createRedisPubSub(url, failOnError, 'parley-b');
    try {
      const heard: string[] = [];
      await ours.subscribe('events', (message) => heard.push(`ours:${message}`));
      await theirs.subscribe('events', (message) => heard.push(`theirs:${message}`));
      await theirs.publish('events', 'b1');
      await ours.publish('events', 'a1');
      await until(() => (heard.length >= 2 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(heard.sort()).toEqual(['ours:a1', 'theirs:b1']);
    } finally {
      await Promise.all([ours.close(), theirs.close()]);
    }
  });
});

describe('a queue that runs no workers (`serve` beside `parley worker`)', () => {
  it("counts and lists the failed jobs of types only the workers' process ran", async () => {
    const prefix = prefixes.serve;
    const worker = createRedisQueue(url, { backoffMs: 20, prefix });
    const serve = createRedisQueue(url, { backoffMs: 20, prefix });
    try {
      const broken = jobType<{ chat: number }>('deliver-to-blocked-bot');
      worker.handle(broken, async () => {
        throw new PermanentJobError('bot was blocked by the user');
      });
      await worker.start();
      await worker.add(broken, { chat: 7 });
      const failed = await until(async () => {
        const jobs = await serve.failed();
        return jobs.length > 0 ? jobs : undefined;
      });
      expect(failed).toMatchObject([{ name: broken.name, error: 'bot was blocked by the user', attempts: 1 }]);
      expect((await serve.counts())[broken.name]).toMatchObject({ failed: 1, waiting: 0 });
    } finally {
      await Promise.all([worker.close(), serve.close()]);
    }
  });
});

describe('a job added `here`', () => {
  it('runs in the process that handles its type without going through Redis; elsewhere, or with no room, it is queued', async () => {
    const prefix = prefixes.here;
    const worker = createRedisQueue(url, { backoffMs: 20, prefix });
    const serve = createRedisQueue(url, { backoffMs: 20, prefix });
    const redis = new Redis(url);
    let release = () => {};
    try {
      const reply = jobType<{ conversation: string }>('reply-here');
      const ran: { conversation: string; attempt: number }[] = [];
      const held = new Promise<void>((resolve) => (release = resolve));
      worker.handle(
        reply,
        async (job) => {
          ran.push({ conversation: job.data.conversation, attempt: job.attempt });
          if (job.data.conversation === 'held') await held;
        },
        { concurrency: 1 },
      );
      await worker.start();
      const jobsAdded = async () => Number((await redis.get(`${prefix}:${reply.name}:id`)) ?? 0);

      await worker.add(reply, { conversation: 'held' }, { here: true });
      await until(() => (ran.length === 1 ? true : undefined));
      expect(await jobsAdded()).toBe(0);
      // Its one try at a time here is taken: the next goes to the queue.
      await worker.add(reply, { conversation: 'next' }, { here: true });
      expect(await jobsAdded()).toBe(1);
      // A process that does not run replies (`serve` beside `parley worker`) queues them.
      await serve.add(reply, { conversation: 'from-serve' }, { here: true });
      expect(await jobsAdded()).toBe(2);
      release();
      await until(() => (ran.length === 3 ? true : undefined));
      expect(ran.map((r) => r.conversation).sort()).toEqual(['from-serve', 'held', 'next']);
      expect(ran.every((r) => r.attempt === 1)).toBe(true);
    } finally {
      release();
      redis.disconnect();
      await Promise.all([worker.close(), serve.close()]);
    }
  });
});
