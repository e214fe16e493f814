import { getTableName, sql, Subquery, type SQL, type SQLWrapper } from 'drizzle-orm';
import { randomId } from '../kernel/ids.js';
import { builtOnce, shapeKey, type Fragment } from '../db/built-once.js';
import { rowsOf, type Database } from '../db/client.js';
import { conversations, messages, type MessageType } from '../db/schema/index.js';
import { recentHistoryOf } from './recent-history.js';
import type { StoredMessage } from './stored-message.js';

export type { StoredMessage } from './stored-message.js';

export interface NewMessage {
  conversationId: string;
  type: MessageType;
  text: string;
  responseTimeMs?: number | null;
  channelMessageId?: string | null;
  /** On an AI answer: how many customer messages it answers. */
  answeredCount?: number | null;
  /** On a customer message the model will not see: why (see the column). */
  aiSkippedReason?: string | null;
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
   * Another statement to run in the same round trip. It may read `inserted`
   * (id, created_at, seq), which holds the new message's row when it was
   * stored and nothing otherwise.
   */
  also?: Fragment;
  /**
   * A scalar read in the same statement and snapshot, returned as `alongside`: what the caller
   * would otherwise fetch in a round trip of its own.
   */
  alongside?: Fragment;
  /**
   * An outbound message its writer sends at once: stored already claimed by that sender for
   * this long (the outbox's lease), saving the claim's round trip, unless an older message of
   * the conversation still waits to go out, which must go first. See `claimed` in the result.
   */
  claimForMs?: number;
}

/** A message as stored; `claimed` when it was stored claimed by its writer (`claimForMs`). */
export type InsertedMessage = StoredMessage & { claimed: boolean };

/** A message as `historyJson` gives it: both drivers parse json; its timestamps stay text. */
export interface HistoryRow {
  id: string;
  seq: number | string;
  type: MessageType;
  text: string;
  created_at: string;
  response_time_ms: number | null;
}

/**
 * A conversation's latest `limit` messages as one json array (a scalar within a larger statement),
 * read by the database function of migration 0024, which reads no more of them than it returns.
 */
export function historyJson(conversationId: SQLWrapper | string, limit: SQLWrapper | number): SQL<HistoryRow[] | null> {
  return sql<HistoryRow[] | null>`conversation_history(${conversationId}, ${limit})`;
}

/**
 * A page of one conversation's messages, to select from as the `messages` table: up to `limit`,
 * newest first, before `beforeSeq` (or the newest of all), system notes only `withSystem`. Read by
 * migration 0025's function, which reads no more messages than it returns, however many other
 * conversations wrote since.
 */
export function conversationMessagesBefore(
  conversationId: string,
  page: { beforeSeq: number | undefined; limit: number; withSystem: boolean },
): Subquery {
  const { beforeSeq, limit, withSystem } = page;
  return asMessagesTable(
    sql`conversation_messages_before(${conversationId}, ${beforeSeq ?? null}, ${limit}, ${withSystem})`,
  );
}

/** As `conversationMessagesBefore`, oldest first: after `afterSeq`, the first `skip` left out. */
export function conversationMessagesAfter(
  conversationId: string,
  page: { afterSeq: number; skip: number; limit: number; withSystem: boolean },
): Subquery {
  const { afterSeq, skip, limit, withSystem } = page;
  return asMessagesTable(
    sql`conversation_messages_after(${conversationId}, ${afterSeq}, ${skip}, ${limit}, ${withSystem})`,
  );
}

/**
 * A business's messages after `afterSeq`, oldest first, at most `limit`, its test conversations
 * left out: to select from as the `messages` table. Read by migration 0026's function, which walks
 * at most 1,000 of every business's messages after the cursor, then reads the business's own
 * conversations: it does not grow with what other businesses wrote since.
 */
export function businessMessagesAfter(userId: string, page: { afterSeq: number; limit: number }): Subquery {
  return asMessagesTable(sql`business_messages_after(${userId}, ${page.afterSeq}, ${page.limit})`);
}

