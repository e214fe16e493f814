import { Redis } from 'ioredis';

export type { Redis };

/**
 * One ioredis connection. It reconnects by itself with capped backoff; commands
 * issued while it is down fail fast instead of queueing without bound.
 */
export function connectRedis(url: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    connectionName: 'parley',
  });
  redis.on('error', onError);
  return redis;
}

export async function closeRedis(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
