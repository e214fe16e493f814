import { Redis } from 'ioredis';
import type { Cache } from './cache.js';

/** KEYS[1]; ARGV: "1" if a value is expected (else the key must be absent), the expected value, the new one, its TTL. */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1`;

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
    async compareAndSet(key, expected, value, ttlMs) {
      const set = await redis.eval(
        COMPARE_AND_SET,
        1,
        PREFIX + key,
        expected === undefined ? '0' : '1',
        expected ?? '',
        value,
        Math.max(1, Math.round(ttlMs)),
      );
      return set === 1;
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
