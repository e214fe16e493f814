import type { Database } from '../db/client.js';
import { sessionId, type Conversation } from './conversations.service.js';
import { recentMessages, type StoredMessage } from './messages.repo.js';

export { listConversations, type ConversationFilters } from './conversations.repo.js';

/** Messages a session's detail shows: the latest ones, oldest first. */
export const SESSION_DETAIL_MESSAGES = 200;

export function sessionView(conversation: Conversation) {
  return {
    session_id: sessionId(conversation.id),
    conversation_id: conversation.id,
    customer_id: conversation.customerId,
    channel: conversation.channel,
    status: conversation.status,
    is_active: conversation.isActive,
    message_count: conversation.messageCount,
    last_message_at: conversation.lastMessageAt?.toISOString() ?? null,
    created_at: conversation.createdAt.toISOString(),
  };
}

export function messageView(message: StoredMessage) {
  return {
    id: message.id,
    type: message.type,
    text: message.text,
    created_at: message.createdAt.toISOString(),
    response_time_ms: message.responseTimeMs,
  };
}

export async function sessionDetail(db: Database, conversation: Conversation) {
  const messages = await recentMessages(db, conversation.id, SESSION_DETAIL_MESSAGES);
  return { ...sessionView(conversation), messages: messages.map(messageView) };
}

/** The message system's view: the session view keyed by `id`, with the customer's name and last change. */
export function conversationView(conversation: Conversation) {
  const { conversation_id: id, ...session } = sessionView(conversation);
  return {
    id,
    ...session,
    customer_name: conversation.customerName,
    updated_at: conversation.updatedAt.toISOString(),
  };
}
