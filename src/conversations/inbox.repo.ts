import { and, count, desc, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';
import {
  conversations,
  handovers,
  messages,
  type Channel,
  type ConversationStatus,
  type MessageType,
} from '../db/schema/index.js';
import { escapeLike, type Conversation } from './conversations.repo.js';
import {
  businessMessagesAfter,
  conversationMessagesAfter,
  conversationMessagesBefore,
  newestSeq,
  type StoredMessage,
} from './messages.repo.js';

/**
 * The inbox's queries: each conversation with what the dashboard shows beside
 * it, computed per row in the same statement (correlated subqueries over the
 * indexes on messages (conversation_id, seq) and handovers (conversation_id,
 * created_at)), so a page of 50 rows is one round trip, not 50.
 */

export interface InboxFilters {
  status?: ConversationStatus | undefined;
  channel?: Channel | undefined;
  needsPerson?: boolean | undefined;
  /** Part of the customer id, the customer's name or a message's text. */
  search?: string | undefined;
}

export interface LastMessage {
  type: MessageType;
  text: string;
  createdAt: Date;
}

export interface InboxRow {
  conversation: Conversation;
  /** The reason of the conversation's last handover, if it ever had one. */
  lastHandoverReason: string | null;
  needsPerson: boolean;
  unreadCount: number;
  lastMessage: LastMessage | null;
}

/**
 * The outer row's columns, qualified: Drizzle leaves a single table's columns
 * unqualified, which inside a subquery over messages would name the message's own.
 */
const outer = {
  id: sql.raw('"conversations"."id"'),
  status: sql.raw('"conversations"."status"'),
  readThroughSeq: sql.raw('"conversations"."read_through_seq"'),
};

/** The conversation's last handover: the same order the status view reads it in. */
const lastHandover = sql`(select h.source, h.reason, h.created_at from ${handovers} h
  where h.conversation_id = ${outer.id} order by h.created_at desc limit 1)`;

/**
 * With people because the AI handed over, failed, was blocked or hit the quota
 * (a handover whose source is the AI or the system), and no person has written
 * since. An agent's takeover is a person's decision: it never needs one.
 */
const needsPerson: SQL<boolean> = sql<boolean>`(${outer.status} = 'support_active' and exists (
  select 1 from ${lastHandover} lh
   where lh.source in ('ai', 'system')
     and not exists (select 1 from ${messages} m
                      where m.conversation_id = ${outer.id} and m.type = 'support'
                        and m.created_at > lh.created_at)))`;

const unreadCount = sql<number>`(select count(*)::int from ${messages} m
  where m.conversation_id = ${outer.id} and m.type = 'customer'
    and m.seq > ${outer.readThroughSeq})`;

const lastHandoverReason = sql<string | null>`(select h.reason from ${handovers} h
  where h.conversation_id = ${outer.id} order by h.created_at desc limit 1)`;

const lastMessage = sql<LastMessageJson | null>`(select json_build_object(
    'type', m.type, 'text', left(m.text, 200), 'created_at', m.created_at)
  from ${messages} m where m.conversation_id = ${outer.id} order by m.seq desc limit 1)`;

interface LastMessageJson {
  type: MessageType;
  text: string;
  created_at: string;
}

const inboxColumns = {
  conversation: conversations,
  lastHandoverReason,
  needsPerson,
  unreadCount,
  lastMessage,
};

type SelectedRow = {
  conversation: Conversation;
  lastHandoverReason: string | null;
  needsPerson: boolean | string | null;
  unreadCount: number | string;
  lastMessage: LastMessageJson | string | null;
};

function inboxRow(row: SelectedRow): InboxRow {
  // PGlite and node-postgres parse json and booleans alike here, but a driver may hand back text.
  const last = typeof row.lastMessage === 'string' ? (JSON.parse(row.lastMessage) as LastMessageJson) : row.lastMessage;
  return {
    conversation: row.conversation,
    lastHandoverReason: row.lastHandoverReason,
    needsPerson: row.needsPerson === true || row.needsPerson === 't' || row.needsPerson === 'true',
    unreadCount: Number(row.unreadCount),
    lastMessage: last ? { type: last.type, text: last.text, createdAt: new Date(last.created_at) } : null,
  };
}

function filterConditions(userId: string, filters: InboxFilters): SQL | undefined {
  // The owner's "Try it" conversation is not a customer's: never in the inbox or its counts.
  const conditions: (SQL | undefined)[] = [eq(conversations.userId, userId), eq(conversations.isTest, false)];
  if (filters.status) conditions.push(eq(conversations.status, filters.status));
  if (filters.channel) conditions.push(eq(conversations.channel, filters.channel));
  if (filters.needsPerson !== undefined) {
    conditions.push(filters.needsPerson ? needsPerson : sql`not ${needsPerson}`);
  }
  if (filters.search) {
    const pattern = `%${escapeLike(filters.search)}%`;
    conditions.push(
      or(
        ilike(conversations.customerId, pattern),
        ilike(conversations.customerName, pattern),
        sql`exists (select 1 from ${messages} m
                     where m.conversation_id = ${outer.id} and m.text ilike ${pattern})`,
      ),
    );
  }
  return and(...conditions);
}

/** A page of the business's inbox, newest activity first, with the total the filters match. */
export async function listInbox(
  db: Database,
  userId: string,
  filters: InboxFilters,
  page: { page: number; pageSize: number },
): Promise<{ count: number; rows: InboxRow[] }> {
  const where = filterConditions(userId, filters);
  const [rows, [total]] = await Promise.all([
    db
      .select(inboxColumns)
      .from(conversations)
      .where(where)
      .orderBy(sql`${conversations.lastMessageAt} desc nulls last`, desc(conversations.createdAt), conversations.id)
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize),
    db.select({ n: count() }).from(conversations).where(where),
  ]);
  return { count: Number(total?.n ?? 0), rows: rows.map(inboxRow) };
}

