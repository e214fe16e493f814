import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { BadRequestError, NotFoundError } from '../kernel/errors.js';
import { randomId } from '../kernel/ids.js';
import type { Database } from '../db/client.js';
import {
  conversations,
  handovers,
  type ConversationStatus,
  type HandoverSource,
  type ReplyHandler,
} from '../db/schema/index.js';
import type { EventBus } from '../events/events.js';
import { addMessage, type Conversation, type StoredMessage } from './conversations.service.js';

/** Reasons the AI itself may give for handing over (the `handover_to_human` tool). */
export const AI_HANDOVER_REASONS = ['customer_request', 'unknown_answer', 'complaint', 'sensitive', 'other'] as const;
export type AiHandoverReason = (typeof AI_HANDOVER_REASONS)[number];

/** Why the AI is not answering a business's conversations at all. */
export type AiUnavailableReason = 'ai_disabled' | 'no_api_key';

export function messageEvent(conversationId: string, message: StoredMessage) {
  return {
    type: 'message.created' as const,
    data: {
      conversation_id: conversationId,
      message: {
        id: message.id,
        type: message.type,
        text: message.text,
        created_at: message.createdAt.toISOString(),
        response_time_ms: message.responseTimeMs,
      },
    },
  };
}

export function conversationCreatedEvent(conversation: Conversation) {
  return {
    type: 'conversation.created' as const,
    data: {
      conversation_id: conversation.id,
      customer_id: conversation.customerId,
      channel: conversation.channel,
      status: conversation.status,
    },
  };
}

function statusEvent(
  conversationId: string,
  status: ConversationStatus,
  previous: ConversationStatus,
  reason: string,
  version: number,
) {
  return {
    type: 'conversation.status_changed' as const,
    data: { conversation_id: conversationId, status, previous, reason, ownership_version: version },
  };
}

/** Locks one of the business's conversations for the rest of the transaction. */
async function lockOwn(tx: Database, userId: string, conversationId: string) {
  const [row] = await tx
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, conversationId), eq(conversations.userId, userId)))
    .for('update')
    .limit(1);
  return row;
}

async function setStatusLocked(tx: Database, conversationId: string, status: ConversationStatus): Promise<number> {
  const [updated] = await tx
    .update(conversations)
    .set({ status, ownershipVersion: sql`${conversations.ownershipVersion} + 1`, updatedAt: sql`now()` })
    .where(eq(conversations.id, conversationId))
    .returning({ version: conversations.ownershipVersion });
  return updated?.version ?? 0;
}

async function recordHandover(
  tx: Database,
  conversation: Conversation,
  handover: { source: HandoverSource; reason: string; detail?: string | undefined },
) {
  await tx.insert(handovers).values({
    id: randomId(16),
    userId: conversation.userId,
    conversationId: conversation.id,
    source: handover.source,
    reason: handover.reason,
    detail: handover.detail ?? null,
  });
}

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
    const locked = await lockOwn(tx, conversation.userId, conversation.id);
    if (!locked || locked.status !== 'active') return undefined;
    const version = await setStatusLocked(tx, conversation.id, 'support_active');
    await recordHandover(tx, locked, handover);
    const note = await addMessage(tx, {
      conversationId: conversation.id,
      type: 'system',
      text: `Handed to people (${handover.reason})${handover.detail ? `: ${handover.detail.replace(/[.!?\s]+$/, '')}` : ''}.`,
    });
    const customerMessage = handover.customerMessage?.trim()
      ? await addMessage(tx, { conversationId: conversation.id, type: 'AI', text: handover.customerMessage.trim() })
      : undefined;
    return { version, messages: [note, customerMessage].filter((m): m is StoredMessage => m !== undefined) };
  });
  if (!published) return false;
  events.publish(
    conversation.userId,
    statusEvent(conversation.id, 'support_active', 'active', handover.reason, published.version),
  );
  for (const message of published.messages) events.publish(conversation.userId, messageEvent(conversation.id, message));
  return true;
}

export interface StatusView {
  conversation_id: string;
  status: ConversationStatus;
  ai_available: boolean;
  /** Why the AI is not answering this conversation; null while it is. */
  reason: string | null;
}

export async function statusView(
  db: Database,
  conversation: Conversation,
  availability: AiUnavailableReason | null,
  defaultHandler: ReplyHandler,
): Promise<StatusView> {
  let reason: string | null = availability;
  if (!reason && conversation.status === 'support_active') {
    const [last] = await db
      .select({ reason: handovers.reason })
      .from(handovers)
      .where(eq(handovers.conversationId, conversation.id))
      .orderBy(desc(handovers.createdAt))
      .limit(1);
    reason = last?.reason ?? (defaultHandler === 'Manual' ? 'default_handler_manual' : 'manual_handling');
  }
  return {
    conversation_id: conversation.id,
    status: conversation.status,
    ai_available: availability === null,
    reason,
  };
}

