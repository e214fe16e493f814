import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLocalCache } from '../infra/cache.js';
import { firstLimitNotice, takeCustomerReply } from './customer-limit.js';

const ana = { userId: 'shop', channel: 'telegram' as const, customerId: '1001' };

describe('a customer’s AI replies an hour', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('allows the limit in any sliding hour, then refuses until the oldest call is an hour old', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-06T10:00:00Z'), toFake: ['Date'] });
    const cache = createLocalCache();
    expect(await takeCustomerReply(cache, ana, 2)).toBeDefined();
    vi.setSystemTime(new Date('2026-12-06T10:30:00Z'));
    expect(await takeCustomerReply(cache, ana, 2)).toBeDefined();
    expect(await takeCustomerReply(cache, ana, 2)).toBeUndefined();
    // The same customer id on another channel, or of another business, is another customer.
    expect(await takeCustomerReply(cache, { ...ana, channel: 'instagram' }, 2)).toBeDefined();
    expect(await takeCustomerReply(cache, { ...ana, userId: 'other-shop' }, 2)).toBeDefined();
    vi.setSystemTime(new Date('2026-12-06T11:00:01Z'));
    expect(await takeCustomerReply(cache, ana, 2)).toBeDefined();
    expect(await takeCustomerReply(cache, ana, 2)).toBeUndefined();
  });

  it('has no limit at 0', async () => {
    const cache = createLocalCache();
    for (let i = 0; i < 100; i++) expect(await takeCustomerReply(cache, ana, 0)).toBeDefined();
  });

  it('gives a reply back when its call does not happen after all', async () => {
    const cache = createLocalCache();
    const first = await takeCustomerReply(cache, ana, 1);
    expect(await takeCustomerReply(cache, ana, 1)).toBeUndefined();
    await first!.giveBack();
    expect(await takeCustomerReply(cache, ana, 1)).toBeDefined();
    expect(await takeCustomerReply(cache, ana, 1)).toBeUndefined();
  });

  it('gives back only the reply not made: the customer’s other replies this hour still count', async () => {
    const cache = createLocalCache();
    const first = await takeCustomerReply(cache, ana, 3);
    expect(await takeCustomerReply(cache, ana, 3)).toBeDefined();
    expect(await takeCustomerReply(cache, ana, 3)).toBeDefined();
    await first!.giveBack();
    expect(await takeCustomerReply(cache, ana, 3)).toBeDefined();
    expect(await takeCustomerReply(cache, ana, 3)).toBeUndefined();
  });

  it('has nothing to give back without a limit', async () => {
    const cache = createLocalCache();
    const counted = await takeCustomerReply(cache, ana, 0);
    await expect(counted!.giveBack()).resolves.toBeUndefined();
    expect(await cache.get(`customer-replies:shop:telegram:1001`)).toBeUndefined();
  });

  it('says the limit message once an hour', async () => {
    const cache = createLocalCache();
    expect(await firstLimitNotice(cache, ana)).toBe(true);
    expect(await firstLimitNotice(cache, ana)).toBe(false);
    expect(await firstLimitNotice(cache, { ...ana, customerId: '1002' })).toBe(true);
  });
});
