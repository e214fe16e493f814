import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  doublePrecision,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { users } from './auth.js';

/**
 * One business's day, aggregated by the nightly analytics job (01:00 in
 * PARLEY_TIMEZONE) so reports over many days read a few rows, not every
 * message. Days are calendar days in PARLEY_TIMEZONE. Recomputing a day
 * replaces its row, so the job is idempotent.
 */
export const dailyAnalytics = pgTable(
  'daily_analytics',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    /** Conversations started that day. */
    conversations: integer('conversations').notNull().default(0),
    customerMessages: integer('customer_messages').notNull().default(0),
    aiMessages: integer('ai_messages').notNull().default(0),
    supportMessages: integer('support_messages').notNull().default(0),
    systemMessages: integer('system_messages').notNull().default(0),
    /** Customer messages the AI answered (a coalesced burst answers several with one reply). */
    aiAnsweredMessages: integer('ai_answered_messages').notNull().default(0),
    /** AI replies that answered more than one customer message. */
    coalescedBursts: integer('coalesced_bursts').notNull().default(0),
    /** AI replies generated but thrown away because a person took over first. */
    discardedReplies: integer('discarded_replies').notNull().default(0),
    /** Every AI answer's response time that day, so a period's exact p95 can be computed from daily rows. */
    responseTimesMs: integer('response_times_ms')
      .array()
      .notNull()
      .default(sql`'{}'::integer[]`),
    handovers: integer('handovers').notNull().default(0),
    handoversByReason: jsonb('handovers_by_reason').$type<Record<string, number>>().notNull().default({}),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.day] })],
);

/**
 * The operator's cap on one business's use of the shared key: 0 means no cap,
 * null that the operator's default (PARLEY_DEFAULT_DAILY_TOKENS / _MONTHLY_) applies;
 * and its weight in the turns businesses take when the key's per-minute budget is contended.
 */
export const usageQuotas = pgTable(
  'usage_quotas',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    dailyTokens: bigint('daily_tokens', { mode: 'number' }),
    monthlyTokens: bigint('monthly_tokens', { mode: 'number' }),
    weight: doublePrecision('weight').notNull().default(1),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('usage_quotas_daily_check', sql`${table.dailyTokens} >= 0`),
    check('usage_quotas_monthly_check', sql`${table.monthlyTokens} >= 0`),
    check('usage_quotas_weight_check', sql`${table.weight} between 0.1 and 100`),
  ],
);
