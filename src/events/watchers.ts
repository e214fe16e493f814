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

/** How long a process trusts what it last read: a new watcher elsewhere starts the stream this much later at most. */
const REMEMBER_MS = 1_000;
const MAX_REMEMBERED = 10_000;

export function cacheWatchers(cache: Cache, now: () => number = Date.now): Watchers {
  const key = (userId: string) => `watched:${userId}`;
  // Every answer asks; remembered briefly, that is one Cache read a second per business, not one per answer.
  const remembered = new Map<string, { watched: boolean; until: number }>();
  const remember = (userId: string, watched: boolean) => {
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(userId, { watched, until: now() + REMEMBER_MS });
  };
  return {
    async watch(userId, ttlMs) {
      await cache.set(key(userId), '1', ttlMs);
      remember(userId, true);
    },
    async isWatched(userId) {
      const known = remembered.get(userId);
      if (known && known.until > now()) return known.watched;
      const watched = (await cache.get(key(userId))) !== undefined;
      remember(userId, watched);
      return watched;
    },
  };
}
