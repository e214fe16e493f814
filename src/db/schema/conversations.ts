import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './auth.js';
import { channels } from './channels.js';

export const CONVERSATION_STATUSES = ['active', 'support_active'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export const CHANNELS = ['api', 'telegram', 'instagram', 'website'] as const;
export type Channel = (typeof CHANNELS)[number];

export const MESSAGE_TYPES = ['customer', 'AI', 'support', 'system'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    channel: text('channel').$type<Channel>().notNull(),
    /** The connected bot or account the customer writes to; null on the API channel. */
    channelId: text('channel_id').references(() => channels.id, { onDelete: 'set null' }),
    customerId: text('customer_id').notNull(),
    customerName: text('customer_name'),
    status: text('status').$type<ConversationStatus>().notNull(),
    /** The AI session's view: false once the cleanup job finds it idle. */
    isActive: boolean('is_active').notNull().default(true),
    /**
     * Bumped by every status change and takeover. An AI reply is stored only
     * if the version it was generated under is still current, so a reply that
     * finishes after a person took over is discarded.
     */
    ownershipVersion: integer('ownership_version').notNull().default(0),
    /**
     * With people only because the AI was unavailable when the conversation
     * began (no key, auto-response off) and no person has touched it since:
     * it goes back to the AI once the AI can answer (src/ai/handback.ts).
     */
    waitingForAi: boolean('waiting_for_ai').notNull().default(false),
    /**
     * The `seq` of the last customer message the AI has answered. A reply job
     * stores its answer only if it moves this forward, so a job that runs twice
     * (queues deliver at least once) cannot answer twice.
     */
    answeredThroughSeq: bigint('answered_through_seq', { mode: 'number' }).notNull().default(0),
    /** The business's read mark: customer messages with a `seq` above it are unread in the inbox. */
    readThroughSeq: bigint('read_through_seq', { mode: 'number' }).notNull().default(0),
    /**
     * The owner's own test from the dashboard's "Try it" panel: answered like a
     * customer's, counted in the AI usage (it uses the shared key), but left out
     * of the inbox, the sessions list and the chat statistics.
     */
    isTest: boolean('is_test').notNull().default(false),
    /** Kept with each insert so session lists need no count per row. */
    messageCount: integer('message_count').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('conversations_customer_key').on(table.userId, table.channel, table.customerId),
    index('conversations_user_activity_idx').on(table.userId, sql`${table.lastMessageAt} desc nulls last`),
    index('conversations_user_status_idx').on(table.userId, table.status),
    index('conversations_user_created_idx').on(table.userId, table.createdAt),
    // The inbox's sync finds a business's conversations changed since a moment.
    index('conversations_user_updated_idx').on(table.userId, table.updatedAt),
    // At most one test conversation per business: "start over" deletes it.
    uniqueIndex('conversations_test_key')
      .on(table.userId)
      .where(sql`${table.isTest}`),
    index('conversations_waiting_for_ai_idx')
      .on(table.userId)
      .where(sql`${table.waitingForAi}`),
    check('conversations_status_check', sql`${table.status} in ('active', 'support_active')`),
    check('conversations_channel_check', sql`${table.channel} in ('api', 'telegram', 'instagram', 'website')`),
  ],
);

export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    /** Insertion order; timestamps can tie inside one transaction. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    type: text('type').$type<MessageType>().notNull(),
    text: text('text').notNull(),
    /**
     * The channel's own id for this message. Telegram numbers messages per chat,
     * so uniqueness is per conversation (one chat of one channel), which is also
     * what makes a retried webhook delivery store nothing twice.
     */
    channelMessageId: text('channel_message_id'),
    responseTimeMs: integer('response_time_ms'),
    /** On an AI answer: how many customer messages it answered (more than one is a coalesced burst). */
    answeredCount: integer('answered_count'),
    /**
     * On a customer message the model never saw: why (`manual_handling`,
     * `outside_business_hours`, `quota_exceeded` …, the reply reasons of the
     * contract). Free text so a new reason is counted by the cost report
     * without a migration; null for messages the model saw or will see.
     */
    aiSkippedReason: text('ai_skipped_reason'),
    /** For messages to the customer on a channel: pending, sent or failed (with why). */
    deliveryStatus: text('delivery_status').$type<'pending' | 'sent' | 'failed'>(),
    deliveryError: text('delivery_error'),
    /**
     * Set while one process sends this pending message: no other may claim it until then.
     * Still set once past means the sender stopped mid-send, so the message may have gone
     * out: the sweep marks it failed for people to see rather than send it twice.
     */
    sendingUntil: timestamp('sending_until', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('messages_conversation_seq_idx').on(table.conversationId, table.seq),
    // The inbox's sync reads every message after a global `seq`, in order: a range scan here.
    index('messages_seq_idx').on(table.seq),
    // The channels screen counts each channel's failed deliveries of the last day; failures are few, so this stays small.
    index('messages_failed_idx')
      .on(table.createdAt)
      .where(sql`${table.deliveryStatus} = 'failed'`),
    // What is still to go out, by conversation: each reply checks that nothing older waits before
    // it, and the outbox sweep looks for what waits. Few at any time, however long the
    // conversations or however many the messages, which the other indexes would make them scan.
    index('messages_pending_idx')
      .on(table.conversationId, table.seq)
      .where(sql`${table.deliveryStatus} = 'pending'`),
    // The outbox sweep looks for claims their sender never finished; there are a handful at most.
    index('messages_sending_idx')
      .on(table.sendingUntil)
      .where(sql`${table.sendingUntil} is not null`),
    // The cost report counts model calls avoided over a period: only those messages are in it, so it stays small.
    index('messages_calls_avoided_idx')
      .on(table.createdAt)
      .where(sql`${table.aiSkippedReason} is not null or ${table.answeredCount} > 1`),
    // A customer's message is stored once however often the platform delivers it. Only theirs:
    // the ids a platform gives our own messages are kept for reference, and a clash with a
    // customer's (a platform numbering the two apart) must not stop a sent message being marked so.
    uniqueIndex('messages_channel_message_key')
      .on(table.conversationId, table.channelMessageId)
      .where(sql`${table.channelMessageId} is not null and ${table.type} = 'customer'`),
    check('messages_type_check', sql`${table.type} in ('customer', 'AI', 'support', 'system')`),
  ],
);

export const HANDOVER_SOURCES = ['ai', 'agent', 'system'] as const;
export type HandoverSource = (typeof HANDOVER_SOURCES)[number];

/** Every time a conversation went to people, and why: the AI's own reason, an agent's takeover, or a failure. */
export const handovers = pgTable(
  'handovers',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    source: text('source').$type<HandoverSource>().notNull(),
    reason: text('reason').notNull(),
    detail: text('detail'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('handovers_user_created_idx').on(table.userId, table.createdAt),
    index('handovers_conversation_idx').on(table.conversationId, table.createdAt),
    check('handovers_source_check', sql`${table.source} in ('ai', 'agent', 'system')`),
  ],
);
