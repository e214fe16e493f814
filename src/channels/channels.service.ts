import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { Config } from '../kernel/config.js';
import { BadRequestError, ConflictError, NotFoundError } from '../kernel/errors.js';
import { randomId } from '../kernel/ids.js';
import type { SecretBox } from '../kernel/secret-box.js';
import type { Database } from '../db/client.js';
import { perDatabaseCache } from '../db/cache.js';
import { channels, users, type ReplyHandler } from '../db/schema/index.js';
import { ALLOWED_UPDATES, TelegramError, telegramClient } from './telegram/telegram.client.js';

export type Channel = typeof channels.$inferSelect;

export interface ChannelDeps {
  db: Database;
  config: Config;
  secrets: SecretBox;
}

export type NewChannel =
  { type: 'telegram'; bot_token: string } | { type: 'instagram'; ig_user_id: string; access_token: string };

export function telegramWebhookUrl(config: Config, channelId: string): string {
  return `${config.publicUrl}/webhooks/telegram/${channelId}/`;
}

/** A connected channel with what a delivery to it needs of its business. */
export interface ChannelWithOwner {
  channel: Channel;
  owner: { id: string; defaultReplyHandler: ReplyHandler };
}

/**
 * Every webhook delivery looks its channel up, so found channels are kept a
 * few seconds. Disconnecting a channel, or changing its owner's default
 * handler, forgets them in this process; another process may take deliveries
 * for a channel disconnected in the last 5 s, which stores them as before.
 */
const deliveryChannels = perDatabaseCache<ChannelWithOwner>({ ttlMs: 5_000, maxEntries: 10_000 });

/** The channel a webhook delivery is for: a Telegram bot by channel id, an Instagram account by its id. */
export async function findDeliveryChannel(
  db: Database,
  type: 'telegram' | 'instagram',
  key: string,
): Promise<ChannelWithOwner | undefined> {
  const cacheKey = `${type}:${key}`;
  const cached = deliveryChannels.get(db, cacheKey);
  if (cached) return cached;
  const [row] = await db
    .select({ channel: channels, owner: { id: users.id, defaultReplyHandler: users.defaultReplyHandler } })
    .from(channels)
    .innerJoin(users, eq(users.id, channels.userId))
    .where(and(eq(channels.type, type), type === 'telegram' ? eq(channels.id, key) : eq(channels.externalId, key)))
    .limit(1);
  if (row) deliveryChannels.set(db, cacheKey, row);
  return row;
}

/** After a business changes something its channels' deliveries read. */
export function forgetDeliveryChannels(db: Database, userId: string): void {
  deliveryChannels.invalidateWhere(db, (cached) => cached.owner.id === userId);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

async function insertChannel(db: Database, values: Omit<typeof channels.$inferInsert, 'createdAt'>): Promise<Channel> {
  const [created] = await db.insert(channels).values(values).onConflictDoNothing().returning();
  if (!created) {
    throw new ConflictError(
      `This ${values.type === 'telegram' ? 'bot' : 'Instagram account'} is already connected to Parley.`,
      'channel_exists',
    );
  }
  return created;
}

/**
 * Connects a Telegram bot: the token is checked with getMe, and the bot's
 * webhook is pointed at Parley with a secret Telegram will echo on every
 * delivery. A token Telegram rejects is a 400 with Telegram's reason.
 */
async function connectTelegram(deps: ChannelDeps, userId: string, botToken: string): Promise<Channel> {
  const telegram = telegramClient(deps.config.telegramApiBase, botToken);
  let bot;
  try {
    bot = await telegram.getMe();
  } catch (error) {
    if (error instanceof TelegramError && error.code > 0) {
      throw new BadRequestError(`Telegram rejected the bot token: ${error.description}.`, 'invalid_bot_token');
    }
    throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  const channel = await insertChannel(deps.db, {
    id: randomId(12),
    userId,
    type: 'telegram',
    externalId: String(bot.id),
    name: bot.username ? `@${bot.username}` : bot.first_name,
    credentials: deps.secrets.seal(botToken),
    webhookSecretHash: hashSecret(secret),
  });
  try {
    await telegram.setWebhook({
      url: telegramWebhookUrl(deps.config, channel.id),
      secret_token: secret,
      allowed_updates: ALLOWED_UPDATES,
    });
  } catch (error) {
    await deps.db.delete(channels).where(eq(channels.id, channel.id));
    const reason = error instanceof TelegramError ? error.description : (error as Error).message;
    throw new BadRequestError(`Telegram refused the webhook: ${reason}.`, 'webhook_refused');
  }
  return channel;
}

export async function connectChannel(deps: ChannelDeps, userId: string, input: NewChannel): Promise<Channel> {
  if (input.type === 'telegram') return connectTelegram(deps, userId, input.bot_token);
  return insertChannel(deps.db, {
    id: randomId(12),
    userId,
    type: 'instagram',
    externalId: input.ig_user_id,
    name: `Instagram ${input.ig_user_id}`,
    credentials: deps.secrets.seal(input.access_token),
    webhookSecretHash: null,
  });
}

export async function listChannels(db: Database, userId: string): Promise<Channel[]> {
  return db.select().from(channels).where(eq(channels.userId, userId)).orderBy(desc(channels.createdAt));
}

/** Disconnects a channel; a Telegram bot's webhook is removed first when Telegram still accepts its token. */
export async function deleteChannel(
  deps: ChannelDeps,
  userId: string,
  channelId: string,
): Promise<{ webhookRemoved: boolean }> {
  const [channel] = await deps.db
    .select()
    .from(channels)
    .where(and(eq(channels.id, channelId), eq(channels.userId, userId)))
    .limit(1);
  if (!channel) throw new NotFoundError('No such channel.');
  let webhookRemoved = channel.type !== 'telegram';
  if (channel.type === 'telegram') {
    try {
      await telegramClient(deps.config.telegramApiBase, deps.secrets.open(channel.credentials)).deleteWebhook();
      webhookRemoved = true;
    } catch (error) {
      // A revoked token cannot remove its webhook; Telegram stops delivering to a bot that is gone anyway.
      if (!(error instanceof TelegramError)) throw error;
    }
  }
  await deps.db.delete(channels).where(eq(channels.id, channelId));
  deliveryChannels.invalidateWhere(deps.db, (cached) => cached.channel.id === channelId);
  return { webhookRemoved };
}

export function channelView(channel: Channel, config: Config) {
  return {
    id: channel.id,
    type: channel.type,
    name: channel.name,
    external_id: channel.externalId,
    webhook_url:
      channel.type === 'telegram' ? telegramWebhookUrl(config, channel.id) : `${config.publicUrl}/webhooks/instagram/`,
    created_at: channel.createdAt.toISOString(),
  };
}
