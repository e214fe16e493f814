import { sql } from 'drizzle-orm';
import { boolean, check, doublePrecision, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './auth.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The stored shape of a business's opening hours (validated by ai/business-hours.ts). */
export interface BusinessHours {
  timezone: string;
  /** Per day, `[open, close]` ranges in local HH:MM. */
  schedule: Partial<Record<Weekday, [string, string][]>>;
}

export const aiConfigs = pgTable(
  'ai_configs',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    modelName: text('model_name').notNull(),
    temperature: doublePrecision('temperature').notNull().default(0.7),
    maxTokens: integer('max_tokens').notNull().default(1024),
    /** Tokens the model may think before answering; null: Parley's default for the model. */
    thinkingBudget: integer('thinking_budget'),
    autoResponseEnabled: boolean('auto_response_enabled').notNull().default(false),
    businessHoursEnabled: boolean('business_hours_enabled').notNull().default(false),
    businessHours: jsonb('business_hours').$type<BusinessHours>(),
    awayMessage: text('away_message'),
    /** How long to wait for a customer's burst of messages to end before answering them together. */
    replyDebounceMs: integer('reply_debounce_ms').notNull().default(2000),
    /** Sent to the customer when the AI hands the conversation to people. */
    handoverMessage: text('handover_message'),
    /** Said once to a customer whose AI replies this hour reached PARLEY_CUSTOMER_REPLIES_PER_HOUR. */
    customerLimitMessage: text('customer_limit_message'),
    /**
     * Set by the operator (`parley ai_control suspend`): the AI stays off whatever the business
     * sets, its own switch untouched, so resuming restores exactly what it had.
     */
    suspendedAt: timestamp('suspended_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('ai_configs_temperature_check', sql`${table.temperature} >= 0 and ${table.temperature} <= 1`),
    check('ai_configs_max_tokens_check', sql`${table.maxTokens} between 1 and 8192`),
    check('ai_configs_thinking_budget_check', sql`${table.thinkingBudget} between 0 and 32768`),
  ],
);

export const aiPrompts = pgTable('ai_prompts', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  manualPrompt: text('manual_prompt').notNull().default(''),
  knowledgeSource: text('knowledge_source').notNull().default(''),
  productService: text('product_service').notNull().default(''),
  questionAnswer: text('question_answer').notNull().default(''),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
