import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './auth.js';
import { conversations } from './conversations.js';

export const USAGE_OUTCOMES = ['success', 'blocked', 'empty', 'error', 'discarded'] as const;
export type UsageOutcome = (typeof USAGE_OUTCOMES)[number];

/** One row per model call (retries included), failed calls too: what each business used of the shared key. */
export const usageRecords = pgTable(
  'usage_records',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    conversationId: text('conversation_id').references(() => conversations.id, { onDelete: 'set null' }),
    /**
     * The AI answer this call wrote, when it was stored: a reply's cost is its
     * call's. Written in the answer's own statement; no foreign key, because
     * the message is inserted by the same statement and may later be deleted
     * with its conversation (the usage row stays, as the key's use happened).
     */
    messageId: text('message_id'),
    model: text('model').notNull(),
    outcome: text('outcome').$type<UsageOutcome>().notNull(),
    /** For failures: timeout, rate_limited, server_error …; for blocks: the block reason. */
    errorClass: text('error_class'),
    attempts: integer('attempts').notNull().default(1),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    thoughtTokens: integer('thought_tokens').notNull().default(0),
    totalTokens: integer('total_tokens').notNull().default(0),
    /** The part of prompt_tokens Gemini served from its prompt cache. */
    cachedTokens: integer('cached_tokens').notNull().default(0),
    latencyMs: integer('latency_ms').notNull(),
    /** Null when the model has no price in PARLEY_MODEL_PRICES: unknown, never guessed. */
    estimatedCostUsd: doublePrecision('estimated_cost_usd'),
    /** What the cached tokens would have cost at the input rate minus what they cost; null when unpriced. */
    cacheSavingUsd: doublePrecision('cache_saving_usd'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('usage_records_user_created_idx').on(table.userId, table.createdAt),
    index('usage_records_created_idx').on(table.createdAt),
    check(
      'usage_records_outcome_check',
      sql`${table.outcome} in ('success', 'blocked', 'empty', 'error', 'discarded')`,
    ),
  ],
);