function refuseActiveWithoutAi(status: ConversationStatus, availability: AiUnavailableReason | null) {
  if (status === 'active' && availability) {
    const why =
      availability === 'no_api_key'
        ? 'no Gemini API key is configured on the server'
        : 'AI auto-response is disabled for this business';
    throw new BadRequestError(`The AI cannot take this conversation: ${why}.`, 'ai_unavailable');
  }
}

/** Puts one conversation in AI or human hands. */
export async function changeStatus(
  db: Database,
  events: EventBus,
  userId: string,
  conversationId: string,
  status: ConversationStatus,
  availability: AiUnavailableReason | null,
): Promise<Conversation> {
  refuseActiveWithoutAi(status, availability);
  const result = await db.transaction(async (tx) => {
    const locked = await lockOwn(tx, userId, conversationId);
    if (!locked) throw new NotFoundError('No such conversation.');
    if (locked.status === status) return { conversation: locked, changed: false };
    const version = await setStatusLocked(tx, conversationId, status);
    if (status === 'support_active') await recordHandover(tx, locked, { source: 'agent', reason: 'agent_takeover' });
    return { conversation: { ...locked, status, ownershipVersion: version }, changed: true, previous: locked.status };
  });
  if (result.changed && result.previous) {
    events.publish(
      userId,
      statusEvent(
        conversationId,
        status,
        result.previous,
        status === 'active' ? 'returned_to_ai' : 'agent_takeover',
        result.conversation.ownershipVersion,
      ),
    );
  }
  return result.conversation;
}

export const BULK_LIMIT = 500;

/** One transaction: every conversation found changes, or none does. Other businesses' ids are not found. */
export async function changeStatuses(
  db: Database,
  events: EventBus,
  userId: string,
  conversationIds: string[],
  status: ConversationStatus,
  availability: AiUnavailableReason | null,
): Promise<{ updated: string[]; notFound: string[] }> {
  refuseActiveWithoutAi(status, availability);
  const wanted = [...new Set(conversationIds)];
  const changes = await db.transaction(async (tx) => {
    const owned = await tx
      .select()
      .from(conversations)
      .where(and(eq(conversations.userId, userId), inArray(conversations.id, wanted)))
      .orderBy(conversations.id)
      .for('update');
    const moving = owned.filter((conversation) => conversation.status !== status);
    const moved = moving.length
      ? await tx
          .update(conversations)
          .set({ status, ownershipVersion: sql`${conversations.ownershipVersion} + 1`, updatedAt: sql`now()` })
          .where(
            inArray(
              conversations.id,
              moving.map((conversation) => conversation.id),
            ),
          )
          .returning({ id: conversations.id, version: conversations.ownershipVersion })
      : [];
    if (status === 'support_active' && moving.length) {
      await tx.insert(handovers).values(
        moving.map((conversation) => ({
          id: randomId(16),
          userId,
          conversationId: conversation.id,
          source: 'agent' as const,
          reason: 'agent_takeover',
        })),
      );
    }
    return { owned, moving, moved };
  });
  const previous = new Map(changes.moving.map((conversation) => [conversation.id, conversation.status]));
  for (const { id, version } of changes.moved) {
    events.publish(
      userId,
      statusEvent(
        id,
        status,
        previous.get(id) ?? status,
        status === 'active' ? 'returned_to_ai' : 'agent_takeover',
        version,
      ),
    );
  }
  const found = new Set(changes.owned.map((conversation) => conversation.id));
  return {
    updated: wanted.filter((id) => found.has(id)),
    notFound: wanted.filter((id) => !found.has(id)),
  };
}

/**
 * An agent's reply. In a conversation the AI is answering, it takes the
 * conversation over first (same transaction), unless `keepAi` asks to leave
 * the AI on.
 */
export async function agentReply(
  db: Database,
  events: EventBus,
  userId: string,
  conversationId: string,
  text: string,
  keepAi: boolean,
): Promise<{ message: StoredMessage; conversation: Conversation }> {
  const result = await db.transaction(async (tx) => {
    const locked = await lockOwn(tx, userId, conversationId);
    if (!locked) throw new NotFoundError('No such conversation.');
    let conversation = locked;
    let version: number | undefined;
    if (locked.status === 'active' && !keepAi) {
      version = await setStatusLocked(tx, conversationId, 'support_active');
      await recordHandover(tx, locked, { source: 'agent', reason: 'agent_takeover' });
      conversation = { ...locked, status: 'support_active', ownershipVersion: version };
    }
    const message = await addMessage(tx, { conversationId, type: 'support', text });
    if (!message) throw new Error('agent reply was not stored');
    return { message, conversation, tookOver: version !== undefined };
  });
  if (result.tookOver) {
    events.publish(
      userId,
      statusEvent(conversationId, 'support_active', 'active', 'agent_takeover', result.conversation.ownershipVersion),
    );
  }
  events.publish(userId, messageEvent(conversationId, result.message));
  return {
    message: result.message,
    conversation: { ...result.conversation, messageCount: result.conversation.messageCount + 1 },
  };
}
