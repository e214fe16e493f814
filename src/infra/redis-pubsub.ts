import { Redis } from 'ioredis';
import type { PubSub } from './pubsub.js';

/** PubSub across processes; loaded only with REDIS_URL (ioredis stays out of the embedded mode). */
export function createRedisPubSub(url: string, onError: (error: Error) => void, prefix = 'parley'): PubSub {
  // Redis channels ignore the database number, so the prefix is what keeps deployments apart.
  const channelPrefix = `${prefix}:`;
  const publisher = new Redis(url, { connectionName: 'parley-pub', maxRetriesPerRequest: 2 });
  // A subscribed connection can do nothing else, so it is a second one.
  const subscriber = new Redis(url, { connectionName: 'parley-sub' });
  publisher.on('error', onError);
  subscriber.on('error', onError);
  const listeners = new Map<string, Set<(message: string) => void>>();
  subscriber.on('message', (channel: string, message: string) => {
    for (const listener of listeners.get(channel.slice(channelPrefix.length)) ?? []) listener(message);
  });
  return {
    kind: 'redis',
    async publish(channel, message) {
      await publisher.publish(channelPrefix + channel, message);
    },
    async subscribe(channel, listener) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        try {
          await subscriber.subscribe(channelPrefix + channel);
        } catch (error) {
          // Not subscribed after all (Redis unreachable): the next attempt must ask Redis again.
          if (listeners.get(channel) === set && set.size === 0) listeners.delete(channel);
          throw error;
        }
      }
      set.add(listener);
      return async () => {
        const current = listeners.get(channel);
        current?.delete(listener);
        if (current && current.size === 0) {
          listeners.delete(channel);
          await subscriber.unsubscribe(channelPrefix + channel);
        }
      };
    },
    async close() {
      listeners.clear();
      await Promise.all([publisher.quit(), subscriber.quit()].map((done) => done.catch(() => undefined)));
    },
  };
}
