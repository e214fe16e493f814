import { BadRequestError, NotFoundError } from '../../kernel/errors.js';
import type { Config } from '../../kernel/config.js';
import * as repo from '../channels.repo.js';
import type { Channel } from '../channels.repo.js';
import type { Database } from '../../db/client.js';
import type { SecretBox } from '../../kernel/secret-box.js';
import { openCredentials, sealCredentials } from '../credentials.js';
import { forgetDeliveryChannel } from '../delivery-channels.js';
import { newWidgetSecret, widgetSnippet } from './website.adapter.js';
import { readWidgetSettings, type WidgetSettings } from './website.settings.js';

interface ChannelDeps {
  db: Database;
  secrets: SecretBox;
}

/** What the channels list shows of a widget: never its secret. */
export function widgetView(channel: Channel, config: Pick<Config, 'publicUrl'>) {
  if (channel.type !== 'website') return null;
  return {
    public_id: channel.externalId,
    snippet: widgetSnippet(config, channel.externalId),
    settings: readWidgetSettings(channel.settings),
  };
}

async function ownWidget(deps: ChannelDeps, userId: string, channelId: string): Promise<Channel> {
  const channel = await repo.findOwnChannel(deps.db, userId, channelId);
  if (!channel) throw new NotFoundError('No such channel.');
  if (channel.type !== 'website') {
    throw new BadRequestError('Only a website widget has settings to change here.', 'not_a_website_channel');
  }
  return channel;
}

/** Changes the settings given, keeps the others; the change reaches this process's widgets at once, others' within 5 s. */
export async function updateWidgetSettings(
  deps: ChannelDeps,
  userId: string,
  channelId: string,
  patch: Partial<WidgetSettings>,
): Promise<Channel> {
  const channel = await ownWidget(deps, userId, channelId);
  const settings = { ...readWidgetSettings(channel.settings), ...patch };
  const [first] = settings.allowed_origins;
  const updated = await repo.updateOwnChannel(deps.db, userId, channelId, {
    settings,
    ...(first ? { name: new URL(first).host } : {}),
  });
  if (!updated) throw new NotFoundError('No such channel.');
  forgetDeliveryChannel(deps.db, channelId);
  return updated;
}

/** A new widget secret, returned this once: user hashes made with the old one fail from now on. */
export async function rotateWidgetSecret(deps: ChannelDeps, userId: string, channelId: string): Promise<string> {
  await ownWidget(deps, userId, channelId);
  const secret = newWidgetSecret();
  const updated = await repo.updateOwnChannel(deps.db, userId, channelId, {
    credentials: sealCredentials(deps.secrets, channelId, secret),
  });
  if (!updated) throw new NotFoundError('No such channel.');
  forgetDeliveryChannel(deps.db, channelId);
  return secret;
}

/** The secret shown once, right after the widget is created. */
export function createdWidgetSecret(deps: Pick<ChannelDeps, 'secrets'>, channel: Channel): string | undefined {
  return channel.type === 'website' ? openCredentials(deps.secrets, channel) : undefined;
}
