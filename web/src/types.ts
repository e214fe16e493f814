// The API's shapes, taken from the server's own zod schemas and event types: never retyped here.
// Type-only imports, so neither zod nor any server code ends up in the bundle.
import type { z } from 'zod';
import type {
  agentReplyResponse,
  conversationItem,
  sessionMessage,
  statusResponse,
} from '../../src/conversations/conversations.schema.js';
import type { sessionResponse } from '../../src/auth/auth.schema.js';
import type { ParleyEvent } from '../../src/events/events.js';

/**
 * What the inbox API adds to conversation rows and messages (issue #13's shared design).
 * Optional until the server's schemas carry them; then these become the schemas' own fields.
 */
interface InboxConversationFields {
  status_reason?: string | null;
  needs_person?: boolean;
  unread_count?: number;
  last_message?: { type: Message['type']; text: string; created_at: string } | null;
}
interface InboxMessageFields {
  seq?: number;
  delivery_status?: 'pending' | 'sent' | 'failed' | null;
  delivery_error?: string | null;
}

export type Message = z.infer<typeof sessionMessage> & InboxMessageFields;
export type Conversation = z.infer<typeof conversationItem> & InboxConversationFields;
export type ConversationStatus = z.infer<typeof statusResponse>;
export type AgentReply = z.infer<typeof agentReplyResponse>;
export type Channel = Conversation['channel'];

/** `GET/POST /api/v1/auth/session/`: who is signed in, and the token their writes carry. */
export type Session = z.infer<typeof sessionResponse>;
export type User = Session['user'];

export type LiveEvent = ParleyEvent | { type: 'hello'; data: { username: string; heartbeat_seconds: number } };

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** `GET /api/v1/conversations/{id}/messages/?before_seq=` */
export interface ThreadPage {
  results: Message[];
  has_more: boolean;
}

/** `GET /api/v1/conversations/sync/?after_seq=` */
export interface SyncPage {
  messages: (Message & { conversation_id: string })[];
  conversations: Conversation[];
  last_seq: number;
  has_more: boolean;
}
