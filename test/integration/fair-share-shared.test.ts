import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/infra/cache.js';
import { createRedisCache } from '../../src/infra/redis-cache.js';
import type { BusinessShare } from '../../src/model/model-provider.js';
import { createRateGate } from '../../src/model/rate-limit.js';
import { until } from '../helpers/wait.js';

/**
 * Two processes' gates on one Redis: the key's budget and the businesses'
 * turns are the deployment's, not each process's. Each test has its own
 * prefix, as another deployment would.
 */
const url = process.env.TEST_REDIS_URL!;
const failOnError = (error: Error) => {
  throw error;
};
const caches: Cache[] = [];
afterAll(async () => {
  for (const cache of caches) await cache.close();
});

function twoProcesses(requestsPerMinute: number) {
  const prefix = `parley-test-fair-${randomBytes(4).toString('hex')}`;
  const [one, other] = [0, 1].map(() => {
    const cache = createRedisCache(url, failOnError, prefix);
    caches.push(cache);
    return { cache, gate: createRateGate({ cache, requestsPerMinute }) };
  });
  return [one!, other!] as const;
}

/** Starts `count` calls for `business` through `gate`; resolves to how many got a slot, and what the others got. */
async function calls(
  gate: ReturnType<typeof createRateGate>,
  business: BusinessShare,
  count: number,
  deadline: number,
) {
  const outcomes = await Promise.allSettled(Array.from({ length: count }, () => gate.acquire(deadline, business)));
  const refused = outcomes
    .filter((outcome) => outcome.status === 'rejected')
    .map((outcome) => outcome.reason as unknown);
  return { granted: count - refused.length, refused };
}

describe('the fair share across two processes on one Redis', () => {
  it.each([
    { weightA: 1, weightB: 1, expectedA: 10, expectedB: 10 },
    { weightA: 3, weightB: 1, expectedA: 15, expectedB: 5 },
  ])(
    'splits a budget of 20 between two flooding businesses by weight ($weightA:$weightB)',
    async ({ weightA, weightB, expectedA, expectedB }) => {
      const [one, other] = twoProcesses(20);
      const a = { id: 'business-a', weight: weightA };
      const b = { id: 'business-b', weight: weightB };
      // The next free slot is at least 3 s away once the minute's 20 are taken: the rest give up at once.
      const deadline = Date.now() + 2_000;
      const [aOnOne, aOnOther, bOnOther] = await Promise.all([
        calls(one.gate, a, 30, deadline),
        calls(other.gate, a, 30, deadline),
        calls(other.gate, b, 30, deadline),
      ]);
      const grantedA = aOnOne.granted + aOnOther.granted;
      expect(grantedA + bOnOther.granted).toBe(20);
      expect(grantedA).toBeGreaterThanOrEqual(expectedA - 1);
      expect(grantedA).toBeLessThanOrEqual(expectedA + 1);
      expect(bOnOther.granted).toBeGreaterThanOrEqual(expectedB - 1);
      for (const refused of [...aOnOne.refused, ...aOnOther.refused, ...bOnOther.refused]) {
        expect(refused).toMatchObject({ errorClass: 'rate_limited' });
      }
      // Both processes' lines left the shared state when their calls gave up; the counts stay.
      type State = { current: number; businesses: Record<string, { current: number; waiters: object }> };
      const state = await until(async () => {
        const read = JSON.parse((await one.cache.get('gemini:fair-share'))!) as State;
        const waiting = Object.values(read.businesses).some((entry) => Object.keys(entry.waiters).length > 0);
        return waiting ? undefined : read;
      });
      expect(state.current).toBe(20);
      expect(state.businesses[a.id]).toMatchObject({ current: grantedA, waiters: {} });
      expect(state.businesses[b.id]).toMatchObject({ current: bOnOther.granted, waiters: {} });
    },
  );
});
