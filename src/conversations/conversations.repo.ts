import { and, count, desc, eq, ilike, inArray, sql, type SQL } from 'drizzle-orm';
import { preparedPerDatabase } from '../db/built-once.js';
import { rowsOf, type Database } from '../db/client.js';
import { historyFromJson, historyJson } from './messages.repo.js';
import { channels, conversations, messages, users, type Channel, type ConversationStatus } from '../db/schema/index.js';

export type Conversation = typeof conversations.$inferSelect;
export type NewConversation = typeof conversations.$inferInsert;

/** The key a channel knows a conversation by: one per business, channel and customer. */
// A type, not an interface: the prepared statement takes it as a record of placeholders.
export type CustomerKey = { userId: string; channel: Channel; customerId: string };

/** Prepared once per database: the lookup runs for every customer message. */
const findStatement = preparedPerDatabase((db) =>
  db
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
    .prepare('find_conversation'),
);

export async function findConversation(db: Database, key: CustomerKey): Promise<Conversation | undefined> {
  const [found] = await findStatement(db).execute(key);
  return found;
}

/** A customer's first conversation with the business, as a channel or `ask` opens it. */
// A type, not an interface: the prepared statement takes it as a record of placeholders.
export type OpenedConversation = CustomerKey & {
  id: string;
  status: ConversationStatus;
  waitingForAi: boolean;
  channelId: string | null;
  customerName: string | null;
};

/** Prepared once per database: every new customer's first message runs it. */
const insertStatement = preparedPerDatabase((db) =>
  db
    .insert(conversations)
    .values({
      id: sql.placeholder('id'),
      userId: sql.placeholder('userId'),
      channel: sql.placeholder('channel'),
      customerId: sql.placeholder('customerId'),
      status: sql.placeholder('status'),
      waitingForAi: sql.placeholder('waitingForAi'),
      channelId: sql.placeholder('channelId'),
      customerName: sql.placeholder('customerName'),
    })
    .onConflictDoNothing({ target: [conversations.userId, conversations.channel, conversations.customerId] })
    .returning()
    .prepare('insert_conversation'),
);

/** The new conversation, or undefined when another request created the customer's first. */
export async function insertConversation(db: Database, values: OpenedConversation): Promise<Conversation | undefined> {
  const [created] = await insertStatement(db).execute(values);
  return created;
}

export async function findOwnConversation(
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

/** Locks one of the business's conversations for the rest of the transaction. */
export async function lockOwnConversation(
  tx: Database,
  userId: string,
  conversationId: string,
): Promise<Conversation | undefined> {
  const [row] = await tx
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, conversationId), eq(conversations.userId, userId)))
    .for('update')
    .limit(1);
  return row;
}

/** Locks the business's conversations among `ids`, in id order so two bulk changes cannot deadlock. */
export async function lockOwnConversations(tx: Database, userId: string, ids: string[]): Promise<Conversation[]> {
  return tx
    .select()
    .from(conversations)
    .where(and(eq(conversations.userId, userId), inArray(conversations.id, ids)))
    .orderBy(conversations.id)
    .for('update');
}

function statusChange(status: ConversationStatus) {
  return {
    status,
    // A status set on purpose ends the wait that the AI's unavailability at the start began.
    waitingForAi: false,
    ownershipVersion: sql`${conversations.ownershipVersion} + 1`,
    updatedAt: sql`now()`,
  };
}

/** Sets a locked conversation's status; returns its new ownership version. */
export async function setStatus(tx: Database, conversationId: string, status: ConversationStatus): Promise<number> {
  const [updated] = await tx
    .update(conversations)
    .set(statusChange(status))
    .where(eq(conversations.id, conversationId))
    .returning({ version: conversations.ownershipVersion });
  return updated?.version ?? 0;
}

/** `setStatus` for many locked conversations in one statement. */
export async function setStatuses(
  tx: Database,
  conversationIds: string[],
  status: ConversationStatus,
): Promise<{ id: string; version: number }[]> {
  return tx
    .update(conversations)
    .set(statusChange(status))
    .where(inArray(conversations.id, conversationIds))
    .returning({ id: conversations.id, version: conversations.ownershipVersion });
}

/**
 * Ends the wait of a business's waiting conversations (or of one of them):
 * to the AI (`active`, a new ownership version) or, when the business now
 * wants people first, with people as they are.
 */
