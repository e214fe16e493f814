import type { Database } from '../db/client.js';
import { ConflictError, NotFoundError } from '../kernel/errors.js';
import type { Config } from '../kernel/config.js';
import { randomId } from '../kernel/ids.js';
import type { SecretBox } from '../kernel/secret-box.js';
import { CHANNEL_TYPES, type ChannelType } from '../db/schema/index.js';
import { failedDeliveriesSince } from '../conversations/outbox.repo.js';
import type { PlatformHealth } from './adapter.js';
import { adapterFor } from './adapters.js';
import * as repo from './channels.repo.js';
import type { Channel } from './channels.repo.js';
import { openCredentials, RECONNECT_DETAIL, sealCredentials } from './credentials.js';
import { forgetDeliveryChannel } from './delivery-channels.js';
import { widgetView } from './website/website.service.js';

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
    settings: account.settings ?? null,
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
    widget: widgetView(channel, config),
  };
}

/** What connecting each platform needs of this server, and whether it has it: shown before a token is pasted. */
export function channelSetup(config: Config) {
  return {
    public_url: config.publicUrl,
    public_url_set: config.publicUrlSet,
    platforms: CHANNEL_TYPES.map((type) => {
      const setup = adapterFor(type).setup(config);
      return {
        type,
        ready: !setup.problem,
        requirement: setup.requirement,
        problem: setup.problem ?? null,
        webhook_url: setup.webhookUrl ?? null,
      };
    }),
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How a channel is doing: what the platform says now (asked with a short timeout; a platform
 * that cannot be reached is a problem to show, not an error) and the replies that could not be
 * delivered in the last day.
 */
export async function channelHealth(deps: ChannelDeps, userId: string, channelId: string) {
  const channel = await repo.findOwnChannel(deps.db, userId, channelId);
  if (!channel) throw new NotFoundError('No such channel.');
  const checkedAt = new Date();
  const credentials = openCredentials(deps.secrets, channel);
  const adapter = adapterFor(channel.type);
  const [platform, failed] = await Promise.all([
    credentials !== undefined && adapter.health ? adapter.health(deps, channel, credentials) : undefined,
    failedDeliveriesSince(deps.db, channel.id, new Date(checkedAt.getTime() - DAY_MS)),
  ]);
  const problems: PlatformHealth['problems'] = [];
  if (credentials === undefined) problems.push({ code: 'needs_reconnection', detail: RECONNECT_DETAIL });
  problems.push(...(platform?.problems ?? []));
  if (failed.count > 0) {
    problems.push({
      code: 'deliveries_failed',
      detail: `${failed.count} repl${failed.count === 1 ? 'y' : 'ies'} could not be delivered in the last day; the latest: ${failed.last?.error ?? 'no reason recorded'}.`,
    });
  }
  const webhook = platform?.webhook;
  return {
    channel_id: channel.id,
    checked_at: checkedAt.toISOString(),
    problems,
    needs_reconnection: credentials === undefined,
    platform_reachable: platform ? platform.reachable : null,
    webhook: webhook
      ? {
          url: webhook.url,
          points_here: webhook.pointsHere,
          pending_update_count: webhook.pendingUpdates,
          last_error_at: webhook.lastErrorAt?.toISOString() ?? null,
          last_error_message: webhook.lastErrorMessage,
        }
      : null,
    failed_deliveries: {
      last_day: failed.count,
      last_at: failed.last?.at.toISOString() ?? null,
      last_error: failed.last?.error ?? null,
    },
  };
}
