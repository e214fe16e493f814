import { describe, expect, it } from 'vitest';
import { leave, parseState, take, type FairShareState, type TakeRequest } from './fair-share.js';

/**
 * The decision on the shared state itself (fair-share.test.ts drives it through the
 * gate): what a waiting call is told, to the millisecond, and what the state keeps.
 */

const START = Date.UTC(2026, 10, 24, 10, 0, 0);
const MINUTE = 60_000;

const fresh = (at = START): FairShareState => parseState(undefined, Math.floor(at / MINUTE));
const ask = (state: FairShareState, business: string, at: number, extra: Partial<TakeRequest> = {}) =>
  take(state, {
    business,
    weight: 1,
    line: `${business}-line`,
    moreWaiting: false,
    at,
    limit: 60,
    windowMs: MINUTE,
    ...extra,
  });
const takeMany = (state: FairShareState, business: string, at: number, count: number) =>
  Array.from({ length: count }, () => ask(state, business, at)).filter((outcome) => outcome.granted).length;

describe('the shared state of the fair share', () => {
  it('tells a business over the budget when the window frees its next slot', () => {
    const state = fresh();
    expect(takeMany(state, 'a', START, 60)).toBe(60);
    // 60 used in this minute: the first one slides out a second into the next.
    expect(ask(state, 'a', START + 10_000)).toEqual({
      granted: false,
      reason: 'full',
      retryAt: START + MINUTE + 1_000,
      earliest: START + MINUTE + 1_000,
    });
    // Half-way through the next minute, half of the previous one still counts.
    expect(takeMany(state, 'a', START + MINUTE + 30_000, 60)).toBe(30);
  });

  it('forgets a minute that lies wholly outside the window: two quiet minutes later the whole budget is there', () => {
    const state = fresh();
    expect(takeMany(state, 'a', START, 60)).toBe(60);
    expect(takeMany(state, 'a', START + 2 * MINUTE + 30_000, 80)).toBe(60);
  });

  it("makes a business wait its turn behind one that has used less, until that one's slot frees", () => {
    const state = fresh();
    expect(takeMany(state, 'a', START, 60)).toBe(60);
    expect(ask(state, 'b', START + 1_000)).toMatchObject({ granted: false, reason: 'full' });
    // B waits with nothing used: A, with 60, must let it go first.
    expect(ask(state, 'a', START + 2_000)).toEqual({
      granted: false,
      reason: 'turn',
      retryAt: START + MINUTE + 1_000,
      earliest: START + MINUTE + 1_000,
    });
    expect(ask(state, 'b', START + MINUTE + 1_000)).toEqual({ granted: true });
  });

  it('keeps a line registered while more calls wait behind the one granted, and leaves no trace once served', () => {
    const state = fresh();
    expect(ask(state, 'a', START, { moreWaiting: true })).toEqual({ granted: true });
    expect(Object.keys(state.businesses.a!.waiters)).toEqual(['a-line']);
    expect(ask(state, 'a', START)).toEqual({ granted: true });
    expect(state.businesses.a!.waiters).toEqual({});
    expect(state).toMatchObject({ current: 2, businesses: { a: { current: 2 } } });
  });

  it('takes a line out, and the business with it once it has nothing in the window', () => {
    const state = fresh();
    expect(ask(state, 'a', START, { moreWaiting: true })).toEqual({ granted: true });
    leave(state, 'a', 'a-line');
    // A's call still counts in this minute: the business stays, without its line.
    expect(state.businesses.a).toEqual({ previous: 0, current: 1, weight: 1, waiters: {} });
    ask(state, 'b', START + 1, { limit: 1 });
    leave(state, 'b', 'b-line');
    expect(state.businesses.b).toBeUndefined();
    leave(state, 'nobody', 'x');
    expect(Object.keys(state.businesses)).toEqual(['a']);
  });

  it("forgets a line that stopped polling 3 s ago, and with it that business's turn", () => {
    const state = fresh();
    expect(takeMany(state, 'a', START, 60)).toBe(60);
    // B polls last at 10:01:00.9, while the window is still full.
    expect(ask(state, 'b', START + MINUTE + 900)).toMatchObject({ granted: false, reason: 'full' });
    expect(ask(state, 'a', START + MINUTE + 3_900)).toMatchObject({ granted: false, reason: 'turn' });
    expect(ask(state, 'a', START + MINUTE + 3_901)).toEqual({ granted: true });
    expect(state.businesses.b).toBeUndefined();
  });

  it('does not fail a call that is only waiting its turn: the slot it would take is free now', () => {
    const state = fresh();
    expect(takeMany(state, 'a', START, 58)).toBe(58);
    expect(ask(state, 'b', START, { moreWaiting: true })).toEqual({ granted: true });
    // One slot is left: A (58 used) lets B (1 used, more waiting) go first, but nothing is full.
    expect(ask(state, 'a', START + 1_000)).toEqual({
      granted: false,
      reason: 'turn',
      retryAt: START + 1_000,
      earliest: START + 1_000,
    });
  });

  it('gives a weighted business alone the whole budget at once, as it would one of weight 1', () => {
    const state = fresh();
    const heavy = Array.from({ length: 70 }, () => ask(state, 'heavy', START, { weight: 3 }));
    expect(heavy.filter((outcome) => outcome.granted)).toHaveLength(60);
  });

  it('takes turns by use for the weight: a business of weight 3 with 24 used goes before one of weight 1 with 10', () => {
    const state = fresh();
    expect(takeMany(state, 'a', START, 10)).toBe(10);
    for (let i = 0; i < 24; i++) ask(state, 'heavy', START, { weight: 3, moreWaiting: true });
    expect(ask(state, 'a', START)).toMatchObject({ granted: false, reason: 'turn' });
    expect(ask(state, 'heavy', START, { weight: 3 })).toEqual({ granted: true });
  });

  it('keeps a twentieth of the budget for a quiet business once a busy one is over its share', () => {
    const state = fresh();
    expect(takeMany(state, 'a', START, 60)).toBe(60);
    // 50 s into the next minute, 10 of A's still count; B calls once and is done.
    const at = START + MINUTE + 50_000;
    expect(ask(state, 'b', at)).toEqual({ granted: true });
    // A may have 60 - 10 - 1 less the 3 slots (60 / 20) kept for B.
    expect(takeMany(state, 'a', at, 60)).toBe(46);
  });

  it('keeps a business while another of its lines still waits, and its turn with it', () => {
    const state = fresh();
    expect(takeMany(state, 'a', START, 60)).toBe(60);
    ask(state, 'b', START + 1_000, { line: 'b-1' });
    ask(state, 'b', START + 1_000, { line: 'b-2' });
    leave(state, 'b', 'b-1');
    expect(Object.keys(state.businesses.b!.waiters)).toEqual(['b-2']);
    expect(ask(state, 'a', START + 2_000)).toMatchObject({ reason: 'turn' });
  });

  it('reads a value it cannot parse as an empty minute', () => {
    expect(parseState('{not json', 7)).toEqual({ window: 7, previous: 0, current: 0, businesses: {} });
  });
});
