import { updateShared, type Cache } from './cache.js';

/** A place taken in a window, to give back when what it counted did not happen after all. */
export interface TakenPlace {
  giveBack(): Promise<void>;
}

export type WindowAnswer = { taken: true; place: TakenPlace } | { taken: false; retryAfterMs: number };

const times = (stored: string | undefined) => (stored ? (JSON.parse(stored) as number[]) : []);

/**
 * At most `max` in any `windowMs`, counted in the shared Cache so every process counts together.
 * A log of the times taken rather than fixed windows: a fixed minute lets twice the limit through
 * across its edge, and resets mid-burst. Refused attempts take no place, so someone sending
 * steadily too fast still gets `max` through per window.
 */
export async function takePlace(cache: Cache, key: string, max: number, windowMs: number): Promise<WindowAnswer> {
  const at = Date.now();
  const answer = await updateShared(cache, key, windowMs, (current): { value: string; result: number } => {
    const live = times(current).filter((time) => time > at - windowMs);
    // The place that frees soonest for the next one: max places back from the newest.
    const freesFirst = live[live.length - max];
    if (freesFirst !== undefined) return { value: current ?? '[]', result: freesFirst + windowMs - at };
    return { value: JSON.stringify([...live, at]), result: 0 };
  });
  if (answer > 0) return { taken: false, retryAfterMs: answer };
  return {
    taken: true,
    place: {
      giveBack: () =>
        updateShared(cache, key, windowMs, (current) => {
          const live = times(current);
          const index = live.indexOf(at);
          return { value: JSON.stringify(live.filter((_, i) => i !== index)), result: undefined };
        }),
    },
  };
}

/** Shares taken within one minute are kept as one entry, so a busy day stays at most 1,440 entries. */
const SHARE_GRAIN_MS = 60_000;

/**
 * Takes `amount` of a total `max` allowed in any `windowMs` (to the minute), in the shared Cache;
 * false, taking nothing, when it does not fit.
 */
export async function takeShare(
  cache: Cache,
  key: string,
  amount: number,
  max: number,
  windowMs: number,
): Promise<boolean> {
  const at = Date.now();
  const grain = Math.floor(at / SHARE_GRAIN_MS) * SHARE_GRAIN_MS;
  return updateShared(cache, key, windowMs, (current): { value: string; result: boolean } => {
    const entries = (current ? (JSON.parse(current) as [number, number][]) : []).filter(
      ([time]) => time > at - windowMs,
    );
    const used = entries.reduce((sum, [, taken]) => sum + taken, 0);
    if (used + amount > max) return { value: current ?? '[]', result: false };
    const last = entries.at(-1);
    // Stryker disable next-line ConditionalExpression: a new entry each time counts the same; merging keeps it small
    if (last && last[0] === grain) last[1] += amount;
    else entries.push([grain, amount]);
    return { value: JSON.stringify(entries), result: true };
  });
}
