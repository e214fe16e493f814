import { Redis } from 'ioredis';
import type { Cache } from './cache.js';

/** The Cache across processes; loaded only with REDIS_URL (ioredis stays out of the embedded mode). */
export function createRedisCache(url: string, onError: (error: Error) => void, prefix = 'parley'): Cache {
  const PREFIX = `${prefix}:cache:`;
  const redis = new Redis(url, { connectionName: 'parley-cache', maxRetriesPerRequest: 2 });
  redis.on('error', onError);
  return {
    kind: 'redis',
    async get(key) {
      return (await redis.get(PREFIX + key)) ?? undefined;
    },
    async set(key, value, ttlMs) {
      await redis.set(PREFIX + key, value, 'PX', ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      return (await redis.set(PREFIX + key, value, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async delete(key) {
      await redis.del(PREFIX + key);
    },
    async increment(key, ttlMs) {
      // One round trip: the first SET makes the key with its expiry (NX keeps it after that),
      // and INCR keeps the expiry. Works on Redis 6.2, which has no PEXPIRE … NX.
      const results = (await redis
        .multi()
        .set(PREFIX + key, '0', 'PX', ttlMs, 'NX')
        .incr(PREFIX + key)
        .exec()) as [Error | null, unknown][];
      return Number(results[1]?.[1]);
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
