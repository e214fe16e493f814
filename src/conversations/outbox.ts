import type { Database } from '../db/client.js';
import type { MessageType } from '../db/schema/index.js';
import type { EventBus } from '../events/events.js';
import { deliveryChangedEvent } from './conversation-events.js';
import { DEFAULT_ATTEMPTS, jobType, PermanentJobError, type Queue } from '../infra/queue.js';
import * as outbox from './outbox.repo.js';
import type { ChannelRow } from './outbox.repo.js';

/**
 * The outbox: a message to a customer on a channel is stored `pending` and
 * delivered by this job, at most once to the platform per part it sent. The
 * job id is the message's, so enqueuing it again is harmless; a sweep
 * re-enqueues anything still pending, so nothing waits for ever.
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
  courier: ChannelCourier;
  /** Where the dashboard learns that a message went out or failed. */
  events: EventBus;
}

export async function enqueueDelivery(queue: Queue, messageId: string): Promise<void> {
  await queue.add(deliverMessage, { messageId }, { jobId: `deliver-${messageId}` });
}

/** Enqueues every pending outbound message of a conversation (all conversations without one). */
export async function enqueuePending(
  db: Database,
  queue: Queue,
  conversationId?: string,
  olderThanMs = 0,
): Promise<number> {
  const ids = await outbox.pendingMessageIds(db, { conversationId, olderThanMs });
  for (const id of ids) await enqueueDelivery(queue, id);
  return ids.length;
}

export function registerOutboxJobs(queue: Queue, { db, courier, events }: OutboxDeps): void {
  queue.handle(
    deliverMessage,
    async (job) => {
      const found = await outbox.findPendingDelivery(db, job.data.messageId);
      if (!found) return;
      const { message, conversation, channel } = found;
      const failed = async (why: string) => {
        await outbox.markUndeliverable(db, message.id, why);
        events.publish(conversation.userId, deliveryChangedEvent(conversation.id, message.id, 'failed', why));
      };
      if (!channel) {
        await failed('the channel was disconnected');
        return;
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
        if (permanent || job.attempt >= DEFAULT_ATTEMPTS) {
          const why = error instanceof DeliveryError ? error.message : String(error);
          await failed(why);
          throw new PermanentJobError(why);
        }
        throw error;
      }
      await outbox.markDelivered(db, message.id, sentIds.join(','));
      events.publish(conversation.userId, deliveryChangedEvent(conversation.id, message.id, 'sent', null));
    },
    { concurrency: 8 },
  );
  queue.handle(sweepOutbox, async () => {
    await enqueuePending(db, queue, undefined, SWEEP_AFTER_MS);
  });
}
