import type { Logger } from 'pino';
import type { Config } from '../kernel/config.js';
import { createLocalCache, type Cache } from './cache.js';
import { createLocalQueue } from './local-queue.js';
import { createLocalPubSub, type PubSub } from './pubsub.js';
import type { Queue } from './queue.js';

export interface Infra {
  queue: Queue;
  pubsub: PubSub;
  cache: Cache;
  close(): Promise<void>;
}

/** Redis-backed when REDIS_URL is set, in-process otherwise: the domain sees the same interfaces. */
export async function createInfra(config: Pick<Config, 'redisUrl' | 'redisPrefix'>, logger: Logger): Promise<Infra> {
  const onJobError = (error: unknown, job: { name: string; id: string; attempt: number }) =>
    logger.warn({ err: error, job }, 'job failed');
  let queue: Queue;
  let pubsub: PubSub;
  let cache: Cache;
  if (config.redisUrl) {
    const onError = (error: Error) => logger.warn({ err: error }, 'Redis connection problem');
    // Loaded only with Redis: BullMQ and ioredis are large, and the embedded mode never needs them.
    const [{ createRedisQueue }, { createRedisPubSub }, { createRedisCache }] = await Promise.all([
      import('./redis-queue.js'),
      import('./redis-pubsub.js'),
      import('./redis-cache.js'),
    ]);
    queue = createRedisQueue(config.redisUrl, { onError: onJobError, prefix: config.redisPrefix });
    pubsub = createRedisPubSub(config.redisUrl, onError, config.redisPrefix);
    cache = createRedisCache(config.redisUrl, onError, config.redisPrefix);
  } else {
    queue = createLocalQueue({ onError: onJobError });
    pubsub = createLocalPubSub();
    cache = createLocalCache();
  }
  return {
    queue,
    pubsub,
    cache,
    async close() {
      await queue.close();
      await Promise.all([pubsub.close(), cache.close()]);
    },
  };
}
