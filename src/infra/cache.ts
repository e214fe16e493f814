/**
 * Small shared values with a time to live: rate-limit counters and anything
 * several processes must agree on. Redis across processes; a map in one.
 */
export interface Cache {
  readonly kind: 'local' | 'redis';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets the key only if it holds nothing live; true when this call set it (a lock only one process wins). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Adds 1 and returns the new count; the count expires `ttlMs` after it was first made. */
  increment(key: string, ttlMs: number): Promise<number>;
  /**
   * Sets `value` only if the key still holds `expected` (undefined: the key is absent), atomically;
   * says whether it did. The building block of `updateShared`.
   */
  compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Tries a contended update this many times before giving up: each failure means another process wrote first. */
const UPDATE_ATTEMPTS = 50;

/**
 * Reads a shared value, computes its next state and an answer from it, and
 * writes the state back only if nobody changed the value meanwhile (else reads
 * again). One algorithm in TypeScript serves every process: Redis only has to
 * compare and set.
 */
export async function updateShared<T>(
  cache: Cache,
  key: string,
  ttlMs: number,
  next: (current: string | undefined) => { value: string; result: T },
): Promise<T> {
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
    const current = await cache.get(key);
    const { value, result } = next(current);
    if (value === current || (await cache.compareAndSet(key, current, value, ttlMs))) return result;
  }
  throw new Error(`"${key}" kept changing under ${UPDATE_ATTEMPTS} attempts to update it`);
}

/** Past this many keys, a new one first clears out the expired: keys nobody reads again (a past minute's count) go too. */
const SWEEP_AT = 10_000;

export function createLocalCache(now: () => number = Date.now): Cache {
  const entries = new Map<string, { value: string; expires: number }>();
  const store = (key: string, entry: { value: string; expires: number }) => {
    if (entries.size >= SWEEP_AT && !entries.has(key)) {
      const at = now();
      for (const [old, { expires }] of entries) if (expires <= at) entries.delete(old);
    }
    entries.set(key, entry);
  };
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
      store(key, { value, expires: now() + ttlMs });
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      store(key, { value, expires: now() + ttlMs });
      return true;
    },
    async delete(key) {
      entries.delete(key);
    },
    async increment(key, ttlMs) {
      const entry = live(key);
      const count = Number(entry?.value ?? 0) + 1;
      store(key, { value: String(count), expires: entry?.expires ?? now() + ttlMs });
      return count;
    },
    async compareAndSet(key, expected, value, ttlMs) {
      if (live(key)?.value !== expected) return false;
      store(key, { value, expires: now() + ttlMs });
      return true;
    },
    async close() {
      entries.clear();
    },
  };
}
