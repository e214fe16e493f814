import { Redis } from 'ioredis';

/**
 * Deletes every key under `prefix` (BullMQ's queues, schedulers and locks, the shared caches):
 * the test suites and the benchmarks share one Redis, which would otherwise keep each run's keys.
 */
export async function forgetRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
