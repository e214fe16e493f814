import { describe, expect, it } from 'vitest';
import { createLocalPubSub } from '../infra/pubsub.js';
import type { ParleyEvent } from './events.js';
import { createFanoutEventBus, createSingleProcessEventBus, EVENTS_CHANNEL } from './fanout.js';

const failed = (conversationId: string): ParleyEvent => ({
  type: 'ai.reply.failed',
  data: { conversation_id: conversationId, reason: 'taken_over' },
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('the fan-out event bus', () => {
  it("delivers an event published by any process to every listening process's subscribers, once each", async () => {
    const pubsub = createLocalPubSub();
    const serveA = await createFanoutEventBus(pubsub);
    const serveB = await createFanoutEventBus(pubsub);
    const worker = await createFanoutEventBus(pubsub, { listen: false });
    const seen: string[] = [];
    serveA.subscribe((userId, event) => seen.push(`A ${userId} ${event.data.conversation_id}`));
    serveB.subscribe((userId, event) => seen.push(`B ${userId} ${event.data.conversation_id}`));
    worker.subscribe(() => seen.push('worker'));

    worker.publish('u1', failed('c1'));
    serveA.publish('u2', failed('c2'));
    await tick();
    expect(seen.sort()).toEqual(['A u1 c1', 'A u2 c2', 'B u1 c1', 'B u2 c2']);

    await serveB.close();
    seen.length = 0;
    worker.publish('u1', failed('c3'));
    await tick();
    expect(seen).toEqual(['A u1 c3']);
  });

  it('sends the events of one turn as one message, and every listener gets them in order', async () => {
    const pubsub = createLocalPubSub();
    const messages: string[] = [];
    const counting = {
      ...pubsub,
      publish: (channel: string, message: string) => (messages.push(message), pubsub.publish(channel, message)),
    };
    const serve = await createFanoutEventBus(counting);
    const worker = await createFanoutEventBus(counting, { listen: false });
    const seen: string[] = [];
    serve.subscribe((userId, event) => seen.push(`${userId} ${event.data.conversation_id}`));

    worker.publish('u1', failed('c1'));
    worker.publish('u2', failed('c2'));
    worker.publish('u1', failed('c3'));
    await tick();
    worker.publish('u3', failed('c4'));
    await tick();
    expect(seen).toEqual(['u1 c1', 'u2 c2', 'u1 c3', 'u3 c4']);
    expect(messages).toHaveLength(2);
    // A lone event goes as it always did, so a process of the previous version still reads it.
    expect(JSON.parse(messages[1]!)).toEqual({ userId: 'u3', event: failed('c4') });
  });

  it('reports what is not an event on the channel, and a failing listener, without losing the next event', async () => {
    const pubsub = createLocalPubSub();
    const problems: unknown[] = [];
    const bus = await createFanoutEventBus(pubsub, { onListenerError: (error) => problems.push(error) });
    const seen: ParleyEvent[] = [];
    bus.subscribe(() => {
      throw new Error('listener broke');
    });
    bus.subscribe((_userId, event) => seen.push(event));

    await pubsub.publish(EVENTS_CHANNEL, 'not json');
    await pubsub.publish(EVENTS_CHANNEL, JSON.stringify({ userId: 'u1' }));
    bus.publish('u1', failed('c1'));
    await tick();
    expect(seen).toEqual([failed('c1')]);
    expect(problems).toHaveLength(3);
  });

  it('reports a publish the pub/sub refused, and the publisher carries on', async () => {
    const pubsub = createLocalPubSub();
    const problems: unknown[] = [];
    const bus = await createFanoutEventBus(
      { ...pubsub, publish: () => Promise.reject(new Error('Redis is down')) },
      { onPublishError: (error) => problems.push(error) },
    );
    expect(() => bus.publish('u1', failed('c1'))).not.toThrow();
    await tick();
    expect(problems).toEqual([new Error('Redis is down')]);
  });

  it('keeps trying to subscribe while the pub/sub refuses, and delivers once it is back', async () => {
    const pubsub = createLocalPubSub();
    const refusals: unknown[] = [];
    let down = true;
    const flaky = {
      ...pubsub,
      subscribe: (channel: string, listener: (message: string) => void) =>
        down ? Promise.reject(new Error('Redis is down')) : pubsub.subscribe(channel, listener),
    };
    // Creation does not wait for it: a server starts while Redis is down.
    const bus = await createFanoutEventBus(flaky, { waitMs: 0, onSubscribeError: (error) => refusals.push(error) });
    const seen: ParleyEvent[] = [];
    bus.subscribe((_userId, event) => seen.push(event));
    down = false;
    await bus.ready;
    expect(refusals).toEqual([new Error('Redis is down')]);
    bus.publish('u1', failed('c1'));
    await tick();
    expect(seen).toEqual([failed('c1')]);
    await bus.close();
  });
});

describe('the event bus of a process alone', () => {
  it("delivers a turn's events after the publisher's turn, in order, to every subscriber, as published", async () => {
    const problems: unknown[] = [];
    const bus = createSingleProcessEventBus({ onListenerError: (error) => problems.push(error) });
    await bus.ready;
    const seen: string[] = [];
    const received: ParleyEvent[] = [];
    bus.subscribe(() => {
      throw new Error('listener broke');
    });
    bus.subscribe((userId, event) => seen.push(`${userId} ${event.data.conversation_id}`));
    const unsubscribe = bus.subscribe((_userId, event) => received.push(event));

    const first = failed('c1');
    bus.publish('u1', first);
    bus.publish('u2', failed('c2'));
    expect(seen).toEqual([]);
    await tick();
    expect(seen).toEqual(['u1 c1', 'u2 c2']);
    expect(received[0]).toBe(first);
    expect(problems).toEqual([new Error('listener broke'), new Error('listener broke')]);

    unsubscribe();
    bus.publish('u1', failed('c3'));
    await bus.close();
    expect(seen).toEqual(['u1 c1', 'u2 c2', 'u1 c3']);
    expect(received).toHaveLength(2);
  });
});
