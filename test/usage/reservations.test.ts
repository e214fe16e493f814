import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalCache } from '../../src/infra/cache.js';
import { reserveTokens, type ReservationDeps } from '../../src/usage/quota-reservations.js';
import { setQuotaLimits } from '../../src/usage/quota.service.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * The caps' reservations on their own (test/usage/caps.test.ts has them under
 * concurrent asks): what a call holds, for how long, and what giving it back frees.
 */

const NOW = new Date('2026-12-06T10:00:00Z');
const DEADLINE_MS = 60_000;
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.handle.db.execute(
    `insert into users (id, username, default_reply_handler) values ('capped', 'capped', 'AI'), ('free', 'free', 'AI')`,
  );
  await setQuotaLimits(database.handle.db, 'capped', { dailyTokens: 1_000 });
});
afterAll(async () => {
  await database?.drop();
});
afterEach(() => {
  vi.useRealTimers();
});

const depsWith = (cache = createLocalCache()): ReservationDeps => ({
  db: database.handle.db,
  cache,
  config: { timezone: 'UTC', defaultQuota: { dailyTokens: undefined, monthlyTokens: undefined } },
});
const reserve = (deps: ReservationDeps, tokens: number, userId = 'capped') =>
  reserveTokens(deps, userId, tokens, DEADLINE_MS, NOW);

describe('reservations against a cap', () => {
  it('let calls start while the cap has room, one at most going over, and give back only their own', async () => {
    const deps = depsWith();
    const first = await reserve(deps, 600);
    const second = await reserve(deps, 600);
    expect(first).toBeDefined();
    // 400 were left: the second starts, and may go over by its own worst case.
    expect(second).toBeDefined();
    expect(await reserve(deps, 1)).toBeUndefined();

    await first!.release();
    // The second still holds its 600: 400 left, taken by the next, then none.
    expect(await reserve(deps, 500)).toBeDefined();
    expect(await reserve(deps, 1)).toBeUndefined();
  });

  it("lapse by themselves 30 s after the call's deadline, so a crashed process does not hold the cap", async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    const deps = depsWith();
    expect(await reserve(deps, 1_000)).toBeDefined();
    vi.setSystemTime(NOW.getTime() + DEADLINE_MS + 29_999);
    expect(await reserve(deps, 1)).toBeUndefined();
    vi.setSystemTime(NOW.getTime() + DEADLINE_MS + 30_001);
    expect(await reserve(deps, 1)).toBeDefined();
  });

  it('hold nothing for a business without caps', async () => {
    const cache = createLocalCache();
    const deps = depsWith(cache);
    expect(await reserve(deps, 1_000_000, 'free')).toBeDefined();
    expect(await reserve(deps, 1_000_000, 'free')).toBeDefined();
    expect(await cache.get('quota-reservations:free')).toBeUndefined();
  });

  it("count the operator's default cap for a business without its own", async () => {
    const deps = {
      ...depsWith(),
      config: { timezone: 'UTC', defaultQuota: { dailyTokens: 100, monthlyTokens: undefined } },
    };
    expect(await reserve(deps, 100, 'free')).toBeDefined();
    expect(await reserve(deps, 1, 'free')).toBeUndefined();
  });
});
