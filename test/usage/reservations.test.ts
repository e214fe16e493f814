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
    `insert into users (id, username, default_reply_handler) values ('capped', 'capped', 'AI'), ('free', 'free', 'AI'), ('other', 'other', 'AI')`,
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
    const first = await reserve(deps, 700);
    // 300 were left: the second starts, and may go over by its own worst case.
    expect(await reserve(deps, 600)).toBeDefined();
    expect(await reserve(deps, 1)).toBeUndefined();

    await first!.release();
    // The second still holds its 600: 400 are left, then none.
    expect(await reserve(deps, 399)).toBeDefined();
    expect(await reserve(deps, 1)).toBeDefined();
    expect(await reserve(deps, 1)).toBeUndefined();
  });

  it("are each business's own", async () => {
    await setQuotaLimits(database.handle.db, 'other', { dailyTokens: 1_000 });
    const deps = depsWith();
    expect(await reserve(deps, 1_000)).toBeDefined();
    expect(await reserve(deps, 1)).toBeUndefined();
    expect(await reserve(deps, 1_000, 'other')).toBeDefined();
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

  it('lapse one by one while newer ones keep the shared value alive', async () => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    const deps = depsWith();
    // A call that never gives its reservation back (its process crashed), then one that does, later.
    expect(await reserve(deps, 999)).toBeDefined();
    vi.setSystemTime(NOW.getTime() + 50_000);
    const later = await reserve(deps, 1);
    await later!.release();
    vi.setSystemTime(NOW.getTime() + DEADLINE_MS + 30_001);
    // The first has lapsed: the whole cap is there again, not just the 1 token it left.
    expect(await reserve(deps, 1)).toBeDefined();
    expect(await reserve(deps, 1)).toBeDefined();
  });

  it('hold nothing for a business without caps', async () => {
    const cache = createLocalCache();
    const deps = depsWith(cache);
    const held = await reserve(deps, 1_000_000, 'free');
    await expect(held!.release()).resolves.toBeUndefined();
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
