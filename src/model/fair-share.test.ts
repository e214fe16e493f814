import { describe, expect, it } from 'vitest';
import { createLocalCache, type Cache } from '../infra/cache.js';
import { VirtualClock } from '../../test/helpers/virtual-clock.js';
import type { BusinessShare } from './model-provider.js';
import { createRateGate, type RateGate } from './rate-limit.js';

/** 10:00:00 UTC, the start of a minute: the sliding window's arithmetic is easy to follow from there. */
const START = Date.UTC(2026, 10, 24, 10, 0, 0);
const MINUTE = 60_000;

interface Call {
  business: string;
  asked: number;
  granted?: number;
  failed?: unknown;
}

/** Gates (processes) sharing one local cache, all on one virtual clock. */
function setup(requestsPerMinute: number, start = START) {
  const clock = new VirtualClock(start);
  const cache = createLocalCache(clock.now);
  const calls: Call[] = [];
  const gate = (options: { sleep?: (ms: number) => Promise<void>; on?: Cache } = {}) =>
    createRateGate({
      cache: options.on ?? cache,
      requestsPerMinute,
      now: clock.now,
      sleep: options.sleep ?? clock.sleep,
      random: () => 0,
    });
  /** Starts a call; what became of it is in `calls`. */
  const ask = (through: RateGate, business: BusinessShare, deadline = clock.now() + 10 * MINUTE) => {
    const call: Call = { business: business.id, asked: clock.now() };
    calls.push(call);
    void through.acquire(deadline, business).then(
      () => (call.granted = clock.now()),
      (error: unknown) => (call.failed = error),
    );
    return call;
  };
  const grantedTo = (business: string, from = 0, to = Number.POSITIVE_INFINITY) =>
    calls.filter((call) => call.business === business && call.granted! >= from && call.granted! < to).length;
  const state = async () =>
    JSON.parse((await cache.get('gemini:fair-share')) ?? '{}') as {
      businesses: Record<string, { waiters: Record<string, number> }>;
    };
  return { clock, cache, gate, ask, calls, grantedTo, state };
}

const A = { id: 'business-a', weight: 1 };
const B = { id: 'business-b', weight: 1 };

