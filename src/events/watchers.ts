import type { Cache } from '../infra/cache.js';

/**
 * Which businesses have someone watching live. Streaming an answer costs the
 * model client noticeably more than asking for it whole, and only a person on
 * a WebSocket sees the pieces, so replies stream only while the business is
 * watched. Kept in the Cache, so a `parley worker` knows about sockets held
 * by any `serve` process.
 */
export interface Watchers {
  /** Marks the business watched for `ttlMs`; renewed while its sockets stay open. */
  watch(userId: string, ttlMs: number): Promise<void>;
  isWatched(userId: string): Promise<boolean>;
}

export function cacheWatchers(cache: Cache): Watchers {
  const key = (userId: string) => `watched:${userId}`;
  return {
    async watch(userId, ttlMs) {
      await cache.set(key(userId), '1', ttlMs);
    },
    async isWatched(userId) {
      return (await cache.get(key(userId))) !== undefined;
    },
  };
}
