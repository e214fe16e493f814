import { sql } from 'drizzle-orm';
import { boolean, check, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './auth.js';

export const CHANNEL_TYPES = ['telegram', 'instagram', 'website'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** A business's connected Telegram bot, Instagram account or website widget. */
export const channels = pgTable(
  'channels',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').$type<ChannelType>().notNull(),
    /** The bot's or account's own id (a widget's public id): a bot or account can serve only one business. */
    externalId: text('external_id').notNull(),
    /** The bot's @username or the account's name, for people. */
    name: text('name').notNull(),
    /** Bot token, access token or widget secret, sealed with APP_SECRET (src/kernel/secret-box.ts). */
    credentials: text('credentials').notNull(),
    /** SHA-256 of the secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token. */
    webhookSecretHash: text('webhook_secret_hash'),
    /** A website widget's settings (src/channels/website/website.settings.ts); null for other platforms. */
    settings: jsonb('settings').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('channels_external_key').on(table.type, table.externalId),
    index('channels_user_idx').on(table.userId),
    check('channels_type_check', sql`${table.type} in ('telegram', 'instagram', 'website')`),
  ],
);

/** A visitor of a website widget: one browser, known by a token it keeps (stored here hashed). */
export const widgetVisitors = pgTable(
  'widget_visitors',
  {
    id: text('id').primaryKey(),
    channelId: text('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    /** SHA-256 of the visitor token: a stolen database does not hand out visitors' conversations. */
    tokenHash: text('token_hash').notNull(),
    /** The conversation's customer id: the visitor's own id, or the site's verified user id. */
    customerId: text('customer_id').notNull(),
    name: text('name'),
    email: text('email'),
    verified: boolean('verified').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('widget_visitors_token_key').on(table.tokenHash),
    index('widget_visitors_channel_idx').on(table.channelId),
  ],
);
