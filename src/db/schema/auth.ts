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

/**
 * A person signed in to the dashboard (issue #13): the browser holds an opaque
 * value in the `parley_session` cookie and only its SHA-256 is stored here.
 * A session left unused past its `expires_at` (last use + PARLEY_DASHBOARD_IDLE_HOURS)
 * is refused, and the nightly cleanup deletes it.
 */
export const dashboardSessions = pgTable(
  'dashboard_sessions',
  {
    /** Public short id (`ds_…`): what logs, revocations and sockets name the session by. */
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 of the cookie's value, hex; the value itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Refreshed at most once a minute while the session is used. */
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    /** Last use plus the idle allowance; moved forward with `last_seen_at`. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    uniqueIndex('dashboard_sessions_token_hash_key').on(table.tokenHash),
    index('dashboard_sessions_user_id_idx').on(table.userId),
    index('dashboard_sessions_expires_at_idx').on(table.expiresAt),
  ],
);

/**
 * One-time sign-in links (`/sign-in#link=…`), such as the one `parley demo` prints: redeemed once,
 * within minutes or hours, for a dashboard session. Only the token's SHA-256 is stored.
 */
export const signInLinks = pgTable(
  'sign_in_links',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Set when redeemed: a link signs in once. */
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('sign_in_links_token_hash_key').on(table.tokenHash),
    index('sign_in_links_expires_at_idx').on(table.expiresAt),
  ],
);
