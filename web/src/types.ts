// The API's shapes, taken from the server's own zod schemas and event types: never retyped here.
// Type-only imports, so neither zod nor any server code ends up in the bundle.
import type { z } from 'zod';
import type {
  agentReplyResponse,
  inboxConversation,
  messageList,
  statusResponse,
  syncResponse,
  threadMessage,
} from '../../src/conversations/conversations.schema.js';
import type { sessionResponse } from '../../src/auth/auth.schema.js';
import type { ParleyEvent } from '../../src/events/events.js';

export type AgentReply = z.infer<typeof agentReplyResponse>;
type StoredMessage = z.infer<typeof threadMessage>;
type Later = 'seq' | 'delivery_status' | 'delivery_error';
/** A message as the thread shows it; an agent reply's answer comes without seq or delivery (its event has them). */
export type Message = Omit<StoredMessage, Later> & Partial<Pick<StoredMessage, Later>>;
/** A conversation as the inbox lists it. */
export type Conversation = z.infer<typeof inboxConversation>;
export type ConversationStatus = z.infer<typeof statusResponse>;

/** `GET/POST /api/v1/auth/session/`: who is signed in, and the token their writes carry. */
export type Session = z.infer<typeof sessionResponse>;
export type User = Session['user'];

/** The hello frame the WebSocket opens with, then the server's events. */
export type LiveEvent = ParleyEvent | { type: 'hello'; data: { username: string; heartbeat_seconds: number } };

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** `GET /api/v1/conversations/{id}/messages/?before_seq=` */
export type ThreadPage = Pick<z.infer<typeof messageList>, 'has_more'> & { results: Message[] };

/** `GET /api/v1/conversations/sync/?after_seq=` */
export type SyncPage = z.infer<typeof syncResponse>;
