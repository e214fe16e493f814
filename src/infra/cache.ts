import { Redis } from 'ioredis';

/**
 * Small shared values with a time to live: rate-limit counters and anything
 * several processes must agree on. Redis across processes; a map in one.
 */
export interface Cache {
  readonly kind: 'local' | 'redis';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Adds 1 and returns the new count; the count expires `ttlMs` after it was first made. */
  increment(key: string, ttlMs: number): Promise<number>;
  close(): Promise<void>;
}

export function createLocalCache(now: () => number = Date.now): Cache {
  const entries = new Map<string, { value: string; expires: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expires <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    kind: 'local',
    async get(key) {
      return live(key)?.value;
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value, expires: now() + ttlMs });
    },
    async delete(key) {
      entries.delete(key);
    },
    async increment(key, ttlMs) {
      const entry = live(key);
      const count = Number(entry?.value ?? 0) + 1;
      entries.set(key, { value: String(count), expires: entry?.expires ?? now() + ttlMs });
      return count;
    },
    async close() {
      entries.clear();
    },
  };
}

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
