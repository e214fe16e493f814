import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { preparedPerDatabase } from '../db/built-once.js';
import type { Database } from '../db/client.js';
import { channels, conversations, messages } from '../db/schema/index.js';

export type ChannelRow = typeof channels.$inferSelect;

// Written out rather than a bound value, so that PostgreSQL can use messages_pending_idx in a
// statement prepared once and planned generically too.
const isPending = sql`${messages.deliveryStatus} = 'pending'`;

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
        isPending,
        isNull(messages.sendingUntil),
        conversationId ? eq(messages.conversationId, conversationId) : undefined,
        olderThanMs > 0 ? lt(messages.createdAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`) : undefined,
      ),
    )
    .orderBy(messages.seq)
    .limit(1_000);
  return rows.map((row) => row.id);
}

/** Which message to claim: one by its id, or the oldest one of a conversation still waiting. */
export type ClaimTarget = { messageId: string } | { nextOf: string };

/**
 * Claims a message still waiting to go out for `leaseMs`, so no other process sends it meanwhile,
 * and reads it with its conversation's customer and channel (null once disconnected). Undefined
 * when it is not pending, another sender holds it, or (`nextOf`) the conversation has none left.
 */
export async function claimDelivery(db: Database, target: ClaimTarget, leaseMs: number) {
  const which =
    'messageId' in target
      ? eq(messages.id, target.messageId)
      : eq(
          messages.id,
          sql`(select ${messages.id} from ${messages} where ${messages.conversationId} = ${target.nextOf}
                and ${messages.deliveryStatus} = 'pending' and ${messages.sendingUntil} is null
              order by ${messages.seq} limit 1)`,
        );
  // One statement: the claim's update, and the read of what sending needs from its returned row.
  // The update checks the state again: a sender that claimed the row first leaves it unchanged.
  const claimed = db.$with('claimed').as(
    db
      .update(messages)
      .set({ sendingUntil: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
      .where(and(which, isPending, isNull(messages.sendingUntil)))
      .returning({
        id: messages.id,
        type: messages.type,
        text: messages.text,
        channelMessageId: messages.channelMessageId,
        conversationId: messages.conversationId,
      }),
  );
  const [row] = await db
    .with(claimed)
    .select({
      message: { id: claimed.id, type: claimed.type, text: claimed.text, channelMessageId: claimed.channelMessageId },
      conversation: { id: conversations.id, userId: conversations.userId, customerId: conversations.customerId },
      channel: channels,
    })
    .from(claimed)
    .innerJoin(conversations, eq(conversations.id, claimed.conversationId))
    .leftJoin(channels, eq(channels.id, conversations.channelId));
  return row;
}

/** A try that failed without sending: the message is free for the next one, keeping the parts it did send. */
export async function releaseClaim(db: Database, messageId: string, channelMessageIds: string | null): Promise<void> {
  await db
    .update(messages)
    .set({ sendingUntil: null, channelMessageId: channelMessageIds })
    .where(eq(messages.id, messageId));
}

/**
 * Messages whose sender stopped mid-send (a crash, a restart) and whose claim has lapsed: they
 * may have reached the customer, so they are marked failed with why, for people to see and
 * send again if needed, never sent twice by Parley.
 */
export async function failLapsedClaims(db: Database, why: string) {
  return db
    .update(messages)
    .set({ deliveryStatus: 'failed', deliveryError: why, sendingUntil: null })
    .from(conversations)
    .where(
      and(
        eq(conversations.id, messages.conversationId),
        eq(messages.deliveryStatus, 'pending'),
        lt(messages.sendingUntil, sql`now()`),
      ),
    )
    .returning({ messageId: messages.id, conversationId: conversations.id, userId: conversations.userId });
}

/** The platform ids of the parts sent so far, so a retry resumes after them. */
export async function recordPartsSent(db: Database, messageId: string, channelMessageIds: string): Promise<void> {
  await db.update(messages).set({ channelMessageId: channelMessageIds }).where(eq(messages.id, messageId));
}

/** Prepared once per database: every reply sent runs it. */
const markDeliveredStatement = preparedPerDatabase((db) =>
  db
    .update(messages)
    .set({
      deliveryStatus: 'sent',
      deliveredAt: sql`now()`,
      channelMessageId: sql`${sql.placeholder('channelMessageIds')}`,
      deliveryError: null,
      sendingUntil: null,
    })
    .where(eq(messages.id, sql.placeholder('messageId')))
    .returning({
      // Qualified by hand: Drizzle writes a returned column without its table, which inside the
      // subquery would name the subquery's own row.
      more: sql<boolean>`exists (select 1 from ${messages} waiting
        where waiting.conversation_id = messages.conversation_id and waiting.id <> messages.id
          and waiting.delivery_status = 'pending' and waiting.sending_until is null)`,
    })
    .prepare('mark_delivered'),
);

/**
 * Marks a message delivered; answers, in the same statement, whether another message of its
 * conversation waits to go out unclaimed, so a sender going through them needs no further look.
 */
export async function markDelivered(db: Database, messageId: string, channelMessageIds: string): Promise<boolean> {
  const [row] = await markDeliveredStatement(db).execute({ messageId, channelMessageIds });
  return row?.more === true;
}

export async function markUndeliverable(db: Database, messageId: string, error: string): Promise<void> {
  await db
    .update(messages)
    .set({ deliveryStatus: 'failed', deliveryError: error, sendingUntil: null })
    .where(eq(messages.id, messageId));
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
