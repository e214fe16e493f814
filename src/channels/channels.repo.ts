import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { channels, users, type ChannelType, type ReplyHandler } from '../db/schema/index.js';

export type Channel = typeof channels.$inferSelect;
export type NewChannelRow = Omit<typeof channels.$inferInsert, 'createdAt'>;

/** A connected channel with what a delivery to it needs of its business. */
export interface ChannelWithOwner {
  channel: Channel;
  owner: { id: string; defaultReplyHandler: ReplyHandler; name: string };
}

const withOwner = {
  channel: channels,
  owner: { id: users.id, defaultReplyHandler: users.defaultReplyHandler, name: users.username },
};

/** A channel by Parley's id (in Telegram's webhook URL) or by the platform's account id (Meta names it). */
export async function findWithOwner(
  db: Database,
  type: ChannelType,
  key: { id: string } | { externalId: string },
): Promise<ChannelWithOwner | undefined> {
  const [row] = await db
    .select(withOwner)
    .from(channels)
    .innerJoin(users, eq(users.id, channels.userId))
    .where(
      and(eq(channels.type, type), 'id' in key ? eq(channels.id, key.id) : eq(channels.externalId, key.externalId)),
    )
    .limit(1);
  return row;
}

/** Undefined when the account is already connected (to this business or another). */
export async function insertChannel(db: Database, values: NewChannelRow): Promise<Channel | undefined> {
  const [created] = await db.insert(channels).values(values).onConflictDoNothing().returning();
  return created;
}

export async function listOwnChannels(db: Database, userId: string): Promise<Channel[]> {
  return db.select().from(channels).where(eq(channels.userId, userId)).orderBy(desc(channels.createdAt));
}

/** Another business's channel is as absent as a missing one. */
export async function findOwnChannel(db: Database, userId: string, channelId: string): Promise<Channel | undefined> {
  const [channel] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.id, channelId), eq(channels.userId, userId)))
    .limit(1);
  return channel;
}

export async function deleteChannelRow(db: Database, channelId: string): Promise<void> {
  await db.delete(channels).where(eq(channels.id, channelId));
}

/** Every channel's sealed credentials, for the start-up pass that re-seals old ones. */
export async function listSealedCredentials(db: Database): Promise<Pick<Channel, 'id' | 'credentials'>[]> {
  return db.select({ id: channels.id, credentials: channels.credentials }).from(channels).orderBy(channels.id);
}

/** Only while the row still holds `from`: a channel reconnected meanwhile keeps its new credentials. */
export async function replaceCredentials(db: Database, channelId: string, from: string, to: string): Promise<boolean> {
  const updated = await db
    .update(channels)
    .set({ credentials: to })
    .where(and(eq(channels.id, channelId), eq(channels.credentials, from)))
    .returning({ id: channels.id });
  return updated.length > 0;
}

/** A business's change to its own channel (a widget's settings, its rotated secret); undefined when not its own. */
export async function updateOwnChannel(
  db: Database,
  userId: string,
  channelId: string,
  values: Partial<Pick<Channel, 'settings' | 'credentials' | 'name'>>,
): Promise<Channel | undefined> {
  const [updated] = await db
    .update(channels)
    .set(values)
    .where(and(eq(channels.id, channelId), eq(channels.userId, userId)))
    .returning();
  return updated;
}
