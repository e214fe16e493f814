/**
 * Who gets the shared key's next request slot: the decision every process
 * makes on one shared state (rate-limit.ts keeps it in the Cache). When the
 * key's per-minute budget is contended, the businesses with calls waiting take
 * turns by weight. A business alone may use the whole budget at once; over its
 * share, it goes at the budget's pace and leaves a small headroom for each
 * other recently active business still under its share, so that business's
 * next call does not queue behind a flood.
 */

export const WINDOW_MS = 60_000;
/** A waiting line that has not polled for this long belongs to a process that died: it holds nobody's turn. */
export const STALE_WAITER_MS = 3_000;
/** The headroom kept for a business under its share, as a part of the budget (at least one slot). */
const HEADROOM_PART = 1 / 20;
/**
 * All the headroom kept, however many quiet businesses there are: without a
 * ceiling, fifty businesses that each called once would hold most of the
 * budget idle while a busy one waits.
 */
const ALL_HEADROOM_PART = 1 / 10;
const EPSILON = 1e-9;

/** One business's part: its counts this and the previous minute, its weight, and its waiting lines. */
interface BusinessState {
  previous: number;
  current: number;
  weight: number;
  /** Waiting line id -> when it last polled (epoch ms). */
  waiters: Record<string, number>;
}

/** The whole shared state: one JSON value, small because businesses with nothing in the window leave it. */
export interface FairShareState {
  window: number;
  previous: number;
  current: number;
  businesses: Record<string, BusinessState>;
}

export interface TakeRequest {
  business: string;
  weight: number;
  /** The waiting line asking: one per business and process. */
  line: string;
  /** Calls still wait behind the one asking: the line stays registered even when it is granted. */
  moreWaiting: boolean;
  at: number;
  limit: number;
  /** The budget's period: a minute, shorter only in benchmarks that compress time. */
  windowMs: number;
}

export type TakeOutcome =
  | { granted: true }
  | {
      granted: false;
      /** `turn`: another business goes first; `full`: no slot this business may take yet. */
      reason: 'turn' | 'full';
      /** When a slot this business may take frees up if nothing else changes (epoch ms). */
      retryAt: number;
      /** No slot at all frees up before this (epoch ms): a call whose deadline comes first can give up now. */
      earliest: number;
    };

export function parseState(value: string | undefined, window: number): FairShareState {
  const empty = { window, previous: 0, current: 0, businesses: {} };
  // Stryker disable next-line ConditionalExpression: JSON.parse(undefined) throws, and the catch gives the same empty minute
  if (value === undefined) return empty;
  try {
    return JSON.parse(value) as FairShareState;
  } catch {
    // Only this module writes the key; a value it cannot read is treated as an empty minute.
    return empty;
  }
}

/** Moves the counts on to `window`: this minute's become the previous one's, older ones are forgotten. */
function roll(state: FairShareState, window: number): void {
  const shift = window - state.window;
  if (shift <= 0) return;
  const carry = (current: number) => (shift === 1 ? current : 0);
  state.window = window;
  state.previous = carry(state.current);
  state.current = 0;
  for (const entry of Object.values(state.businesses)) {
    entry.previous = carry(entry.current);
    entry.current = 0;
  }
}

