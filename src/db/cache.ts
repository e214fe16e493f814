import type { Database } from './client.js';

/**
 * A small in-process cache of values read from one database, kept apart per
 * database (tests open many) and dropped with it. Entries live `ttlMs`; past
 * `maxEntries` the oldest one makes room. Other processes' writes are seen
 * once an entry expires, so each user says why a stale read is acceptable.
 */
export interface DatabaseCache<T> {
  /** The value stored under `key`, unless it has expired. */
  get(db: Database, key: string): T | undefined;
  set(db: Database, key: string, value: T): void;
  /** Forgets the given keys, or every entry without them. */
  invalidate(db: Database, keys?: Iterable<string>): void;
  /** Forgets every entry whose value matches. */
  invalidateWhere(db: Database, matches: (value: T) => boolean): void;
}

export function perDatabaseCache<T>({ ttlMs, maxEntries }: { ttlMs: number; maxEntries: number }): DatabaseCache<T> {
  const caches = new WeakMap<Database, Map<string, { value: T; expires: number }>>();
  const cacheFor = (db: Database) => {
    let cache = caches.get(db);
    if (!cache) {
      cache = new Map();
      caches.set(db, cache);
    }
    return cache;
  };
  return {
    get(db, key) {
      const hit = cacheFor(db).get(key);
      return hit && hit.expires > Date.now() ? hit.value : undefined;
    },
    set(db, key, value) {
      const cache = cacheFor(db);
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      cache.set(key, { value, expires: Date.now() + ttlMs });
    },
    invalidate(db, keys) {
      const cache = cacheFor(db);
      if (!keys) cache.clear();
      else for (const key of keys) cache.delete(key);
    },
    invalidateWhere(db, matches) {
      const cache = cacheFor(db);
      for (const [key, entry] of cache) if (matches(entry.value)) cache.delete(key);
    },
  };
}
