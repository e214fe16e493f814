import { createRedisCache } from '../../src/infra/cache.js';
import { createRedisPubSub } from '../../src/infra/pubsub.js';
import { createRedisQueue } from '../../src/infra/redis-queue.js';
import { cacheContract, pubsubContract, queueContract } from '../helpers/infra-contract.js';

/** The same contract as the in-process implementations, on real Redis (TEST_REDIS_URL). */
const url = process.env.TEST_REDIS_URL!;
const failOnError = (error: Error) => {
  throw error;
};

queueContract('BullMQ', () => createRedisQueue(url, { backoffMs: 20 }));
cacheContract('Redis', () => createRedisCache(url, failOnError));
pubsubContract('Redis', () => createRedisPubSub(url, failOnError));
