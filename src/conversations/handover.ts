import type { Database } from '../db/client.js';
import type { HandoverSource } from '../db/schema/index.js';
import type { EventBus } from '../events/events.js';
import { messageEvent, statusEvent } from './conversation-events.js';
import { lockOwnConversation, setStatus } from './conversations.repo.js';
import { addMessage, type Conversation } from './conversations.service.js';
import { recordHandover } from './handover.repo.js';

/** Reasons the AI itself may give for handing over (the `handover_to_human` tool). */
export const AI_HANDOVER_REASONS = ['customer_request', 'unknown_answer', 'complaint', 'sensitive', 'other'] as const;
export type AiHandoverReason = (typeof AI_HANDOVER_REASONS)[number];

export interface Handover {
  source: HandoverSource;
  reason: string;
  detail?: string | undefined;
  /** Sent to the customer, when the business configured one. */
  customerMessage?: string | null | undefined;
}

/**
 * Hands an AI-answered conversation to people: status, a `system` note with
 * the reason, the business's handover message to the customer, one record for
 * analytics. Does nothing when people already have it. Returns whether it
 * handed over.
 */
export async function handOver(
  db: Database,
  events: EventBus,
  conversation: Conversation,
  handover: Handover,
): Promise<boolean> {
  const published = await db.transaction(async (tx) => {
    const locked = await lockOwnConversation(tx, conversation.userId, conversation.id);
    if (!locked || locked.status !== 'active') return undefined;
    const version = await setStatus(tx, conversation.id, 'support_active');
    await recordHandover(tx, locked, handover);
    const note = await addMessage(tx, {
      conversationId: conversation.id,
      type: 'system',
      text: `Handed to people (${handover.reason})${handover.detail ? `: ${handover.detail.replace(/[.!?\s]+$/, '')}` : ''}.`,
    });
    const customerMessage = handover.customerMessage?.trim()
      ? await addMessage(tx, { conversationId: conversation.id, type: 'AI', text: handover.customerMessage.trim() })
      : undefined;
    return { version, messages: [note, customerMessage].filter((m) => m !== undefined) };
  });
  if (!published) return false;
  events.publish(
    conversation.userId,
    statusEvent(conversation.id, 'support_active', 'active', handover.reason, published.version),
  );
  for (const message of published.messages) events.publish(conversation.userId, messageEvent(conversation.id, message));
  return true;
}
