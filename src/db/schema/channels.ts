import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './auth.js';

export const CHANNEL_TYPES = ['telegram', 'instagram'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** A business's connected Telegram bot or Instagram account. */
export const channels = pgTable(
  'channels',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').$type<ChannelType>().notNull(),
    /** The bot's or account's own id: a bot or account can serve only one business. */
    externalId: text('external_id').notNull(),
    /** The bot's @username or the account's name, for people. */
    name: text('name').notNull(),
    /** Bot token or access token, sealed with APP_SECRET (src/kernel/secret-box.ts). */
    credentials: text('credentials').notNull(),
    /** SHA-256 of the secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token. */
    webhookSecretHash: text('webhook_secret_hash'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('channels_external_key').on(table.type, table.externalId),
    index('channels_user_idx').on(table.userId),
    check('channels_type_check', sql`${table.type} in ('telegram', 'instagram')`),
  ],
);