/** The `seq` of a conversation's newest message (system notes only `withSystem`), 0 without one: a scalar, read as a page of one. */
export function newestSeq(conversationId: SQLWrapper | string, withSystem: boolean): SQL<number | string> {
  return sql<
    number | string
  >`coalesce((select seq from conversation_messages_before(${conversationId}, null, 1, ${withSystem})), 0)`;
}

/** Rows of `messages` returned by `call`, under the table's name, so that its columns select from them. */
function asMessagesTable(call: SQL): Subquery {
  return new Subquery(sql`select * from ${call}`, {}, getTableName(messages));
}

/** `historyJson`'s rows as stored messages, oldest first. */
export function historyFromJson(rows: HistoryRow[] | null | undefined): StoredMessage[] {
  return (rows ?? []).map((h) => ({
    id: h.id,
    seq: Number(h.seq),
    type: h.type,
    text: h.text,
    createdAt: new Date(h.created_at),
    responseTimeMs: h.response_time_ms,
  }));
}

/**
 * The `history` and `alongside` columns of a statement that stores a message: the history up to
 * the `history_limit` placeholder's messages when `history`, and the `alongside` fragment's scalar.
 */
export function readColumns(conversationId: SQLWrapper, history: boolean | SQL, alongside: SQL | undefined): SQL {
  const read = historyJson(conversationId, sql.placeholder('history_limit'));
  // A condition instead of `true`: the history is read unless it holds (then null: see RecentHistory).
  const historyColumn =
    history === false ? sql`null` : history === true ? read : sql`case when ${history} then null else ${read} end`;
  return sql`${historyColumn} as history, ${alongside ? sql`(${alongside})` : sql`null`} as alongside`;
}

/** What every new message changes in its conversation (more `set`s may follow). */
export const touchConversation = sql`update ${conversations}
         set message_count = message_count + 1, last_message_at = now(), is_active = true, updated_at = now()`;

/** What changes the text of `insertMessage`'s statement (a type, not an interface: `shapeKey` reads it as a record). */
type MessageShape = {
  outbound: boolean;
  claim: boolean;
  guarded: boolean;
  answers: boolean;
  personWrote: boolean;
  history: boolean;
};

const storeMessage = builtOnce('store_message');

/**
 * Stores a message, moves the conversation's counters and, with a
 * `historyLimit`, reads the messages before it: one statement, one round trip.
 */
export async function insertMessage(
  db: Database,
  input: NewMessage,
  historyLimit: number,
): Promise<{ message: InsertedMessage | undefined; history: StoredMessage[]; alongside: unknown }> {
  const id = randomId(16);
  const outbound = input.type === 'AI' || input.type === 'support';
  const shape: MessageShape = {
    outbound,
    claim: outbound && input.claimForMs !== undefined,
    guarded: input.onlyIfOwnedAt !== undefined,
    answers: input.answers !== undefined,
    // A person's reply means people have the conversation: it no longer waits for the AI.
    personWrote: input.type === 'support',
    // Stryker disable next-line EqualityOperator: a history of limit 0 is as empty as none
    history: historyLimit > 0,
  };
  const { also, alongside } = input;
  const result = await storeMessage(
    db,
    shapeKey(shape, also, alongside),
    () => insertMessageSql(shape, also?.sql, alongside?.sql),
    {
      id,
      conversation_id: input.conversationId,
      type: input.type,
      text: input.text,
      response_time_ms: input.responseTimeMs ?? null,
      channel_message_id: input.channelMessageId ?? null,
      answered_count: input.answeredCount ?? null,
      ai_skipped_reason: input.aiSkippedReason ?? null,
      claim_seconds: input.claimForMs === undefined ? null : input.claimForMs / 1000,
      owned_at: input.onlyIfOwnedAt ?? null,
      answers: input.answers ?? null,
      history_limit: historyLimit,
      ...also?.values,
      ...alongside?.values,
    },
  );
  // Both drivers parse json; Drizzle leaves timestamps as text on PGlite.
  const row = rowsOf<{
    created_at: Date | string | null;
    seq: number | string | null;
    claimed: boolean | null;
    history: HistoryRow[] | null;
    alongside: unknown;
    message_count: number | null;
  }>(result)[0];
  const message: InsertedMessage | undefined = row?.created_at
    ? {
        id,
        seq: Number(row.seq),
        type: input.type,
        text: input.text,
        createdAt: new Date(row.created_at),
        responseTimeMs: input.responseTimeMs ?? null,
        claimed: row.claimed === true,
      }
    : undefined;
  if (message) recentHistoryOf(db).added(input.conversationId, message, Number(row?.message_count));
  return { message, history: historyFromJson(row?.history), alongside: row?.alongside ?? null };
}