/** The inbox rows of some of the business's conversations (others' ids are left out). */
export async function inboxRowsOf(db: Database, userId: string, ids: string[]): Promise<InboxRow[]> {
  if (!ids.length) return [];
  const rows = await db
    .select(inboxColumns)
    .from(conversations)
    .where(and(eq(conversations.userId, userId), eq(conversations.isTest, false), inArray(conversations.id, ids)))
    .orderBy(sql`${conversations.lastMessageAt} desc nulls last`, desc(conversations.createdAt), conversations.id);
  return rows.map(inboxRow);
}

/** A stored message as the thread shows it: with its delivery to the customer's channel. */
export interface ThreadMessage extends StoredMessage {
  deliveryStatus: 'pending' | 'sent' | 'failed' | null;
  deliveryError: string | null;
}

const threadColumns = {
  id: messages.id,
  seq: messages.seq,
  type: messages.type,
  text: messages.text,
  createdAt: messages.createdAt,
  responseTimeMs: messages.responseTimeMs,
  deliveryStatus: messages.deliveryStatus,
  deliveryError: messages.deliveryError,
};

/** One page of a conversation's messages, oldest first. */
export async function threadPage(
  db: Database,
  conversationId: string,
  page: { page: number; pageSize: number },
): Promise<ThreadMessage[]> {
  const skip = (page.page - 1) * page.pageSize;
  return db
    .select(threadColumns)
    .from(conversationMessagesAfter(conversationId, { afterSeq: 0, skip, limit: page.pageSize, withSystem: true }))
    .orderBy(messages.seq);
}

/** The `limit` messages before `beforeSeq` (the newest without it), oldest first, and whether older ones exist. */
export async function threadBefore(
  db: Database,
  conversationId: string,
  beforeSeq: number | undefined,
  limit: number,
): Promise<{ messages: ThreadMessage[]; hasMore: boolean }> {
  const rows = await db
    .select(threadColumns)
    .from(conversationMessagesBefore(conversationId, { beforeSeq, limit: limit + 1, withSystem: true }))
    .orderBy(desc(messages.seq));
  return { messages: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
}

/** The business's messages after `afterSeq` in `seq` order (test conversations left out), at most `limit`, and whether more follow. */
export async function messagesAfter(
  db: Database,
  userId: string,
  afterSeq: number,
  limit: number,
): Promise<{ messages: (ThreadMessage & { conversationId: string })[]; hasMore: boolean }> {
  const rows = await db
    .select({ ...threadColumns, conversationId: messages.conversationId })
    .from(businessMessagesAfter(userId, { afterSeq, limit: limit + 1 }))
    .orderBy(messages.seq);
  return { messages: rows.slice(0, limit), hasMore: rows.length > limit };
}

/**
 * The business's conversations changed (status, read mark, waiting, a message …:
 * every change moves `updated_at`) since message `seq` was stored, newest change
 * first, at most `limit`. Message seqs are global, so the moment is that of the
 * last message stored at or before `seq` (any business's); without one, since ever.
 */
export async function conversationsChangedSince(
  db: Database,
  userId: string,
  seq: number,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .select({ id: conversations.id })
    .from(conversations)
    .where(
      and(
        eq(conversations.userId, userId),
        eq(conversations.isTest, false),
        sql`${conversations.updatedAt} > coalesce((select m.created_at from ${messages} m
              where m.seq <= ${seq} order by m.seq desc limit 1), '-infinity'::timestamptz)`,
      ),
    )
    .orderBy(desc(conversations.updatedAt))
    .limit(limit);
  return rows.map((row) => row.id);
}

/**
 * Moves the business's read mark of a conversation up to `throughSeq` (all its
 * messages without one), never back and never past its last message; answers
 * the customer messages still unread, or undefined for no such conversation.
 */
export async function markRead(
  db: Database,
  userId: string,
  conversationId: string,
  throughSeq: number | undefined,
): Promise<number | undefined> {
  const latest = newestSeq(conversationId, true);
  const wanted = throughSeq === undefined ? latest : sql`least(${throughSeq}::bigint, ${latest})`;
  const result = await db.execute(sql`
    with marked as (
      update ${conversations} c
         set read_through_seq = greatest(c.read_through_seq, ${wanted}),
             updated_at = case when ${wanted} > c.read_through_seq then now() else c.updated_at end
       where c.id = ${conversationId} and c.user_id = ${userId}
      returning c.id, c.read_through_seq
    )
    select (select count(*)::int from ${messages} m
             where m.conversation_id = marked.id and m.type = 'customer' and m.seq > marked.read_through_seq) as unread
      from marked`);
  const [row] = rowsOf<{ unread: number | string }>(result);
  return row ? Number(row.unread) : undefined;
}
