import type { Cache } from '../infra/cache.js';
import { ModelError } from './model-provider.js';

/**
 * The shared key's request budget, kept in the Cache so every `serve` and
 * `worker` process draws from one count (Redis), or this process's (embedded).
 * Each attempt of a model call, retries included, takes one slot; a 429 from
 * Google makes every process wait together instead of each hammering the key.
 */
export interface RateGate {
  /** Waits for a slot; throws a `rate_limited` ModelError if none comes before `deadline` (epoch ms). */
  acquire(deadline: number): Promise<void>;
  /** Google said "too many": nobody calls for `ms`. */
  backOff(ms: number): Promise<void>;
}

export interface RateGateOptions {
  cache: Cache;
  requestsPerMinute: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const WINDOW_MS = 60_000;
const BACKOFF_KEY = 'gemini:backoff-until';
/** Back-off after a 429 without RetryInfo: Gemini's per-minute quotas refill within the minute. */
export const DEFAULT_429_BACKOFF_MS = 10_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createRateGate(options: RateGateOptions): RateGate {
  const { cache, requestsPerMinute: limit } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  // Small jitter so processes released by the same moment do not all call in the same millisecond.
  const jitter = () => Math.round(random() * 250);

  return {
    async acquire(deadline) {
      for (;;) {
        const waitUntil = Number((await cache.get(BACKOFF_KEY)) ?? 0);
        let wakeAt = 0;
        if (waitUntil > now()) {
          wakeAt = waitUntil + jitter();
        } else if (limit > 0) {
          // A sliding window from two fixed ones: the previous minute counts in
          // proportion to how much of it still lies within the last 60 s.
          const at = now();
          const window = Math.floor(at / WINDOW_MS);
          const [previous, current] = await Promise.all([
            cache.get(`gemini:rpm:${window - 1}`),
            cache.get(`gemini:rpm:${window}`),
          ]);
          const overlap = 1 - (at - window * WINDOW_MS) / WINDOW_MS;
          const estimated = Number(previous ?? 0) * overlap + Number(current ?? 0);
          if (estimated + 1 <= limit) {
            // Read, then count: processes racing here may overshoot by a few, never by a
            // waiting crowd, which counting before checking would do.
            await cache.increment(`gemini:rpm:${window}`, 2 * WINDOW_MS);
            return;
          }
          wakeAt = Math.min((window + 1) * WINDOW_MS, at + Math.ceil(WINDOW_MS / limit)) + jitter();
        } else {
          return;
        }
        if (wakeAt >= deadline) {
          throw new ModelError('rate_limited', 'the shared key is at its request limit; try again shortly', 0);
        }
        await sleep(Math.max(1, wakeAt - now()));
      }
    },

    async backOff(ms) {
      const until = now() + ms;
      const current = Number((await cache.get(BACKOFF_KEY)) ?? 0);
      if (until > current) await cache.set(BACKOFF_KEY, String(until), ms);
    },
  };
}
