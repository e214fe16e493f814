import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const REPLY_HANDLERS = ['AI', 'Manual'] as const;
export type ReplyHandler = (typeof REPLY_HANDLERS)[number];

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    email: text('email').notNull().default(''),
    /** Null for an account that signs in only with tokens. */
    passwordHash: text('password_hash'),
    isAdmin: boolean('is_admin').notNull().default(false),
    defaultReplyHandler: text('default_reply_handler').$type<ReplyHandler>().notNull().default('AI'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // Unique without regard to case, so "ALICE" and "alice" cannot both exist; the spelling given is kept.
    uniqueIndex('users_username_lower_key').on(sql`lower(${table.username})`),
    check('users_default_reply_handler_check', sql`${table.defaultReplyHandler} in ('AI', 'Manual')`),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Public lookup half of the token; the secret half is only ever stored hashed. */
    selector: text('selector').notNull(),
    /** SHA-256 of the whole token, hex. */
    tokenHash: text('token_hash').notNull(),
    name: text('name').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    /** Null: never expires (CLI tokens unless `--expires-in`). */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('api_tokens_selector_key').on(table.selector),
    index('api_tokens_user_id_idx').on(table.userId),
  ],
);
