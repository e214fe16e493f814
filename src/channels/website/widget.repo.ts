import { and, asc, desc, eq, isNotNull, sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../../db/client.js';
import { conversations, messages, widgetVisitors, type MessageType } from '../../db/schema/index.js';
import { conversationMessagesAfter, conversationMessagesBefore, newestSeq } from '../../conversations/messages.repo.js';

export type Visitor = typeof widgetVisitors.$inferSelect;

/** The messages a visitor sees: system notes are the business's own. */
export interface WidgetMessageRow {
  id: string;
  seq: number;
  type: MessageType;
  text: string;
  channelMessageId: string | null;
  createdAt: Date;
}

const messageColumns = {
  id: messages.id,
  seq: messages.seq,
  type: messages.type,
  text: messages.text,
  channelMessageId: messages.channelMessageId,
  createdAt: messages.createdAt,
};

export async function insertVisitor(db: Database, values: Omit<Visitor, 'createdAt'>): Promise<Visitor> {
  const [created] = await db.insert(widgetVisitors).values(values).returning();
  if (!created) throw new Error('the visitor was not stored');
  return created;
}

export async function findVisitor(db: Database, channelId: string, tokenHash: string): Promise<Visitor | undefined> {
  const [visitor] = await db
    .select()
    .from(widgetVisitors)
    .where(and(eq(widgetVisitors.tokenHash, tokenHash), eq(widgetVisitors.channelId, channelId)))
    .limit(1);
  return visitor;
}

export async function findWidgetConversation(db: Database, userId: string, customerId: string) {
  const [conversation] = await db
    .select()
    .from(conversations)
    .where(
      and(
        eq(conversations.userId, userId),
        eq(conversations.channel, 'website'),
        eq(conversations.customerId, customerId),
      ),
    )
    .limit(1);
  return conversation;
}

/** After `after`: the next 100, oldest first; without it, the latest 50. */
export async function widgetMessages(
  db: Database,
  conversationId: string,
  after: number | undefined,
): Promise<WidgetMessageRow[]> {
  if (after !== undefined) {
    return db
      .select(messageColumns)
      .from(conversationMessagesAfter(conversationId, { afterSeq: after, skip: 0, limit: 100, withSystem: false }))
      .orderBy(asc(messages.seq));
  }
  const latest = await db
    .select(messageColumns)
    .from(conversationMessagesBefore(conversationId, { beforeSeq: undefined, limit: 50, withSystem: false }))
    .orderBy(desc(messages.seq));
  return latest.reverse();
}

export async function findMessage(db: Database, id: string): Promise<WidgetMessageRow | undefined> {
  const [row] = await db.select(messageColumns).from(messages).where(eq(messages.id, id)).limit(1);
  return row;
}

/**
 * A visitor's message by its client id, with its conversation, in one round trip: a message
 * post checks for a resend before storing and reads the stored row back after, each on the
 * path every visitor's answer waits behind.
 */
export async function findVisitorMessage(db: Database, userId: string, customerId: string, channelMessageId: string) {
  const [row] = await db
    .select({ conversation: conversations, message: messageColumns })
    .from(conversations)
    .innerJoin(messages, eq(messages.conversationId, conversations.id))
    .where(
      and(
        eq(conversations.userId, userId),
        eq(conversations.channel, 'website'),
        eq(conversations.customerId, customerId),
        eq(messages.channelMessageId, channelMessageId),
      ),
    )
    .limit(1);
  return row;
}

/** The model's answers in a conversation (an away or handover message is not one). */
export async function countAiAnswers(db: Database, conversationId: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(messages)
    .where(
      and(eq(messages.conversationId, conversationId), eq(messages.type, 'AI'), isNotNull(messages.answeredCount)),
    );
  return Number(row?.count ?? 0);
}

/** The highest `seq` the visitor can see, for the socket's `ready`. */
export async function lastSeq(db: Database, conversationId: string): Promise<number> {
  const [row] = rowsOf<{ seq: number | string }>(
    await db.execute(sql`select ${newestSeq(conversationId, false)} as seq`),
  );
  return Number(row?.seq ?? 0);
}