function prune(state: FairShareState, at: number): void {
  for (const [id, entry] of Object.entries(state.businesses)) {
    for (const [line, heartbeat] of Object.entries(entry.waiters)) {
      if (heartbeat < at - STALE_WAITER_MS) leave(state, id, line);
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: leave keeps a business with a line; one kept with nothing only takes room
    if (Object.keys(entry.waiters).length === 0) leave(state, id, '');
  }
}

/**
 * A sliding window from two fixed ones: the previous minute counts in
 * proportion to how much of it still lies within the last 60 s.
 */
const estimate = (counts: { previous: number; current: number }, overlap: number) =>
  counts.previous * overlap + counts.current;

/** The first moment the estimate leaves room for `need` more slots under `limit`. */
function roomAt(
  counts: { previous: number; current: number },
  need: number,
  limit: number,
  { start, at, windowMs }: { start: number; at: number; windowMs: number },
): number {
  const room = limit - need;
  if (room < 0) return Number.POSITIVE_INFINITY;
  if (counts.current <= room) {
    if (counts.previous === 0) return at;
    return Math.max(at, Math.ceil(start + windowMs * (1 - (room - counts.current) / counts.previous)));
  }
  // This minute's count alone is too many: room comes as it slides out, in the next minute.
  return Math.ceil(start + windowMs + windowMs * (1 - room / counts.current));
}

/** Registers the asking line and, if this business may have a slot now, counts it. Mutates `state`. */
export function take(state: FairShareState, request: TakeRequest): TakeOutcome {
  const { at, limit, windowMs } = request;
  const window = Math.floor(at / windowMs);
  const start = window * windowMs;
  const overlap = 1 - (at - start) / windowMs;
  const when = { start, at, windowMs };
  roll(state, window);
  prune(state, at);
  const own = (state.businesses[request.business] ??= {
    previous: 0,
    current: 0,
    weight: request.weight,
    waiters: {},
  });
  own.weight = request.weight;
  own.waiters[request.line] = at;

  const used = new Map(Object.entries(state.businesses).map(([id, entry]) => [id, estimate(entry, overlap)]));
  const waiting = (entry: BusinessState) => Object.keys(entry.waiters).length > 0;
  // Stryker disable next-line MethodExpression,ConditionalExpression,EqualityOperator: prune has taken out every business with nothing used and no line
  const active = Object.entries(state.businesses).filter(([id, entry]) => used.get(id)! > 0 || waiting(entry));
  const totalWeight = active.reduce((sum, [, entry]) => sum + entry.weight, 0);
  const share = (entry: BusinessState) => (limit * entry.weight) / totalWeight;
  const ownUsed = used.get(request.business)!;
  const earliest = roomAt(state, 1, limit, when);

  // Turns: the waiting business that has used least for its weight goes first.
  const lowest = Math.min(
    ...active.filter(([, entry]) => waiting(entry)).map(([id, entry]) => used.get(id)! / entry.weight),
  );
  // Stryker disable next-line EqualityOperator: equal only within EPSILON
  if (ownUsed / own.weight > lowest + EPSILON) {
    return { granted: false, reason: 'turn', retryAt: Math.max(at, earliest), earliest };
  }

  // Over its share, a business may not eat the headroom kept for the others still under theirs,
  // and it goes at the budget's pace: it does not burst into what the previous minute left
  // unused (as if that minute had been used in full), which would leave the others nothing
  // until the burst slid out of the window, a minute later.
  let reserved = 0;
  let counted: { previous: number; current: number } = state;
  if (ownUsed + 1 > share(own) + EPSILON) {
    for (const [id, entry] of active) {
      const unused = share(entry) - used.get(id)!;
      if (id !== request.business && unused > 0) reserved += Math.min(unused, Math.max(1, limit * HEADROOM_PART));
    }
    reserved = Math.min(reserved, Math.max(1, limit * ALL_HEADROOM_PART));
    counted = { previous: Math.max(state.previous, limit), current: state.current };
  }
  // Stryker disable next-line EqualityOperator: equal only within EPSILON
  if (estimate(counted, overlap) + 1 + reserved <= limit + EPSILON) {
    state.current += 1;
    own.current += 1;
    if (!request.moreWaiting) delete own.waiters[request.line];
    return { granted: true };
  }
  return { granted: false, reason: 'full', retryAt: roomAt(counted, 1 + reserved, limit, when), earliest };
}

/** Takes a line out of the state: its calls were all served or gave up. Mutates `state`. */
export function leave(state: FairShareState, business: string, line: string): void {
  const entry = state.businesses[business];
  if (!entry) return;
  delete entry.waiters[line];
  if (entry.previous === 0 && entry.current === 0 && Object.keys(entry.waiters).length === 0) {
    delete state.businesses[business];
  }
}
