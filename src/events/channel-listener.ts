import { setTimeout as sleep } from 'node:timers/promises';
import type { PubSub, Unsubscribe } from '../infra/pubsub.js';

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/** A subscription to one pub/sub channel that keeps trying until it holds. */
export interface ChannelListener {
  /** Resolves once this process hears the channel (at once when it does not listen); never rejects. */
  readonly ready: Promise<void>;
  /** Stops listening, or trying to. */
  close(): Promise<void>;
}

export interface ChannelListenerOptions {
  /** False for a process that only publishes: nothing is subscribed. Default true. */
  listen?: boolean;
  /** A subscription attempt that failed; another follows, backing off up to 30 s. */
  onSubscribeError?: (error: unknown) => void;
}

/**
 * Listens to `channel` for as long as the listener is open. Redis down at start-up
 * must not stop a server, so a failed subscription is retried in the background.
 */
export function listenToChannel(
  pubsub: PubSub,
  channel: string,
  onMessage: (message: string) => void,
  options: ChannelListenerOptions = {},
): ChannelListener {
  const stopped = new AbortController();
  let unsubscribe: Unsubscribe | undefined;
  const subscribe = async () => {
    for (let attempt = 0; !stopped.signal.aborted; attempt++) {
      try {
        const done = await pubsub.subscribe(channel, onMessage);
        if (stopped.signal.aborted) await done();
        else unsubscribe = done;
        return;
      } catch (error) {
        options.onSubscribeError?.(error);
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt);
        await sleep(delay, undefined, { signal: stopped.signal, ref: false }).catch(() => undefined);
      }
    }
  };
  return {
    ready: options.listen === false ? Promise.resolve() : subscribe(),
    async close() {
      stopped.abort();
      const done = unsubscribe;
      unsubscribe = undefined;
      await done?.();
    },
  };
}
