import { updateShared, type Cache } from '../infra/cache.js';
import { randomId } from '../kernel/ids.js';
import type { Database } from '../db/client.js';
import { hasCaps, quotaLimits, tokensLeft, usedAgainst, type QuotaConfig } from './quota.service.js';

/**
 * Caps that hold under concurrency: before a model call, its worst case is
 * reserved against the business's caps; a call may start only while what is
 * used plus what calls in flight have reserved is under every cap, so calls
 * running together overshoot a cap by at most one call. Reservations live in
 * one small shared value per business (Redis across processes), each with its
 * own expiry, so a crashed process's reservation lapses by itself.
 */

interface Held {
  id: string;
  tokens: number;
  /** Epoch ms after which the reservation no longer counts (its call's deadline, and a margin). */
  until: number;
}

interface ReservationState {
  held: Held[];
  /**
   * Reservations released since the value was made. A release follows its call's usage being
   * stored, so a reserver that read the usage before a release must read it again.
   */
  released: number;
}

export interface Reservation {
  /** Gives the tokens back: the call's real usage is stored by now. Never throws. */
  release(): Promise<void>;
}

/** A reservation nobody needs to give back: the business has no caps. */
const NOTHING_HELD: Reservation = { release: async () => {} };

/** A reservation counts this long past its call's deadline: settling (storing the usage) takes a moment too. */
const MARGIN_MS = 30_000;
/** Tries when releases keep landing between reading the usage and reserving; each is one indexed query. */
const RESERVE_ATTEMPTS = 20;

const keyOf = (userId: string) => `quota-reservations:${userId}`;

function stateOf(value: string | undefined, at: number): ReservationState {
  if (!value) return { held: [], released: 0 };
  const state = JSON.parse(value) as ReservationState;
  return { held: state.held.filter((held) => held.until > at), released: state.released };
}

export interface ReservationDeps {
  db: Database;
  cache: Cache;
  config: QuotaConfig;
}

/**
 * Reserves `tokens` for a call that must end within `deadlineMs`; undefined
 * when a cap has no room left (the call must not start).
 */
export async function reserveTokens(
  deps: ReservationDeps,
  userId: string,
  tokens: number,
  deadlineMs: number,
  now: Date,
): Promise<Reservation | undefined> {
  const { cache } = deps;
  const limits = await quotaLimits(deps.db, deps.config.defaultQuota, userId);
  if (!hasCaps(limits)) return NOTHING_HELD;
  const key = keyOf(userId);
  const id = randomId(12);
  const holdMs = deadlineMs + MARGIN_MS;
  for (let attempt = 0; attempt < RESERVE_ATTEMPTS; attempt++) {
    const before = stateOf(await cache.get(key), Date.now()).released;
    const used = await usedAgainst(deps.db, deps.config, userId, limits, now);
    // Already over a cap: nothing in flight could make room.
    if (tokensLeft(limits, used) === 0) return undefined;
    // Every call holds for the same time, so the newest reservation is the last to lapse.
    const outcome = await updateShared(cache, key, holdMs, (current) => {
      const at = Date.now();
      const state = stateOf(current, at);
      const unchanged = { value: current ?? JSON.stringify(state), result: 'stale' as const };
      if (state.released !== before) return unchanged;
      const reserved = state.held.reduce((sum, held) => sum + held.tokens, 0);
      if (tokensLeft(limits, used, reserved) === 0) return { ...unchanged, result: 'full' as const };
      const held = [...state.held, { id, tokens, until: at + holdMs }];
      return { value: JSON.stringify({ ...state, held }), result: 'held' as const };
    });
    if (outcome === 'full') return undefined;
    if (outcome === 'held') return { release: () => releaseReservation(cache, key, id, holdMs) };
  }
  throw new Error(`the caps of ${userId} kept changing under ${RESERVE_ATTEMPTS} attempts to reserve against them`);
}

async function releaseReservation(cache: Cache, key: string, id: string, ttlMs: number): Promise<void> {
  try {
    await updateShared(cache, key, ttlMs, (current) => {
      const state = stateOf(current, Date.now());
      const next: ReservationState = {
        held: state.held.filter((held) => held.id !== id),
        released: state.released + 1,
      };
      return { value: JSON.stringify(next), result: undefined };
    });
  } catch {
    // Unreleased, the reservation still lapses at its deadline: the business only waits that long for its room.
  }
}
