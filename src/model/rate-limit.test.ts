import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalCache } from '../infra/cache.js';
import { createGeminiProvider } from './gemini.client.js';
import { GeminiFake } from '../../test/fakes/gemini.js';
import { helloRequest } from '../../test/helpers/model-request.js';
import { ModelError } from './model-provider.js';
import { createRateGate } from './rate-limit.js';

/** A clock the gate sleeps on: sleeping moves time forward instead of waiting. */
function fakeClock(start = Date.UTC(2026, 10, 24, 10, 0, 0)) {
  let now = start;
  const slept: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
    advance: (ms: number) => (now += ms),
    slept,
  };
}

describe('the shared key rate gate', () => {
  it('lets the configured number of calls through per minute, then makes the next wait', async () => {
    const clock = fakeClock();
    const cache = createLocalCache(clock.now);
    const gate = createRateGate({ cache, requestsPerMinute: 3, now: clock.now, sleep: clock.sleep, random: () => 0 });
    const far = clock.now() + 10 * 60_000;
    for (let i = 0; i < 3; i++) await gate.acquire(far);
    expect(clock.slept).toEqual([]);
    await gate.acquire(far);
    // The fourth waited until the window had slid far enough to make room.
    expect(clock.slept.length).toBeGreaterThan(0);
    expect(clock.now()).toBeGreaterThanOrEqual(Date.UTC(2026, 10, 24, 10, 0, 20));
  });

  it('counts the minute before, so a burst at a window edge cannot double the rate', async () => {
    const clock = fakeClock(Date.UTC(2026, 10, 24, 10, 0, 50));
    const cache = createLocalCache(clock.now);
    const gate = createRateGate({ cache, requestsPerMinute: 4, now: clock.now, sleep: clock.sleep, random: () => 0 });
    const far = clock.now() + 10 * 60_000;
    for (let i = 0; i < 4; i++) await gate.acquire(far);
    clock.advance(11_000); // 10:01:01, a new fixed window
    await gate.acquire(far);
    expect(clock.slept.length).toBeGreaterThan(0);
  });

  it('gives up with rate_limited rather than wait past the call deadline', async () => {
    const clock = fakeClock();
    const gate = createRateGate({
      cache: createLocalCache(clock.now),
      requestsPerMinute: 1,
      now: clock.now,
      sleep: clock.sleep,
    });
    await gate.acquire(clock.now() + 5_000);
    const failure = await gate.acquire(clock.now() + 5_000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ModelError);
    expect(failure).toMatchObject({ errorClass: 'rate_limited' });
  });

  it('makes every caller wait out a back-off, and 0 means no limit', async () => {
    const clock = fakeClock();
    const cache = createLocalCache(clock.now);
    const one = createRateGate({ cache, requestsPerMinute: 0, now: clock.now, sleep: clock.sleep, random: () => 0 });
    const other = createRateGate({ cache, requestsPerMinute: 0, now: clock.now, sleep: clock.sleep, random: () => 0 });
    for (let i = 0; i < 1000; i++) await other.acquire(clock.now() + 1_000);
    expect(clock.slept).toEqual([]);
    await one.backOff(7_000);
    const before = clock.now();
    await other.acquire(before + 60_000);
    expect(clock.now() - before).toBe(7_000);
  });
});

describe('the Gemini provider behind a shared gate', () => {
  let gemini: GeminiFake;
  beforeAll(async () => {
    gemini = await GeminiFake.start({ apiKey: 'k' });
  });
  afterAll(() => gemini.close());
  beforeEach(() => gemini.reset());

  // Two providers on one cache stand for two processes on one Redis.
  const twoProcesses = (requestsPerMinute: number) => {
    const cache = createLocalCache();
    return [0, 1].map(() =>
      createGeminiProvider({
        apiKey: 'k',
        baseUrl: gemini.url,
        policy: { baseDelayMs: 10, maxDelayMs: 50, deadlineMs: 1_000, retries: 2 },
        gate: createRateGate({ cache, requestsPerMinute }),
      }),
    );
  };

  it('holds all processes together to the per-minute budget: the call over it never reaches Google', async () => {
    const [a, b] = twoProcesses(2);
    gemini.enqueue({ text: 'one' }, { text: 'two' }, { text: 'three' });
    await a!.generate(helloRequest);
    await b!.generate(helloRequest);
    const failure = await a!.generate(helloRequest).catch((error: unknown) => error);
    expect(failure).toMatchObject({ errorClass: 'rate_limited' });
    expect(gemini.requests.filter((r) => r.method === 'generateContent')).toHaveLength(2);
  });

  it('backs off together on a 429: the other process does not call until the server said it may', async () => {
    const [a, b] = twoProcesses(0);
    gemini.enqueue({ error: { status: 429, retryDelay: '30s' } });
    const first = await a!.generate(helloRequest).catch((error: unknown) => error);
    expect(first).toMatchObject({ errorClass: 'rate_limited' });
    const second = await b!.generate(helloRequest).catch((error: unknown) => error);
    expect(second).toMatchObject({ errorClass: 'rate_limited' });
    expect(gemini.requests.filter((r) => r.method === 'generateContent')).toHaveLength(1);
  });
});
