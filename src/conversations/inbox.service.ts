import { NotFoundError } from '../kernel/errors.js';
import type { Database } from '../db/client.js';
import type { ReplyHandler } from '../db/schema/index.js';
import * as inbox from './inbox.repo.js';
import type { InboxFilters, InboxRow, ThreadMessage } from './inbox.repo.js';
import { conversationView, messageView } from './sessions.service.js';
import { statusReason, type AiUnavailableReason } from './status.service.js';

/**
 * What the inbox needs to know about the business besides its conversations.
 * Whether the AI can answer at all is decided in src/ai (a layer above this
 * one), so the route is handed it and passes it in: computed once per request.
 */
export interface InboxContext {
  userId: string;
  availability: AiUnavailableReason | null;
  defaultHandler: ReplyHandler;
}

export function inboxView(row: InboxRow, context: InboxContext) {
  const { conversation } = row;
  return {
    ...conversationView(conversation),
    status_reason: statusReason(conversation, context.availability, context.defaultHandler, row.lastHandoverReason),
    needs_person: row.needsPerson,
    unread_count: row.unreadCount,
    last_message: row.lastMessage
      ? {
          type: row.lastMessage.type,
          text: row.lastMessage.text,
          created_at: row.lastMessage.createdAt.toISOString(),
        }
      : null,
  };
}

export function threadMessageView(message: ThreadMessage) {
  return {
    ...messageView(message),
    seq: message.seq,
    delivery_status: message.deliveryStatus,
    delivery_error: message.deliveryError,
  };
}

export async function listInbox(
  db: Database,
  context: InboxContext,
  filters: InboxFilters,
  page: { page: number; pageSize: number },
) {
  const { count, rows } = await inbox.listInbox(db, context.userId, filters, page);
  return { count, rows: rows.map((row) => inboxView(row, context)) };
}

/** One of the business's conversations as the inbox lists it, or 404. */
export async function inboxConversation(db: Database, context: InboxContext, conversationId: string) {
  const [row] = await inbox.inboxRowsOf(db, context.userId, [conversationId]);
  if (!row) throw new NotFoundError('No such conversation.');
  return inboxView(row, context);
}

export const DEFAULT_THREAD_LIMIT = 50;

/** The cursor page of a conversation's thread: the `limit` messages before `beforeSeq`, newest last. */
export async function threadBefore(db: Database, conversationId: string, beforeSeq: number | undefined, limit: number) {
  const { messages, hasMore } = await inbox.threadBefore(db, conversationId, beforeSeq, limit);
  return { messages: messages.map(threadMessageView), hasMore };
}

export async function threadPage(db: Database, conversationId: string, page: { page: number; pageSize: number }) {
  return (await inbox.threadPage(db, conversationId, page)).map(threadMessageView);
}

/** Conversations changed since the cursor, at most this many: a dashboard further behind reloads its list. */
export const SYNC_CONVERSATIONS = 500;

/**
 * Everything a reconnecting dashboard missed after `afterSeq`: the messages
 * (at most `limit`, in seq order) and the current rows of the conversations
 * they belong to or that changed since.
 *
 * "Changed since" is read from `updated_at`, which every change of a
 * conversation moves (status, wait, read mark, a new message), compared with
 * the moment message `afterSeq` was stored: a cursor in the messages' order
 * needs no second counter of its own, and a conversation that is sent twice is
 * only sent as it now is (each call sends those changed since its own cursor,
 * so a change that happened while `has_more` batches were read is not lost).
 */
export async function syncInbox(db: Database, context: InboxContext, afterSeq: number, limit: number) {
  const batch = await inbox.messagesAfter(db, context.userId, afterSeq, limit);
  const touched = batch.messages.map((message) => message.conversationId);
  const changed = await inbox.conversationsChangedSince(db, context.userId, afterSeq, SYNC_CONVERSATIONS);
  const rows = await inbox.inboxRowsOf(db, context.userId, [...new Set([...touched, ...changed])]);
  return {
    messages: batch.messages.map((message) => ({
      ...threadMessageView(message),
      conversation_id: message.conversationId,
    })),
    conversations: rows.map((row) => inboxView(row, context)),
    last_seq: batch.messages.at(-1)?.seq ?? afterSeq,
    has_more: batch.hasMore,
  };
}

/** Marks one of the business's conversations read (up to `throughSeq`); answers what is still unread, or 404. */
export async function markRead(
  db: Database,
  userId: string,
  conversationId: string,
  throughSeq: number | undefined,
): Promise<{ unread_count: number }> {
  const unread = await inbox.markRead(db, userId, conversationId, throughSeq);
  if (unread === undefined) throw new NotFoundError('No such conversation.');
  return { unread_count: unread };
}