/** `insertMessage`'s statement for one shape; its values are placeholders. */
function insertMessageSql(shape: MessageShape, also: SQL | undefined, alongside: SQL | undefined): SQL {
  const conversationId = sql.placeholder('conversation_id');
  // Messages to a customer on a channel join the outbox: pending until delivered.
  const delivery = shape.outbound
    ? sql`(select case when channel_id is not null then 'pending' end from ${conversations} where id = ${conversationId})`
    : sql`null`;
  // Claimed only where it would be the next to go: the statement's snapshot holds the messages before it.
  const claim = shape.claim
    ? sql`(select now() + make_interval(secs => ${sql.placeholder('claim_seconds')}) from ${conversations} c
              where c.id = ${conversationId} and c.channel_id is not null
                and not exists (select 1 from ${messages} m where m.conversation_id = ${conversationId}
                                  and m.delivery_status = 'pending' and m.sending_until is null))`
    : sql`null`;
  const values = sql`${sql.placeholder('id')}, ${conversationId}, ${sql.placeholder('type')}, ${sql.placeholder('text')},
              ${sql.placeholder('response_time_ms')}, ${sql.placeholder('channel_message_id')}, ${delivery},
              ${sql.placeholder('answered_count')}, ${sql.placeholder('ai_skipped_reason')}, ${claim}`;
  const answers = sql.placeholder('answers');
  const answered = shape.answers ? sql`, answered_through_seq = ${answers}` : sql``;
  const personWrote = shape.personWrote ? sql`, waiting_for_ai = false` : sql``;
  const touch = sql`${touchConversation} ${answered} ${personWrote}`;
  // Guarded: the conversation's update comes first and carries the ownership check. Its row lock
  // makes PostgreSQL re-check the condition against a concurrent takeover's committed row, and
  // the message goes in only if the update did. Unguarded: the insert comes first, so a
  // duplicate delivery (same channel id) changes no counter.
  const steps = shape.guarded
    ? sql`owned as (
            ${touch} where id = ${conversationId} and status = 'active'
               and ownership_version = ${sql.placeholder('owned_at')}
               ${shape.answers ? sql`and answered_through_seq < ${answers}` : sql``}
            returning id, message_count
          ), inserted as (
            insert into ${messages} (id, conversation_id, type, text, response_time_ms, channel_message_id, delivery_status, answered_count, ai_skipped_reason, sending_until)
            select ${values} from owned
            on conflict do nothing
            returning id, created_at, seq, sending_until is not null as claimed
          )`
    : sql`inserted as (
            insert into ${messages} (id, conversation_id, type, text, response_time_ms, channel_message_id, delivery_status, answered_count, ai_skipped_reason, sending_until)
            values (${values})
            on conflict do nothing
            returning id, created_at, seq, sending_until is not null as claimed
          ), touched as (
            ${touch} where id = ${conversationId} and exists (select 1 from inserted)
            returning message_count
          )`;
  // Every part of one statement sees the same snapshot: the history holds the messages before this one.
  return sql`
    with ${steps} ${also ? sql`, also as (${also})` : sql``}
    select (select created_at from inserted) as created_at, (select seq from inserted) as seq,
           (select claimed from inserted) as claimed,
           (select message_count from ${sql.raw(shape.guarded ? 'owned' : 'touched')}) as message_count,
           ${readColumns(conversationId, shape.history, alongside)}`;
}

/** The latest `limit` messages, oldest first, read as a reply's history is (`historyJson`). */
export async function recentMessages(db: Database, conversationId: string, limit: number): Promise<StoredMessage[]> {
  const [row] = rowsOf<{ history: HistoryRow[] | null }>(
    await db.execute(sql`select ${historyJson(conversationId, limit)} as history`),
  );
  return historyFromJson(row?.history);
}
