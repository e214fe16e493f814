import type { Database } from '../db/client.js';
import type { MessageType } from '../db/schema/index.js';
import type { EventBus } from '../events/events.js';
import { deliveryChangedEvent } from './conversation-events.js';
import { DEFAULT_ATTEMPTS, jobType, PermanentJobError, type Queue } from '../infra/queue.js';
import * as outbox from './outbox.repo.js';
import type { ChannelRow } from './outbox.repo.js';

/**
 * The outbox: a message to a customer on a channel is stored `pending`, then
 * sent by whoever claims it first (the reply job that wrote it, or this
 * delivery job), at most once to the platform per part. The reply job stores
 * its answer already claimed when nothing older waits to go out. The claim is a lease:
 * a sender that stops mid-send leaves it to lapse, and the sweep then marks
 * the message failed rather than risk sending it twice. The job id is the
 * message's, so enqueuing it again is harmless; the sweep re-enqueues anything
 * still pending and unclaimed, so nothing waits for ever.
 */
export const deliverMessage = jobType<{ messageId: string }>('deliver-message');
export const sweepOutbox = jobType<Record<string, never>>('sweep-outbox');

const SWEEP_AFTER_MS = 30_000;

/** One message on its way to a customer, as the channel that carries it sees it. */
export interface OutboundDelivery {
  channel: ChannelRow;
  customerId: string;
  message: { id: string; type: MessageType; text: string };
  /** Parts of this message an earlier try already delivered: the channel skips them. */
  partsSent: number;
  /** The channel calls this after each part goes out, so a retry resumes after it. */
  partSent(platformMessageId: string, parts: number): Promise<void>;
  /** When the customer last wrote (Instagram lets only a human agent write a day later). */
  lastCustomerMessageAt(): Promise<Date | undefined>;
}

/** What carries messages to the platforms: the channel adapters (src/channels). */
export interface ChannelCourier {
  send(delivery: OutboundDelivery): Promise<void>;
}

/** A platform's refusal, said in its own words; `permanent` when sending again cannot help. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface OutboxDeps {
  db: Database;
  queue: Queue;
  courier: ChannelCourier;
  /** Where the dashboard learns that a message went out or failed. */
  events: EventBus;
}

/**
 * How long a sender holds a message: longer than any send (each part's call gives up after
 * 10 s, and a long answer has a few parts with pauses between them).
 */
export const SENDING_LEASE_MS = 120_000;
const INTERRUPTED =
  'Parley stopped while sending this message, so it may not have reached the customer; send it again if needed.';
/** A message the reply job could not send waits this long before the delivery job's first try. */
const RETRY_DELAY_MS = 1_000;

export async function enqueueDelivery(queue: Queue, messageId: string, delayMs = 0): Promise<void> {
  await queue.add(deliverMessage, { messageId }, { jobId: `deliver-${messageId}`, delayMs });
}

/**
 * Enqueues every pending outbound message of a conversation (all conversations without one) not
 * claimed by a sender, created over `olderThanMs` ago, each to be tried after `delayMs`.
 */
export async function enqueuePending(
  db: Database,
  queue: Queue,
  conversationId?: string,
  olderThanMs = 0,
  delayMs = 0,
): Promise<number> {
  const ids = await outbox.pendingMessageIds(db, { conversationId, olderThanMs });
  for (const id of ids) await enqueueDelivery(queue, id, delayMs);
  return ids.length;
}

type SendOutcome =
  | { outcome: 'unclaimed' | 'disconnected' }
  /** `more`: another message of the conversation was waiting, unclaimed, when this one was recorded. */
  | { outcome: 'sent'; more: boolean }
  | { outcome: 'failed'; why: string }
  | { outcome: 'try_again'; error: unknown };

/** A message its sender holds (claimed, or stored claimed), with what sending it needs. */
export interface ClaimedMessage {
  message: { id: string; type: MessageType; text: string; channelMessageId: string | null };
  conversation: { id: string; userId: string; customerId: string };
  /** Null once the channel was disconnected. */
  channel: ChannelRow | null;
}

/**
 * One try at a pending message: claims it (`unclaimed`: another sender holds it, it has gone out,
 * or the conversation has none left), sends what is left of it, and records what happened.
 * `lastTry`: a failure now is final.
 */
