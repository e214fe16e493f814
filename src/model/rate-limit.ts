import { randomBytes } from 'node:crypto';
import { updateShared, type Cache } from '../infra/cache.js';
import { leave, parseState, take, WINDOW_MS, type FairShareState } from './fair-share.js';
import { ModelError, type BusinessShare } from './model-provider.js';

/**
 * The shared key's request budget, kept in the Cache so every `serve` and
 * `worker` process draws from one count (Redis), or this process's (embedded).
 * Each attempt of a model call, retries included, takes one slot, for the
 * business it answers for: when the budget is contended, businesses take
 * turns by weight (fair-share.ts). A 429 from Google makes every process wait
 * together instead of each hammering the key.
 */
export interface RateGate {
  /**
   * Waits for a slot for `business` (calls without one share a single anonymous business);
   * throws a `rate_limited` ModelError if none comes before `deadline` (epoch ms).
   */
  acquire(deadline: number, business?: BusinessShare): Promise<void>;
  /** Google said "too many": nobody calls for `ms`. */
  backOff(ms: number): Promise<void>;
}

export interface RateGateOptions {
  cache: Cache;
  requestsPerMinute: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** The budget's period (default a minute): shorter only for benchmarks that compress time. */
  windowMs?: number;
}

const BACKOFF_KEY = 'gemini:backoff-until';
const STATE_KEY = 'gemini:fair-share';
/** Back-off after a 429 without RetryInfo: Gemini's per-minute quotas refill within the minute. */
export const DEFAULT_429_BACKOFF_MS = 10_000;
/** A waiting line polls at least this often, so its heartbeat stays fresh in the shared state. */
const MAX_POLL_MS = 1_000;
/** How soon a line looks again while another business takes its turn; also the most jitter added to a poll. */
const TURN_POLL_MS = 20;
const ANONYMOUS: BusinessShare = { id: '-', weight: 1 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Waiter {
  deadline: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A business's calls waiting in this process: only the oldest polls the shared
 * state, for all of them, so the state holds one entry per business and
 * process however many calls wait, and a business's calls go in order.
 */
interface Line {
  id: string;
  business: BusinessShare;
  waiters: Waiter[];
}

const limited = () => new ModelError('rate_limited', 'the shared key is at its request limit; try again shortly', 0);

export function createRateGate(options: RateGateOptions): RateGate {
  const { cache, requestsPerMinute: limit } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const windowMs = options.windowMs ?? WINDOW_MS;
  const processId = randomBytes(6).toString('hex');
  let lineCount = 0;
  const lines = new Map<string, Line>();

  const backOffUntil = async () => Number((await cache.get(BACKOFF_KEY)) ?? 0);

  /** Fails the calls that cannot have a slot before their deadline. */
  function giveUp(line: Line, noSlotBefore: number): void {
    const [late, inTime] = partition(line.waiters, (waiter) => waiter.deadline <= noSlotBefore);
    line.waiters = inTime;
    for (const waiter of late) waiter.reject(limited());
  }

  /** Reads, changes and writes back the state every process shares; again if another process wrote first. */
  const update = <T>(change: (state: FairShareState) => T) =>
    updateShared(cache, STATE_KEY, 2 * windowMs, (current) => {
      const state = parseState(current, Math.floor(now() / windowMs));
      const result = change(state);
      return { value: JSON.stringify(state), result };
    });

  async function serve(line: Line): Promise<void> {
    let registered = false;
    try {
      while (line.waiters.length > 0) {
        giveUp(line, now());
        if (line.waiters.length === 0) break;
        const pausedUntil = await backOffUntil();
        if (pausedUntil > now()) {
          // Small jitter so processes released by the same moment do not all call in the same millisecond.
          const wakeAt = pausedUntil + Math.round(random() * 250);
          giveUp(line, wakeAt);
          if (line.waiters.length > 0) await sleep(Math.max(1, wakeAt - now()));
          continue;
        }
        registered = true;
        const outcome = await update((state) =>
          take(state, {
            business: line.business.id,
            weight: line.business.weight,
            line: line.id,
            moreWaiting: line.waiters.length > 1,
            at: now(),
            limit,
            windowMs,
          }),
        );
        if (outcome.granted) {
          registered = line.waiters.length > 1;
          line.waiters.shift()?.resolve();
          continue;
        }
        giveUp(line, outcome.earliest);
        if (line.waiters.length === 0) break;
        // Another business's turn: it is about to take its slot, so look again soon (unless none is free anyway).
        const soonest = outcome.reason === 'turn' ? now() + TURN_POLL_MS : 0;
        const wakeAt =
          Math.max(soonest, Math.min(outcome.retryAt, now() + MAX_POLL_MS)) + Math.round(random() * TURN_POLL_MS);
        await sleep(Math.max(1, wakeAt - now()));
      }
    } catch (error) {
      for (const waiter of line.waiters.splice(0)) waiter.reject(error);
    } finally {
      lines.delete(line.business.id);
    }
    // Calls that gave up must not hold the business's turn until the entry goes stale.
    if (registered) await update((state) => leave(state, line.business.id, line.id)).catch(() => undefined);
  }

  return {
    async acquire(deadline, business = ANONYMOUS) {
      if (limit <= 0) {
        for (;;) {
          const pausedUntil = await backOffUntil();
          if (pausedUntil <= now()) return;
          const wakeAt = pausedUntil + Math.round(random() * 250);
          if (wakeAt >= deadline) throw limited();
          await sleep(Math.max(1, wakeAt - now()));
        }
      }
      return new Promise<void>((resolve, reject) => {
        const waiting = lines.get(business.id);
        if (waiting) {
          waiting.business = business;
          waiting.waiters.push({ deadline, resolve, reject });
          return;
        }
        const line: Line = { id: `${processId}:${++lineCount}`, business, waiters: [{ deadline, resolve, reject }] };
        lines.set(business.id, line);
        void serve(line);
      });
    },

    async backOff(ms) {
      const until = now() + ms;
      const current = await backOffUntil();
      if (until > current) await cache.set(BACKOFF_KEY, String(until), ms);
    },
  };
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
