import { BadRequestError, NotFoundError } from '../kernel/errors.js';
import type { Database } from '../db/client.js';
import type { ConversationStatus, ReplyHandler } from '../db/schema/index.js';
import type { EventBus } from '../events/events.js';
import { statusEvent } from './conversation-events.js';
import { lockOwnConversation, lockOwnConversations, setStatus, setStatuses } from './conversations.repo.js';
import type { Conversation } from './conversations.service.js';
import { conversationIdOf } from './session-id.js';
import { lastHandoverReason, recordAgentTakeovers, recordHandover } from './handover.repo.js';

/** Why the AI is not answering a business's conversations at all. */
export type AiUnavailableReason = 'ai_disabled' | 'no_api_key' | 'suspended';

export interface StatusView {
  conversation_id: string;
  status: ConversationStatus;
  ai_available: boolean;
  /** Why the AI is not answering this conversation; null while it is. */
  reason: string | null;
  /** With people only because the AI was unavailable when it began; back to the AI once it can answer. */
  waiting_for_ai: boolean;
}

/**
 * Why the AI is not answering a conversation, null while it is: the business's
 * unavailability first, then for a conversation with people its wait for the
 * AI, its last handover's reason, or the owner's default handler. The inbox
 * reads the handover reason for a whole page in one query and asks here too.
 */
export function statusReason(
  conversation: Pick<Conversation, 'status' | 'waitingForAi'>,
  availability: AiUnavailableReason | null,
  defaultHandler: ReplyHandler,
  lastHandoverReason: string | null,
): string | null {
  if (availability) return availability;
  if (conversation.status !== 'support_active') return null;
  // The AI became available and nothing has handed this one back yet (its next customer message will).
  if (conversation.waitingForAi) return 'waiting_for_ai';
  return lastHandoverReason ?? (defaultHandler === 'Manual' ? 'default_handler_manual' : 'manual_handling');
}

export async function statusView(
  db: Database,
  conversation: Conversation,
  availability: AiUnavailableReason | null,
  defaultHandler: ReplyHandler,
): Promise<StatusView> {
  const needsHandover = !availability && conversation.status === 'support_active' && !conversation.waitingForAi;
  const handoverReason = needsHandover ? await lastHandoverReason(db, conversation.id) : undefined;
  const reason = statusReason(conversation, availability, defaultHandler, handoverReason ?? null);
  return {
    conversation_id: conversation.id,
    status: conversation.status,
    ai_available: availability === null,
    reason,
    waiting_for_ai: conversation.waitingForAi && conversation.status === 'support_active',
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
    const locked = await lockOwnConversation(tx, userId, conversationId);
    if (!locked) throw new NotFoundError('No such conversation.');
    // Taking over a conversation that only waits for the AI is still a person's decision: it stops waiting.
    const waitingTakenOver = status === 'support_active' && locked.waitingForAi;
    if (locked.status === status && !waitingTakenOver) return { conversation: locked, previous: null };
    const version = await setStatus(tx, conversationId, status);
    if (status === 'support_active') await recordHandover(tx, locked, { source: 'agent', reason: 'agent_takeover' });
    return {
      conversation: { ...locked, status, waitingForAi: false, ownershipVersion: version },
      previous: locked.status,
    };
  });
  if (result.previous) {
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

/**
 * One transaction: every conversation found changes, or none does. Other businesses' ids are not
 * found. Each conversation may be named by its id or its session id; the answer lists them as
 * named, once each (the first spelling, when one is named both ways).
 */
export async function changeStatuses(
  db: Database,
  events: EventBus,
  userId: string,
  refs: string[],
  status: ConversationStatus,
  availability: AiUnavailableReason | null,
): Promise<{ updated: string[]; notFound: string[] }> {
  refuseActiveWithoutAi(status, availability);
  const named = new Map<string, string>();
  for (const ref of refs) {
    const id = conversationIdOf(ref);
    if (id !== undefined && !named.has(id)) named.set(id, ref);
  }
  const wanted = [...named.keys()];
  const changes = await db.transaction(async (tx) => {
    const owned = await lockOwnConversations(tx, userId, wanted);
    const moving = owned.filter(
      (conversation) => conversation.status !== status || (status === 'support_active' && conversation.waitingForAi),
    );
    const movingIds = moving.map((conversation) => conversation.id);
    // Stryker disable next-line ConditionalExpression: skipping an empty update only saves a round trip
    const moved = moving.length ? await setStatuses(tx, movingIds, status) : [];
    if (status === 'support_active' && moving.length) await recordAgentTakeovers(tx, userId, movingIds);
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
    updated: wanted.filter((id) => found.has(id)).map((id) => named.get(id)!),
    notFound: wanted.filter((id) => !found.has(id)).map((id) => named.get(id)!),
  };
}
