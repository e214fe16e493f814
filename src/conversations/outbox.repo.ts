import { and, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { channels, conversations, messages } from '../db/schema/index.js';

export type ChannelRow = typeof channels.$inferSelect;

/** Outbound messages still `pending`, oldest first: one conversation's, or every one waiting over `olderThanMs`. */
export async function pendingMessageIds(
  db: Database,
  { conversationId, olderThanMs = 0 }: { conversationId?: string | undefined; olderThanMs?: number },
): Promise<string[]> {
  const rows = await db
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.deliveryStatus, 'pending'),
        conversationId ? eq(messages.conversationId, conversationId) : undefined,
        olderThanMs > 0 ? lt(messages.createdAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`) : undefined,
      ),
    )
    .orderBy(messages.seq)
    .limit(1_000);
  return rows.map((row) => row.id);
}

/** A message still waiting to go out, with its conversation's customer and channel (null once disconnected). */
export async function findPendingDelivery(db: Database, messageId: string) {
  const [row] = await db
    .select({
      message: {
        id: messages.id,
        type: messages.type,
        text: messages.text,
        deliveryStatus: messages.deliveryStatus,
        channelMessageId: messages.channelMessageId,
      },
      conversation: { id: conversations.id, userId: conversations.userId, customerId: conversations.customerId },
      channel: channels,
    })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .leftJoin(channels, eq(channels.id, conversations.channelId))
    .where(eq(messages.id, messageId))
    .limit(1);
  return row?.message.deliveryStatus === 'pending' ? row : undefined;
}

/** The platform ids of the parts sent so far, so a retry resumes after them. */
export async function recordPartsSent(db: Database, messageId: string, channelMessageIds: string): Promise<void> {
  await db.update(messages).set({ channelMessageId: channelMessageIds }).where(eq(messages.id, messageId));
}

export async function markDelivered(db: Database, messageId: string, channelMessageIds: string): Promise<void> {
  await db
    .update(messages)
    .set({ deliveryStatus: 'sent', deliveredAt: sql`now()`, channelMessageId: channelMessageIds, deliveryError: null })
    .where(eq(messages.id, messageId));
}

export async function markUndeliverable(db: Database, messageId: string, error: string): Promise<void> {
  await db.update(messages).set({ deliveryStatus: 'failed', deliveryError: error }).where(eq(messages.id, messageId));
}

export async function lastCustomerMessageAt(db: Database, conversationId: string): Promise<Date | undefined> {
  const [row] = await db
    .select({ at: sql<Date | string | null>`max(${messages.createdAt})` })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.type, 'customer')));
  return row?.at ? new Date(row.at) : undefined;
}

/** Messages to a channel's customers that could not be delivered since `since`: how many, and the latest. */
export async function failedDeliveriesSince(db: Database, channelId: string, since: Date) {
  const [row] = await db
    .select({
      count: sql<number>`count(*) over ()`.mapWith(Number),
      at: messages.createdAt,
      error: messages.deliveryError,
    })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(
      and(
        // Written out, not a parameter, so the planner can use the partial index on failed messages.
        sql`${messages.deliveryStatus} = 'failed'`,
        gt(messages.createdAt, since),
        eq(conversations.channelId, channelId),
      ),
    )
    .orderBy(desc(messages.createdAt))
    .limit(1);
  return { count: row?.count ?? 0, last: row ? { at: row.at, error: row.error } : null };
}
