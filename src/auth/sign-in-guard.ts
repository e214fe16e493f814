import type { Cache } from '../infra/cache.js';
import type { Config } from '../kernel/config.js';
import { RateLimitedError } from '../kernel/errors.js';

/**
 * The lock-out that stops password guessing against one username, whatever
 * addresses the guesses come from. The first `signInFailures` failures are free;
 * the last of them locks the username for `signInLockoutMs`, and every failure
 * after a lock-out doubles it, up to `signInLockoutMaxMs`. While locked, every
 * attempt is refused before the password is looked at, the right one too. A
 * successful sign-in forgets the failures.
 *
 * The counts live in the shared cache (Redis with REDIS_URL), so every `serve`
 * process sees them.
 */
export type SignInLimits = Pick<Config['limits'], 'signInFailures' | 'signInLockoutMs' | 'signInLockoutMaxMs'>;

/** What an admitted attempt must report back: its outcome decides the next lock-out. */
export interface SignInAttempt {
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

export interface SignInGuard {
  /** Throws RateLimitedError while the username is locked. */
  admit(username: string): Promise<SignInAttempt>;
}

/** How long failures are remembered after the last lock-out, or after the first failure before any. */
const MEMORY_MS = 60 * 60 * 1000;

interface Lock {
  until: number;
  ms: number;
}

const NO_ATTEMPT: SignInAttempt = { failed: async () => {}, succeeded: async () => {} };

/**
 * While the cache cannot be reached (Redis down), sign-ins go on uncounted rather
 * than failing, as the request limits do; `onUnavailable` hears why. The bounded
 * number of hashes in flight still caps what guessing can cost meanwhile.
 */
export function signInGuard(
  cache: Cache,
  limits: SignInLimits,
  onUnavailable: (error: unknown) => void = () => {},
): SignInGuard {
  const guard = countingGuard(cache, limits);
  const tolerant = (step: () => Promise<void>) => async () => {
    try {
      await step();
    } catch (error) {
      onUnavailable(error);
    }
  };
  return {
    async admit(username) {
      let attempt: SignInAttempt;
      try {
        attempt = await guard.admit(username);
      } catch (error) {
        if (error instanceof RateLimitedError) throw error;
        onUnavailable(error);
        return NO_ATTEMPT;
      }
      return { failed: tolerant(() => attempt.failed()), succeeded: tolerant(() => attempt.succeeded()) };
    },
  };
}

function countingGuard(cache: Cache, limits: SignInLimits): SignInGuard {
  if (limits.signInFailures === 0) return { admit: async () => NO_ATTEMPT };
  const keys = (typed: string) => {
    // Usernames are the same whatever their case, so "ALICE" and "alice" share one count.
    const username = typed.toLowerCase();
    return {
      failures: `sign-in:failures:${username}`,
      lock: `sign-in:lock:${username}`,
      turn: (lock: Lock) => `sign-in:turn:${username}:${lock.until}`,
    };
  };

  const lockFor = async (key: string, ms: number) => {
    const lock: Lock = { until: Date.now() + ms, ms };
    await cache.set(key, JSON.stringify(lock), ms + MEMORY_MS);
  };

  return {
    async admit(username) {
      const key = keys(username);
      const lock = parseLock(await cache.get(key.lock));
      if (lock && lock.until > Date.now()) {
        throw new RateLimitedError((lock.until - Date.now()) / 1000, 'Too many failed sign-ins for this username.');
      }
      const forget = async () => {
        await Promise.all([cache.delete(key.failures), cache.delete(key.lock)]);
      };

      if (lock) {
        // Past a lock-out, each one lets a single attempt through, however many arrive together.
        if ((await cache.increment(key.turn(lock), lock.ms + MEMORY_MS)) > 1) {
          throw new RateLimitedError(1, 'Another sign-in for this username is being checked.');
        }
        return {
          failed: () => lockFor(key.lock, Math.min(lock.ms * 2, limits.signInLockoutMaxMs)),
          succeeded: forget,
        };
      }

      // Counted before the password is checked, so attempts sent at once cannot all slip through.
      const attempt = await cache.increment(key.failures, MEMORY_MS);
      if (attempt > limits.signInFailures) {
        throw new RateLimitedError(
          limits.signInLockoutMs / 1000,
          'Too many sign-ins for this username are being checked.',
        );
      }
      return {
        failed: async () => {
          if (attempt === limits.signInFailures) await lockFor(key.lock, limits.signInLockoutMs);
        },
        succeeded: forget,
      };
    },
  };
}

function parseLock(text: string | undefined): Lock | undefined {
  if (text === undefined) return undefined;
  try {
    const lock = JSON.parse(text) as Partial<Lock>;
    return typeof lock.until === 'number' && typeof lock.ms === 'number'
      ? { until: lock.until, ms: lock.ms }
      : undefined;
  } catch {
    return undefined;
  }
}
