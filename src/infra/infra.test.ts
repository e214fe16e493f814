import { describe, expect, it, vi } from 'vitest';
import { createLocalCache } from './cache.js';
import { createLocalQueue } from './local-queue.js';
import { createLocalPubSub } from './pubsub.js';
import { jobType } from './queue.js';
import { cacheContract, pubsubContract, queueContract } from '../../test/helpers/infra-contract.js';

queueContract('in-process', () => createLocalQueue({ backoffMs: 20 }));
cacheContract('in-process', () => createLocalCache());
pubsubContract('in-process', () => createLocalPubSub());

describe('in-process schedules', () => {
  it('run at the cron time in the given zone, every time', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-24T01:59:58Z') });
    try {
      const queue = createLocalQueue();
      const cleanup = jobType<{ days: number }>('cleanup-sessions');
      const runs: string[] = [];
      queue.handle(cleanup, async (job) => {
        runs.push(`${new Date().toISOString()} ${job.data.days}`);
      });
      // 02:00 in Lisbon is 02:00 UTC in winter.
      await queue.schedule(cleanup, '0 2 * * *', 'Europe/Lisbon', { days: 30 });
      await queue.start();
      await vi.advanceTimersByTimeAsync(1_000);
      expect(runs).toEqual([]);
      await vi.advanceTimersByTimeAsync(2_000);
      expect(runs).toEqual(['2026-11-24T02:00:00.000Z 30']);
      await vi.advanceTimersByTimeAsync(24 * 60 * 60 * 1000);
      expect(runs).toHaveLength(2);
      await queue.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('run in UTC every time the pattern matches, and not before', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-24T11:29:30Z') });
    try {
      const queue = createLocalQueue();
      const sweep = jobType<null>('sweep');
      const runs: string[] = [];
      queue.handle(sweep, async () => {
        runs.push(new Date().toISOString());
      });
      await queue.schedule(sweep, '*/30 * * * *', 'UTC', null);
      await queue.start();
      await vi.advanceTimersByTimeAsync(29_000);
      expect(runs).toEqual([]);
      await vi.advanceTimersByTimeAsync(61 * 60 * 1000);
      expect(runs).toEqual(['2026-11-24T11:30:00.000Z', '2026-11-24T12:00:00.000Z', '2026-11-24T12:30:00.000Z']);
      await queue.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuse a malformed cron pattern', async () => {
    const queue = createLocalQueue();
    await expect(queue.schedule(jobType<null>('bad-schedule'), 'every day', 'UTC', null)).rejects.toThrow();
    await queue.close();
  });
});

describe('in-process cache', () => {
  it('clears out expired keys as it grows, keeping every live one', async () => {
    let clock = 0;
    const cache = createLocalCache(() => clock);
    for (let minute = 0; minute < 12_000; minute++) await cache.increment(`gemini:rpm:${minute}`, 60_000);
    await cache.set('watched:alice', '1', 10_000_000);
    clock = 1_000_000;
    for (let minute = 12_000; minute < 12_010; minute++) await cache.increment(`gemini:rpm:${minute}`, 60_000);
    expect(await cache.get('watched:alice')).toBe('1');
    expect(await cache.get('gemini:rpm:12005')).toBe('1');
    expect(await cache.get('gemini:rpm:5')).toBeUndefined();
    await cache.close();
  });
});
