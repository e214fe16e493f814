import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { NotFoundError } from '../kernel/errors.js';
import { randomId } from '../kernel/ids.js';
import { rowsOf, type Database } from '../db/client.js';
import {
  conversations,
  messages,
  type Channel,
  type ConversationStatus,
  type MessageType,
  type ReplyHandler,
} from '../db/schema/index.js';

export type Conversation = typeof conversations.$inferSelect;

export const CONVERSATION_ID_LENGTH = 12;
/** A session is the AI's view of a conversation (contract §5). */
const SESSION_PREFIX = 'msg_';

export function sessionId(conversationId: string): string {
  return `${SESSION_PREFIX}${conversationId}`;
}

export function conversationIdFromSession(session: string): string | undefined {
  return session.startsWith(SESSION_PREFIX) ? session.slice(SESSION_PREFIX.length) : undefined;
}

/**
 * The seed's status rule: a new conversation is answered by the AI only when
 * the owner's default handler is AI and the AI is available to the business
 * (auto-response on, the shared key configured); otherwise people answer it.
 */
export function initialStatus(defaultHandler: ReplyHandler, aiAvailable: boolean): ConversationStatus {
  return defaultHandler === 'AI' && aiAvailable ? 'active' : 'support_active';
}

/**
 * Most messages come from customers already known, so look first (one round
 * trip) and insert only on a miss; a concurrent first message is settled by
 * the unique index.
 */
export async function findOrCreateConversation(
  db: Database,
  input: {
    userId: string;
    channel: Channel;
    customerId: string;
    status: ConversationStatus;
    channelId?: string | null;
    customerName?: string | null;
  },
): Promise<{ conversation: Conversation; created: boolean }> {
  const known = await findConversation(db, input);
  if (known) return { conversation: known, created: false };
  const [created] = await db
    .insert(conversations)
    .values({
      id: randomId(CONVERSATION_ID_LENGTH),
      userId: input.userId,
      channel: input.channel,
      customerId: input.customerId,
      status: input.status,
      channelId: input.channelId ?? null,
      customerName: input.customerName ?? null,
    })
    .onConflictDoNothing({ target: [conversations.userId, conversations.channel, conversations.customerId] })
    .returning();
  if (created) return { conversation: created, created: true };
  const existing = await findConversation(db, input);
  if (!existing) throw new Error('conversation vanished between insert and select');
  return { conversation: existing, created: false };
}

/** Prepared once per database: the lookup runs for every customer message. */
const findStatements = new WeakMap<Database, ReturnType<typeof prepareFind>>();

function prepareFind(db: Database) {
  return db
    .select()
    .from(conversations)
    .where(
      and(
        eq(conversations.userId, sql.placeholder('userId')),
        eq(conversations.channel, sql.placeholder('channel')),
        eq(conversations.customerId, sql.placeholder('customerId')),
      ),
    )
    .limit(1)
    .prepare('find_conversation');
}

async function findConversation(
  db: Database,
  key: { userId: string; channel: Channel; customerId: string },
): Promise<Conversation | undefined> {
  let statement = findStatements.get(db);
  if (!statement) {
    statement = prepareFind(db);
    findStatements.set(db, statement);
  }
  const [found] = await statement.execute(key);
  return found;
}

/** Another business's conversation is as absent as a missing one. */
export async function getOwnConversation(
  db: Database,
  userId: string,
  conversationId: string,
): Promise<Conversation | undefined> {
  const [conversation] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, conversationId), eq(conversations.userId, userId)))
    .limit(1);
  return conversation;
}

/** The business's conversation, or 404 (another business's included). */
export async function requireOwnConversation(
  db: Database,
  userId: string,
  conversationId: string,
): Promise<Conversation> {
  const conversation = await getOwnConversation(db, userId, conversationId);
  if (!conversation) throw new NotFoundError('No such conversation.');
  return conversation;
}

export interface StoredMessage {
  id: string;
  /** Order within the conversation. */
  seq: number;
  type: MessageType;
  text: string;
  createdAt: Date;
  responseTimeMs: number | null;
}

export interface NewMessage {
  conversationId: string;
  type: MessageType;
  text: string;
  responseTimeMs?: number | null;
  channelMessageId?: string | null;
  /** On an AI answer: how many customer messages it answers. */
  answeredCount?: number | null;
  /**
   * Store the message only while the AI still owns the conversation at this
   * ownership version. The row is locked, so a takeover either happened
   * before (and nothing is stored) or waits until this message is in: the
   * send-time check that keeps the AI quiet once a person has taken over.
   */
  onlyIfOwnedAt?: number;
  /**
   * With `onlyIfOwnedAt`: the `seq` of the newest customer message this reply
   * answers. It is stored only if no reply has answered that far yet.
   */
  answers?: number;
  /**
   * Another statement to run in the same round trip. It may read `inserted`,
   * which holds the new message's row when it was stored and nothing otherwise.
   */
  also?: SQL;
}

