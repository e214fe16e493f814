import type { ConversationStatus } from '../db/schema/index.js';
import type { Conversation, StoredMessage } from './conversations.service.js';

export function messageEvent(conversationId: string, message: StoredMessage) {
  return {
    type: 'message.created' as const,
    data: {
      conversation_id: conversationId,
      message: {
        id: message.id,
        seq: message.seq,
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

export function statusEvent(
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

export function deliveryChangedEvent(
  conversationId: string,
  messageId: string,
  status: 'sent' | 'failed',
  error: string | null,
) {
  return {
    type: 'message.delivery_changed' as const,
    data: { conversation_id: conversationId, message_id: messageId, delivery_status: status, delivery_error: error },
  };
}
