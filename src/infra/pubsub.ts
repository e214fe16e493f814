import { EventEmitter } from 'node:events';

/**
 * Messages to every process that listens: what carries a business's live
 * events from the process that produced them to the processes holding its
 * WebSocket connections. Redis pub/sub across processes; an emitter in one.
 */
export type Unsubscribe = () => Promise<void>;

export interface PubSub {
  readonly kind: 'local' | 'redis';
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, listener: (message: string) => void): Promise<Unsubscribe>;
  close(): Promise<void>;
}

export function createLocalPubSub(): PubSub {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    kind: 'local',
    async publish(channel, message) {
      // Delivered on a later tick, as Redis would: a publisher never runs its listeners inline.
      queueMicrotask(() => emitter.emit(channel, message));
    },
    async subscribe(channel, listener) {
      emitter.on(channel, listener);
      return async () => {
        emitter.off(channel, listener);
      };
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}