describe('a fair share of the shared key', () => {
  it('gives a business alone the whole budget at once: nothing is held back when nobody else wants it', async () => {
    const { clock, gate, ask, calls, grantedTo } = setup(60);
    const only = gate();
    for (let i = 0; i < 80; i++) ask(only, A);
    await clock.advance(1);
    expect(grantedTo(A.id)).toBe(60);
    expect(calls.slice(0, 60).every((call) => call.granted === START)).toBe(true);
    // The 61st waits for the window to slide (one slot a second at 60 a minute), not for a turn.
    await clock.runUntil(START + MINUTE + 1_100);
    expect(grantedTo(A.id)).toBe(61);
  });

  it('serves two flooding businesses in turn, by weight', async () => {
    const { clock, gate, ask, grantedTo } = setup(60);
    const one = gate();
    const heavy = { id: 'heavy', weight: 3 };
    for (let i = 0; i < 300; i++) {
      ask(one, A);
      ask(one, heavy);
    }
    await clock.runUntil(START + 3 * MINUTE);
    const a = grantedTo(A.id);
    const weighted = grantedTo(heavy.id);
    // Three minutes of a 60-a-minute budget, (nearly) all of it used, three slots to one.
    expect(a + weighted).toBeGreaterThanOrEqual(170);
    expect(a + weighted).toBeLessThanOrEqual(180);
    expect(weighted / a).toBeGreaterThan(2.7);
    expect(weighted / a).toBeLessThan(3.3);
  });

  it("makes a business sending ten times its share wait behind its own calls, not in front of another's", async () => {
    const { clock, gate, ask, calls, grantedTo } = setup(60);
    const flood = gate();
    const quiet = gate();
    // B calls once every 5 s; just after its first, A sends 600 calls at once, ten minutes of the budget.
    ask(quiet, B);
    await clock.advance(1);
    for (let i = 0; i < 600; i++) ask(flood, A);
    for (let second = 5; second < 240; second += 5) {
      await clock.runUntil(START + second * 1_000);
      ask(quiet, B);
    }
    await clock.runUntil(START + 241_000);
    const quietCalls = calls.filter((call) => call.business === B.id);
    expect(quietCalls).toHaveLength(48);
    const waits = quietCalls.map((call) => call.granted! - call.asked);
    // A took its share at once, then went at the budget's pace with a headroom kept for B: none
    // of B's calls waited, in the flood's first minute either.
    expect(waits).toEqual(waits.map(() => 0));
    // A had the rest, less the headroom (max(1, 60/20) = 3 slots) kept for B.
    const rest = grantedTo(A.id, START + 2 * MINUTE, START + 4 * MINUTE);
    expect(rest).toBeGreaterThanOrEqual(2 * (60 - 12) - 2 * 3 - 6);
    expect(rest + grantedTo(B.id, START + 2 * MINUTE, START + 4 * MINUTE)).toBeLessThanOrEqual(2 * 60);
  });

  it('keeps at most a tenth of the budget as headroom, however many quiet businesses there are', async () => {
    const { clock, gate, ask, grantedTo } = setup(60);
    const one = gate();
    // A used the whole minute before; 50 s into this one, a sixth of it (10) still counts.
    for (let i = 0; i < 60; i++) ask(one, A);
    await clock.runUntil(START + MINUTE + 50_000);
    // Twenty businesses call once; each is under its share of 60 / 21. Then A floods again.
    for (let i = 0; i < 20; i++) ask(one, { id: `quiet-${i}`, weight: 1 });
    await clock.advance(1);
    for (let i = 0; i < 100; i++) ask(one, A);
    await clock.advance(1);
    // A is held back by 6 slots (a tenth of 60) in all, not by 20 businesses' headroom each.
    expect(grantedTo(A.id, START + MINUTE)).toBe(60 - 10 - 20 - 6);
  });

  it("drops a crashed process's waiting line after 3 s: it holds nobody's turn for longer", async () => {
    const { clock, gate, ask, grantedTo, state } = setup(60);
    const alive = gate();
    // A process that stops in its first sleep: it registered its line and never polls again.
    const crashed = gate({ sleep: () => new Promise<void>(() => undefined) });
    for (let i = 0; i < 60; i++) ask(alive, A);
    await clock.runUntil(START + MINUTE + 500);
    expect(grantedTo(A.id)).toBe(60);
    // The window is full (59.5 of 60 used): B's line registers and "dies"; A asks again.
    const lost = ask(crashed, B);
    const next = ask(alive, A);
    await clock.runUntil(START + MINUTE + 600);
    expect(Object.keys((await state()).businesses[B.id]!.waiters)).toHaveLength(1);
    // At 10:01:01 a slot is free, but B (which has used least) still looks like it is waiting.
    await clock.runUntil(START + MINUTE + 3_400);
    expect(next.granted).toBeUndefined();
    await clock.runUntil(START + MINUTE + 3_600);
    expect(next.granted).toBeGreaterThan(START + MINUTE + 3_500);
    expect(lost.granted).toBeUndefined();
    expect((await state()).businesses[B.id]).toBeUndefined();
  });

  it('fails a call that cannot have a slot before its deadline at once, and its line leaves the state', async () => {
    const { clock, gate, ask, state } = setup(60);
    const one = gate();
    const other = gate();
    for (let i = 0; i < 60; i++) ask(one, A);
    await clock.advance(1);
    // The next slot frees at 10:01:01: a call that must be done within 5 s gives up now.
    const hopeless = ask(other, B, clock.now() + 5_000);
    await clock.advance(1);
    expect(hopeless.failed).toMatchObject({ errorClass: 'rate_limited' });
    expect((await state()).businesses[B.id]).toBeUndefined();
    // And B's abandoned line does not hold A's next call back.
    const next = ask(one, A);
    await clock.runUntil(START + MINUTE + 1_100);
    expect(next.granted).toBeGreaterThanOrEqual(START + MINUTE + 1_000);
  });

  it("fails a waiting call at its deadline while the business's other calls keep their places", async () => {
    const { clock, gate, ask } = setup(60);
    const one = gate();
    for (let i = 0; i < 60; i++) ask(one, A);
    await clock.advance(1);
    // Slots come back one a second from 10:01:01; the first waiting call may wait 62 s, the second only 61.5 s.
    const first = ask(one, A, START + 62_000);
    const impatient = ask(one, A, START + 61_500);
    const third = ask(one, A, START + 70_000);
    await clock.runUntil(START + 64_000);
    expect(first.granted).toBe(START + MINUTE + 1_000);
    expect(impatient.failed).toMatchObject({ errorClass: 'rate_limited' });
    expect(third.granted).toBe(START + MINUTE + 2_000);
  });
});