/**
 * Stores a message and moves the conversation's counters in one round trip.
 * A message already stored under the same channel id returns undefined.
 */
export async function addMessage(db: Database, input: NewMessage): Promise<StoredMessage | undefined> {
  return (await insertMessage(db, input, 0)).message;
}

/**
 * Stores a customer's message and reads the `historyLimit` messages before it
 * in the same round trip (oldest first), for the model's context.
 */
export async function addMessageWithHistory(
  db: Database,
  input: NewMessage,
  historyLimit: number,
): Promise<{ message: StoredMessage | undefined; history: StoredMessage[] }> {
  return insertMessage(db, input, historyLimit);
}

interface HistoryRow {
  id: string;
  seq: number | string;
  type: MessageType;
  text: string;
  created_at: string;
  response_time_ms: number | null;
}

async function insertMessage(db: Database, input: NewMessage, historyLimit: number) {
  const id = randomId(16);
  const outbound = input.type === 'AI' || input.type === 'support';
  // Messages to a customer on a channel join the outbox: pending until delivered.
  const delivery = outbound
    ? sql`(select case when channel_id is not null then 'pending' end from ${conversations} where id = ${input.conversationId})`
    : sql`null`;
  const values = sql`${id}, ${input.conversationId}, ${input.type}, ${input.text},
              ${input.responseTimeMs ?? null}, ${input.channelMessageId ?? null}, ${delivery},
              ${input.answeredCount ?? null}`;
  const answered = input.answers === undefined ? sql`` : sql`, answered_through_seq = ${input.answers}`;
  const touch = sql`update ${conversations}
         set message_count = message_count + 1, last_message_at = now(), is_active = true, updated_at = now() ${answered}`;
  // Guarded: the conversation's update comes first and carries the ownership check. Its row lock
  // makes PostgreSQL re-check the condition against a concurrent takeover's committed row, and
  // the message goes in only if the update did. Unguarded: the insert comes first, so a
  // duplicate delivery (same channel id) changes no counter.
  const steps =
    input.onlyIfOwnedAt === undefined
      ? sql`inserted as (
            insert into ${messages} (id, conversation_id, type, text, response_time_ms, channel_message_id, delivery_status, answered_count)
            values (${values})
            on conflict do nothing
            returning created_at, seq
          ), touched as (
            ${touch} where id = ${input.conversationId} and exists (select 1 from inserted)
          )`
      : sql`owned as (
            ${touch} where id = ${input.conversationId} and status = 'active'
               and ownership_version = ${input.onlyIfOwnedAt}
               ${input.answers === undefined ? sql`` : sql`and answered_through_seq < ${input.answers}`}
            returning id
          ), inserted as (
            insert into ${messages} (id, conversation_id, type, text, response_time_ms, channel_message_id, delivery_status, answered_count)
            select ${values} from owned
            on conflict do nothing
            returning created_at, seq
          )`;
  // Every part of one statement sees the same snapshot: `history` holds the messages before this one.
  const history =
    historyLimit > 0
      ? sql`, history as (
          select id, type, text, created_at, response_time_ms, seq from ${messages}
           where conversation_id = ${input.conversationId} order by seq desc limit ${historyLimit})`
      : sql``;
  const also = input.also ? sql`, also as (${input.also})` : sql``;
  const result = await db.execute(sql`
    with ${steps} ${history} ${also}
    select (select created_at from inserted) as created_at, (select seq from inserted) as seq,
           ${historyLimit > 0 ? sql`(select coalesce(json_agg(h order by h.seq), '[]'::json) from history h)` : sql`null`} as history`);
  const row = rowsOf<{
    created_at: Date | string | null;
    seq: number | string | null;
    history: HistoryRow[] | string | null;
  }>(result)[0];
  const rawHistory =
    typeof row?.history === 'string' ? (JSON.parse(row.history) as HistoryRow[]) : (row?.history ?? []);
  return {
    message: row?.created_at
      ? {
          id,
          seq: Number(row.seq),
          type: input.type,
          text: input.text,
          createdAt: new Date(row.created_at),
          responseTimeMs: input.responseTimeMs ?? null,
        }
      : undefined,
    history: rawHistory.map((h) => ({
      id: h.id,
      seq: Number(h.seq),
      type: h.type,
      text: h.text,
      createdAt: new Date(h.created_at),
      responseTimeMs: h.response_time_ms,
    })),
  };
}

/** The columns of a message that views and the model see. */
export const messageColumns = {
  id: messages.id,
  seq: messages.seq,
  type: messages.type,
  text: messages.text,
  createdAt: messages.createdAt,
  responseTimeMs: messages.responseTimeMs,
};

/** The latest `limit` messages, oldest first. */
export async function recentMessages(db: Database, conversationId: string, limit: number): Promise<StoredMessage[]> {
  const rows = await db
    .select(messageColumns)
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(desc(messages.seq))
    .limit(limit);
  return rows.reverse();
}