export async function endWaitForAi(
  db: Database,
  userId: string,
  to: ConversationStatus,
  conversationId?: string,
): Promise<{ id: string; version: number }[]> {
  return db
    .update(conversations)
    .set(to === 'active' ? statusChange('active') : { waitingForAi: false, updatedAt: sql`now()` })
    .where(
      and(
        eq(conversations.userId, userId),
        eq(conversations.waitingForAi, true),
        // A person's status change clears the mark in the same statement, so this is belt and braces.
        eq(conversations.status, 'support_active'),
        conversationId === undefined ? undefined : eq(conversations.id, conversationId),
      ),
    )
    .returning({ id: conversations.id, version: conversations.ownershipVersion });
}

export interface ConversationFilters {
  status?: ConversationStatus | undefined;
  isActive?: boolean | undefined;
  channel?: Channel | undefined;
  /** Part of the customer id. */
  search?: string | undefined;
}

/** A search taken literally by ILIKE: its own `%`, `_` and `\\` match themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (match) => `\\${match}`);
}

/** A business's conversations (or sessions: the same rows), newest activity first. */
export async function listConversations(
  db: Database,
  userId: string,
  filters: ConversationFilters,
  page: { page: number; pageSize: number },
): Promise<{ count: number; rows: Conversation[] }> {
  // The owner's "Try it" conversation is no customer's session.
  const conditions: SQL[] = [eq(conversations.userId, userId), eq(conversations.isTest, false)];
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

/** Sets every conversation's counters from its messages in one statement; returns the ids it changed. */
export async function recountConversations(db: Database): Promise<{ checked: number; updated: string[] }> {
  const result = await db.execute(sql`
    with truth as (
      select c.id, count(m.id)::int as n, max(m.created_at) as last
        from conversations c left join messages m on m.conversation_id = c.id
       group by c.id
    ), fixed as (
      update conversations c
         set message_count = t.n, last_message_at = t.last, updated_at = now()
        from truth t
       where c.id = t.id and (c.message_count <> t.n or c.last_message_at is distinct from t.last)
      returning c.id
    )
    select (select count(*)::int from truth) as checked,
           coalesce((select array_agg(id order by id) from fixed), '{}') as updated`);
  const [row] = rowsOf<{ checked: number; updated: string[] }>(result);
  return { checked: Number(row?.checked ?? 0), updated: row?.updated ?? [] };
}

/**
 * A conversation with its owner and, for a channel conversation, its channel. With
 * `historyLimit`, its latest messages (oldest first), and with `alongside`, a scalar that may
 * refer to the conversation's columns, read in the same statement.
 */
export async function findWithOwnerAndChannel(
  db: Database,
  conversationId: string,
  context: { historyLimit?: number; alongside?: SQL } = {},
) {
  const [row] = await db
    .select({
      conversation: conversations,
      owner: { id: users.id },
      channel: channels,
      history: context.historyLimit ? historyJson(sql`${conversations.id}`, context.historyLimit) : sql<null>`null`,
      alongside: context.alongside ?? sql<null>`null`,
    })
    .from(conversations)
    .innerJoin(users, eq(users.id, conversations.userId))
    .leftJoin(channels, eq(channels.id, conversations.channelId))
    .where(eq(conversations.id, conversationId))
    .limit(1);
  if (!row) return undefined;
  const { history, alongside, ...found } = row;
  return { ...found, history: historyFromJson(history), alongside };
}

/**
 * Records why the model will not see a conversation's customer messages after
 * `after` up to `through` (a reason already recorded stays: the first decision
 * is the one that kept them from the model). With `answered`, the answered
 * mark moves up to `through` too, never back, in the same statement: those
 * messages wait for no answer any more.
 */
export async function markSkipped(
  db: Database,
  conversationId: string,
  skip: { after: number; through: number; reason: string; answered: boolean },
): Promise<void> {
  const answered = skip.answered
    ? sql`with marked as (
        update ${conversations} set answered_through_seq = greatest(answered_through_seq, ${skip.through})
         where id = ${conversationId})`
    : sql``;
  await db.execute(sql`
    ${answered}
    update ${messages} set ai_skipped_reason = ${skip.reason}
     where conversation_id = ${conversationId} and type = 'customer'
       and seq > ${skip.after} and seq <= ${skip.through} and ai_skipped_reason is null`);
}

/** Marks conversations without a message for over `idleDays` days inactive; returns how many. */
export async function deactivateIdleConversations(db: Database, idleDays: number): Promise<number> {
  const result = await db.execute(sql`
    update ${conversations} set is_active = false, updated_at = now()
     where is_active and coalesce(last_message_at, created_at) < now() - make_interval(days => ${idleDays})
    returning id`);
  return rowsOf<{ id: string }>(result).length;
}
