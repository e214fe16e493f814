import type { Database } from '../db/client.js';
import { ConflictError, NotFoundError } from '../kernel/errors.js';
import type { Config } from '../kernel/config.js';
import { randomId } from '../kernel/ids.js';
import type { SecretBox } from '../kernel/secret-box.js';
import type { ChannelType } from '../db/schema/index.js';
import { adapterFor } from './adapters.js';
import * as repo from './channels.repo.js';
import type { Channel } from './channels.repo.js';
import { openCredentials, sealCredentials } from './credentials.js';
import { forgetDeliveryChannel } from './delivery-channels.js';

export interface ChannelDeps {
  db: Database;
  config: Config;
  secrets: SecretBox;
}

/**
 * Connects a platform account: the adapter checks Parley's own setup for it,
 * the platform vouches for the credentials, the channel is stored with them
 * sealed, and the platform is told to deliver here. If that last step fails,
 * nothing stays connected.
 */
export async function connectChannel(
  deps: ChannelDeps,
  userId: string,
  input: { type: ChannelType },
): Promise<Channel> {
  const adapter = adapterFor(input.type);
  adapter.preflight?.(deps);
  const account = await adapter.verify(deps, input);
  const id = randomId(12);
  const channel = await repo.insertChannel(deps.db, {
    id,
    userId,
    type: adapter.type,
    externalId: account.externalId,
    name: account.name,
    credentials: sealCredentials(deps.secrets, id, account.credentials),
    webhookSecretHash: account.webhookSecretHash ?? null,
  });
  if (!channel) {
    throw new ConflictError(`This ${adapter.accountNoun} is already connected to Parley.`, 'channel_exists');
  }
  try {
    await adapter.activate?.(deps, channel, account);
  } catch (error) {
    await repo.deleteChannelRow(deps.db, channel.id);
    throw error;
  }
  return channel;
}

export function listChannels(db: Database, userId: string): Promise<Channel[]> {
  return repo.listOwnChannels(db, userId);
}

/**
 * Disconnects a channel; the platform is told to stop delivering first, when
 * it still accepts the token. A channel whose token cannot be read can still
 * be disconnected: the platform is then not told.
 */
export async function deleteChannel(
  deps: ChannelDeps,
  userId: string,
  channelId: string,
): Promise<{ webhookRemoved: boolean }> {
  const channel = await repo.findOwnChannel(deps.db, userId, channelId);
  if (!channel) throw new NotFoundError('No such channel.');
  const adapter = adapterFor(channel.type);
  const credentials = openCredentials(deps.secrets, channel);
  let webhookRemoved = true;
  if (adapter.deactivate) {
    webhookRemoved = credentials === undefined ? false : await adapter.deactivate(deps, channel, credentials);
  }
  await repo.deleteChannelRow(deps.db, channelId);
  forgetDeliveryChannel(deps.db, channelId);
  return { webhookRemoved };
}

export function channelView(channel: Channel, { config, secrets }: Pick<ChannelDeps, 'config' | 'secrets'>) {
  return {
    id: channel.id,
    type: channel.type,
    name: channel.name,
    external_id: channel.externalId,
    webhook_url: adapterFor(channel.type).webhookUrl(config, channel),
    needs_reconnection: openCredentials(secrets, channel) === undefined,
    created_at: channel.createdAt.toISOString(),
  };
}