async function sendOnce(deps: OutboxDeps, target: outbox.ClaimTarget, lastTry: boolean): Promise<SendOutcome> {
  const found = await outbox.claimDelivery(deps.db, target, SENDING_LEASE_MS);
  if (!found) return { outcome: 'unclaimed' };
  return sendClaimed(deps, found, lastTry);
}

/** Sends what is left of a message this sender holds, and records what happened. */
async function sendClaimed(
  { db, courier, events }: OutboxDeps,
  { message, conversation, channel }: ClaimedMessage,
  lastTry: boolean,
): Promise<SendOutcome> {
  const failed = async (why: string): Promise<SendOutcome> => {
    await outbox.markUndeliverable(db, message.id, why);
    events.publish(conversation.userId, deliveryChangedEvent(conversation.id, message.id, 'failed', why));
    return { outcome: 'failed', why };
  };
  if (!channel) {
    await failed('the channel was disconnected');
    return { outcome: 'disconnected' };
  }
  // Parts a failed try already delivered are not sent again: their ids are kept as they go out.
  const sentIds = message.channelMessageId ? message.channelMessageId.split(',') : [];
  try {
    await courier.send({
      channel,
      customerId: conversation.customerId,
      message,
      partsSent: sentIds.length,
      async partSent(id, parts) {
        sentIds.push(id);
        if (sentIds.length < parts) await outbox.recordPartsSent(db, message.id, sentIds.join(','));
      },
      lastCustomerMessageAt: () => outbox.lastCustomerMessageAt(db, conversation.id),
    });
  } catch (error) {
    const permanent = error instanceof DeliveryError && error.permanent;
    if (permanent || lastTry) return failed(error instanceof DeliveryError ? error.message : String(error));
    await outbox.releaseClaim(db, message.id, sentIds.length ? sentIds.join(',') : null);
    return { outcome: 'try_again', error };
  }
  const more = await outbox.markDelivered(db, message.id, sentIds.join(','));
  events.publish(conversation.userId, deliveryChangedEvent(conversation.id, message.id, 'sent', null));
  return { outcome: 'sent', more };
}

/**
 * Sends a conversation's pending messages from the job that wrote them, one hop shorter than a
 * delivery job each, oldest first, each claimed as it is taken: the first claim is also the read
 * of what to send. `claimed`, a message the job stored already claimed (the oldest waiting, then),
 * goes first without that claim. The first that fails for now goes to the delivery job's retries,
 * and so do the ones after it, as late, which keeps them behind it.
 */
export async function sendPendingNow(
  deps: OutboxDeps,
  conversationId: string,
  claimed?: ClaimedMessage,
): Promise<void> {
  for (let first = claimed; ; first = undefined) {
    const sent = first
      ? await sendClaimed(deps, first, false)
      : await sendOnce(deps, { nextOf: conversationId }, false);
    // Nothing left to claim; or a message another sender claimed first, which sends it and what follows.
    if (sent.outcome === 'unclaimed' || (sent.outcome === 'sent' && !sent.more)) return;
    if (sent.outcome !== 'try_again') continue;
    // Its claim was given back, so it is among the conversation's waiting messages, first by seq.
    await enqueuePending(deps.db, deps.queue, conversationId, 0, RETRY_DELAY_MS);
    return;
  }
}

export function registerOutboxJobs(queue: Queue, deps: OutboxDeps): void {
  queue.handle(
    deliverMessage,
    async (job) => {
      const sent = await sendOnce(deps, { messageId: job.data.messageId }, job.attempt >= DEFAULT_ATTEMPTS);
      if (sent.outcome === 'failed') throw new PermanentJobError(sent.why);
      if (sent.outcome === 'try_again') throw sent.error;
    },
    { concurrency: 8 },
  );
  queue.handle(sweepOutbox, async () => {
    for (const lapsed of await outbox.failLapsedClaims(deps.db, INTERRUPTED)) {
      deps.events.publish(
        lapsed.userId,
        deliveryChangedEvent(lapsed.conversationId, lapsed.messageId, 'failed', INTERRUPTED),
      );
    }
    await enqueuePending(deps.db, queue, undefined, SWEEP_AFTER_MS);
  });
}
