import { setTimeout as sleep } from 'node:timers/promises';
import type { PubSub } from '../infra/pubsub.js';
import { listenToChannel } from './channel-listener.js';
import { createLocalEventBus, type EventBus, type ParleyEvent } from './events.js';

/**
 * The event bus of a process among several: an event published anywhere (a
 * `serve` answering an `ask`, a `parley worker` answering a Telegram message)
 * reaches the WebSocket listeners of every `serve` process, once each. Events
 * travel as JSON on one pub/sub channel (namespaced by PARLEY_REDIS_PREFIX);
 * with the in-process PubSub the round trip stays inside this process. The
 * events published in one turn of the event loop go as one message (an
 * array), in order: an answer and its question, or fifty businesses' events
 * under load, are one round trip to Redis rather than one each.
 */
export const EVENTS_CHANNEL = 'events';

interface Envelope {
  userId: string;
  event: ParleyEvent;
}

export interface FanoutEventBus extends EventBus {
  /** Resolves once this process hears the channel (at once when it does not listen); never rejects. */
  readonly ready: Promise<void>;
  /** Stops listening to the channel; publishing still works until the PubSub closes. */
  close(): Promise<void>;
}

export interface FanoutOptions {
  /** False for a process with nobody to deliver to (`parley worker`): it only publishes. Default true. */
  listen?: boolean;
  /**
   * How long creation waits for the subscription before going on without it (Redis down at
   * start-up must not stop a server); it keeps trying in the background. Default 2 s.
   */
  waitMs?: number;
  /** A publish that did not reach the pub/sub (Redis down): the event is lost, the caller carries on. */
  onPublishError?: (error: unknown) => void;
  /** A subscription attempt that failed; another follows. */
  onSubscribeError?: (error: unknown) => void;
  /** A listener that threw, or a message on the channel that is not an event. */
  onListenerError?: (error: unknown) => void;
}

export async function createFanoutEventBus(pubsub: PubSub, options: FanoutOptions = {}): Promise<FanoutEventBus> {
  const onPublishError = options.onPublishError ?? (() => {});
  const onListenerError = options.onListenerError ?? (() => {});
  // Delivery inside this process, once a message is back from the channel.
  const local = createLocalEventBus(onListenerError);

  const onMessage = (message: string) => {
    let envelopes: Envelope[];
    try {
      envelopes = parseEnvelopes(message);
    } catch (error) {
      onListenerError(error);
      return;
    }
    for (const envelope of envelopes) local.publish(envelope.userId, envelope.event);
  };
  const listener = listenToChannel(pubsub, EVENTS_CHANNEL, onMessage, options);
  const ready = listener.ready;
  // Subscribed before anyone can publish when the pub/sub answers, so that nothing sent here is missed.
  const waiting = new AbortController();
  const gaveUp = sleep(options.waitMs ?? 2_000, undefined, { signal: waiting.signal, ref: false }).catch(() => {});
  await Promise.race([ready, gaveUp]);
  waiting.abort();

  let batch: Envelope[] = [];
  const flush = async () => {
    const envelopes = batch;
    batch = [];
    if (envelopes.length === 0) return;
    const message = JSON.stringify(envelopes.length === 1 ? envelopes[0] : envelopes);
    // Fire and forget: live events are a courtesy to watchers; the database holds the truth.
    await pubsub.publish(EVENTS_CHANNEL, message).catch(onPublishError);
  };

  return {
    ready,
    publish(userId, event) {
      if (batch.push({ userId, event }) === 1) setImmediate(() => void flush());
    },
    subscribe: (listener) => local.subscribe(listener),
    // What this turn published goes out before the pub/sub may close (the CLI closes it right after).
    close: async () => {
      await flush();
      await listener.close();
    },
  };
}

/**
 * The event bus of a process alone, without Redis: its events go to its own listeners as they
 * are, at the same moment the fan-out bus would deliver them (after the publisher's turn, those
 * of one turn together, in order), without the JSON the wire needs.
 */
export function createSingleProcessEventBus(options: Pick<FanoutOptions, 'onListenerError'> = {}): FanoutEventBus {
  const local = createLocalEventBus(options.onListenerError);
  let batch: Envelope[] = [];
  const flush = () => {
    const envelopes = batch;
    batch = [];
    for (const envelope of envelopes) local.publish(envelope.userId, envelope.event);
  };
  return {
    ready: Promise.resolve(),
    publish(userId, event) {
      if (batch.push({ userId, event }) === 1) setImmediate(flush);
    },
    subscribe: (listener) => local.subscribe(listener),
    close: async () => flush(),
  };
}

/** One event's envelope, or several published together. */
function parseEnvelopes(message: string): Envelope[] {
  const value = JSON.parse(message) as unknown;
  return Array.isArray(value) ? value.map(checkEnvelope) : [checkEnvelope(value)];
}

function checkEnvelope(raw: unknown): Envelope {
  const value = raw as Partial<Envelope> | null;
  if (
    !value ||
    typeof value.userId !== 'string' ||
    typeof value.event !== 'object' ||
    value.event === null ||
    typeof value.event.type !== 'string'
  ) {
    throw new Error(`not an event envelope on the ${EVENTS_CHANNEL} channel`);
  }
  return value as Envelope;
}
