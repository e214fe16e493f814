import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLocalCache } from './cache.js';
import { takePlace, takeShare } from './sliding-window.js';

const MINUTE = 60_000;

describe('a sliding window of places', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds across the edge of a clock minute, where a fixed window would start counting again', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-06T10:00:59Z'), toFake: ['Date'] });
    const cache = createLocalCache();
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(true);
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(true);
    vi.setSystemTime(new Date('2026-12-06T10:01:01Z'));
    expect(await takePlace(cache, 'k', 2, MINUTE)).toEqual({ taken: false, retryAfterMs: 58_000 });
    vi.setSystemTime(new Date('2026-12-06T10:01:59.001Z'));
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(true);
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(true);
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(false);
  });

  it('says to wait until the oldest place in the window frees, and refused attempts take none', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-06T10:00:00Z'), toFake: ['Date'] });
    const cache = createLocalCache();
    await takePlace(cache, 'k', 2, MINUTE);
    vi.setSystemTime(new Date('2026-12-06T10:00:20Z'));
    await takePlace(cache, 'k', 2, MINUTE);
    vi.setSystemTime(new Date('2026-12-06T10:00:30Z'));
    for (let i = 0; i < 5; i++)
      expect(await takePlace(cache, 'k', 2, MINUTE)).toEqual({ taken: false, retryAfterMs: 30_000 });
    vi.setSystemTime(new Date('2026-12-06T10:01:00.001Z'));
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(true);
    expect(await takePlace(cache, 'k', 2, MINUTE)).toEqual({ taken: false, retryAfterMs: 19_999 });
  });

  it('frees a place exactly a window after it was taken, and gives back only the place given back', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-06T10:00:00Z'), toFake: ['Date'] });
    const cache = createLocalCache();
    const first = await takePlace(cache, 'k', 2, MINUTE);
    vi.setSystemTime(new Date('2026-12-06T10:00:10Z'));
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(true);
    if (!first.taken) throw new Error('the first place should have been taken');
    await first.place.giveBack();
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(true);
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(false);
    // 10:01:10 is a window after the place of 10:00:10: it is free again, the one of 10:00:10 (given back) long ago.
    vi.setSystemTime(new Date('2026-12-06T10:01:10Z'));
    expect((await takePlace(cache, 'k', 2, MINUTE)).taken).toBe(true);
  });

  it('counts each key apart, and a place given back is free again', async () => {
    const cache = createLocalCache();
    const first = await takePlace(cache, 'a', 1, MINUTE);
    expect((await takePlace(cache, 'b', 1, MINUTE)).taken).toBe(true);
    expect((await takePlace(cache, 'a', 1, MINUTE)).taken).toBe(false);
    if (!first.taken) throw new Error('the first place should have been taken');
    await first.place.giveBack();
    expect((await takePlace(cache, 'a', 1, MINUTE)).taken).toBe(true);
    expect((await takePlace(cache, 'b', 1, MINUTE)).taken).toBe(false);
  });
});

describe('a share of a total in a sliding window', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes amounts while they fit, refuses one that does not, and frees them a window later', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-06T10:00:00Z'), toFake: ['Date'] });
    const cache = createLocalCache();
    const DAY = 24 * 60 * MINUTE;
    expect(await takeShare(cache, 's', 600, 1_000, DAY)).toBe(true);
    vi.setSystemTime(new Date('2026-12-06T10:00:30Z'));
    expect(await takeShare(cache, 's', 300, 1_000, DAY)).toBe(true);
    vi.setSystemTime(new Date('2026-12-06T18:00:00Z'));
    expect(await takeShare(cache, 's', 200, 1_000, DAY)).toBe(false);
    expect(await takeShare(cache, 's', 100, 1_000, DAY)).toBe(true);
    expect(await takeShare(cache, 'other', 1_000, 1_000, DAY)).toBe(true);
    // A refusal changes nothing: still 1,000 of 1,000 taken.
    expect(await takeShare(cache, 's', 1, 1_000, DAY)).toBe(false);
    // The same minute's shares are one entry, so a busy day stays small.
    expect(JSON.parse((await cache.get('s')) ?? '[]')).toHaveLength(2);
    // Counted to the minute: the first two (10:00 and 10:00:30) are free again exactly a day after
    // 10:00, not a moment before; the 100 of 18:00 still counts.
    vi.setSystemTime(new Date('2026-12-07T09:59:59Z'));
    expect(await takeShare(cache, 's', 1, 1_000, DAY)).toBe(false);
    vi.setSystemTime(new Date('2026-12-07T10:00:00Z'));
    expect(await takeShare(cache, 's', 901, 1_000, DAY)).toBe(false);
    expect(await takeShare(cache, 's', 900, 1_000, DAY)).toBe(true);
  });
});
