import type { Redis } from 'ioredis';

export type { Redis };

/**
 * One ioredis connection. It reconnects by itself with capped backoff; commands
 * issued while it is down fail after two retries instead of queueing without bound.
 * ioredis is loaded only when Redis is configured.
 */
export async function connectRedis(url: string, onError: (error: Error) => void): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    maxRetriesPerRequest: 2,
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
