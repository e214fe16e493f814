import { and, count, desc, eq, ilike, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { conversations, messages, type Channel, type ConversationStatus } from '../db/schema/index.js';
import {
  messageColumns,
  recentMessages,
  sessionId,
  type Conversation,
  type StoredMessage,
} from './conversations.service.js';

export interface ConversationFilters {
  status?: ConversationStatus | undefined;
  isActive?: boolean | undefined;
  channel?: Channel | undefined;
  /** Part of the customer id. */
  search?: string | undefined;
}

/** Messages a session's detail shows: the latest ones, oldest first. */
export const SESSION_DETAIL_MESSAGES = 200;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (match) => `\\${match}`);
}

/** A business's conversations (or sessions: the same rows), newest activity first. */
export async function listConversations(
  db: Database,
  userId: string,
  filters: ConversationFilters,
  page: { page: number; pageSize: number },
): Promise<{ count: number; rows: Conversation[] }> {
  const conditions: SQL[] = [eq(conversations.userId, userId)];
  if (filters.status) conditions.push(eq(conversations.status, filters.status));
  if (filters.isActive !== undefined) conditions.push(eq(conversations.isActive, filters.isActive));
  if (filters.channel) conditions.push(eq(conversations.channel, filters.channel));
  if (filters.search) conditions.push(ilike(conversations.customerId, `%${escapeLike(filters.search)}%`));
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(conversations)
      .where(where)
      .orderBy(sql`${conversations.lastMessageAt} desc nulls last`, desc(conversations.createdAt), conversations.id)
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize),
    db.select({ n: count() }).from(conversations).where(where),
  ]);
  return { count: Number(total?.n ?? 0), rows };
}

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

/** One page of a conversation's messages, oldest first; the count is the conversation's own counter. */
export async function listMessages(db: Database, conversationId: string, page: { page: number; pageSize: number }) {
  const rows = await db
    .select(messageColumns)
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(messages.seq)
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
  return rows.map(messageView);
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
