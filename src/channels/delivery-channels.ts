import { perDatabaseCache } from '../db/cache.js';
import type { Database } from '../db/client.js';
import type { ChannelType } from '../db/schema/index.js';
import * as repo from './channels.repo.js';
import type { ChannelWithOwner } from './channels.repo.js';

/**
 * Every webhook delivery looks its channel up, so found channels are kept a
 * few seconds. Disconnecting a channel, or changing its owner's default
 * handler, forgets them in this process; another process may take deliveries
 * for a channel disconnected in the last 5 s, which stores them as before.
 */
const deliveryChannels = perDatabaseCache<ChannelWithOwner>({ ttlMs: 5_000, maxEntries: 10_000 });

async function cached(
  db: Database,
  key: string,
  load: () => Promise<ChannelWithOwner | undefined>,
): Promise<ChannelWithOwner | undefined> {
  const hit = deliveryChannels.get(db, key);
  if (hit) return hit;
  const row = await load();
  if (row) deliveryChannels.set(db, key, row);
  return row;
}

/** The channel a delivery addressed by Parley's channel id is for (Telegram's webhook URL carries it). */
export function findDeliveryChannelById(db: Database, type: ChannelType, channelId: string) {
  return cached(db, `${type}:id:${channelId}`, () => repo.findWithOwner(db, type, { id: channelId }));
}

/** The channel a delivery addressed to a platform account is for (Meta names the Instagram account). */
export function findDeliveryChannelByAccount(db: Database, type: ChannelType, externalId: string) {
  return cached(db, `${type}:account:${externalId}`, () => repo.findWithOwner(db, type, { externalId }));
}

/** After a business changes something its channels' deliveries read. */
export function forgetDeliveryChannels(db: Database, userId: string): void {
  deliveryChannels.invalidateWhere(db, (row) => row.owner.id === userId);
}

export function forgetDeliveryChannel(db: Database, channelId: string): void {
  deliveryChannels.invalidateWhere(db, (row) => row.channel.id === channelId);
}
