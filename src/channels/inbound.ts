import { getAiSettings } from '../ai/ai-settings.js';
import { aiAvailability } from '../ai/availability.js';
import { goesBackToAi, resumeIfWaiting } from '../ai/handback.js';
import { enqueueReply, replyContextOf, replyContextReading, replyToConversation } from '../ai/reply.jobs.js';
import type { Config } from '../kernel/config.js';
import { withTimeout } from '../kernel/timeout.js';
import { addCustomerMessage, markSkipped, openingStatus } from '../conversations/conversations.service.js';
import { conversationCreatedEvent, messageEvent } from '../conversations/conversation-events.js';
import type { Database } from '../db/client.js';
import type { ChannelType, ReplyHandler } from '../db/schema/index.js';
import type { Queue } from '../infra/queue.js';
import type { EventBus } from '../events/events.js';

const ENQUEUE_WAIT_MS = 2_000;

export interface InboundDeps {
  db: Database;
  config: Config;
  events: EventBus;
  queue: Queue;
}

/** A customer's message as a channel delivered it. */
export interface InboundMessage {
  /** The platform's id for it: stored once however often it is delivered. */
  channelMessageId: string;
  customerId: string;
  customerName: string | null;
  text: string;
}

/**
 * Stores a customer's message from a channel (once), tells the business's
 * people, and (re)starts the conversation's reply wait. Returns whether the
 * message was new.
 */
export async function receiveCustomerMessage(
  deps: InboundDeps,
  channel: { id: string; type: ChannelType; owner: { id: string; defaultReplyHandler: ReplyHandler } },
  inbound: InboundMessage,
): Promise<boolean> {
  const settings = await getAiSettings(deps.db, channel.owner.id, deps.config.gemini.defaultModel);
  const unavailable = aiAvailability(deps.config, settings);
  // A reply that starts at once, in this process, reads what it needs with the message: one
  // statement less before it. (A `serve` without workers leaves it to a worker, which reads its own.)
  const repliesNow = unavailable === null && settings.replyDebounceMs <= 0 && deps.queue.runsHere(replyToConversation);
  const {
    conversation,
    created,
    message: stored,
    ...read
  } = await addCustomerMessage(deps.db, {
    userId: channel.owner.id,
    channel: channel.type,
    channelId: channel.id,
    customerId: inbound.customerId,
    customerName: inbound.customerName,
    opening: openingStatus(channel.owner.defaultReplyHandler, unavailable === null),
    text: inbound.text,
    channelMessageId: inbound.channelMessageId,
    // Why the model will not see this message, decided from the conversation as the same statement
    // reads it, and stored with it: a person has the conversation (a takeover's model call
    // avoided), or the AI it waits for cannot answer; unless it goes back to the AI now.
    rule: {
      resumes: channel.owner.defaultReplyHandler === 'AI' && unavailable === null,
      whileWaiting: unavailable ?? 'manual_handling',
    },
    ...(repliesNow ? { reading: replyContextReading(channel.owner.id, channel.id) } : {}),
  });
  if (!stored) return false;
  // Waiting for the AI, it goes back to the AI below when the AI can answer now.
  const resumes = goesBackToAi(channel.owner, conversation, unavailable);
  if (created) {
    deps.events.publish(channel.owner.id, conversationCreatedEvent(conversation));
  }
  deps.events.publish(channel.owner.id, messageEvent(conversation.id, stored));
  const current = await resumeIfWaiting(deps, channel.owner, conversation, settings);
  if (current.status === 'active') {
    // The message is stored, which is what the acknowledgement promises. If the queue cannot
    // take the job quickly (Redis restarting), the add goes on in the background and the reply
    // sweep finds the message within a minute anyway; the platform is not kept waiting.
    const context = repliesNow ? replyContextOf(current, read, stored) : undefined;
    await withTimeout(
      enqueueReply(deps.queue, conversation.id, settings.replyDebounceMs, context),
      ENQUEUE_WAIT_MS,
    ).catch(() => undefined);
  } else if (resumes) {
    // A person took it just before it could go back to the AI: theirs, as a takeover's message.
    await markSkipped(deps.db, conversation.id, {
      after: stored.seq - 1,
      through: stored.seq,
      reason: 'manual_handling',
      answered: false,
    });
  }
  return true;
}
