import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../kernel/config.js';
import type { ChannelAdapter } from '../adapter.js';
import type { Channel } from '../channels.repo.js';
import { WIDGET_DEFAULTS, widgetSettingsInput } from './website.settings.js';

/** `POST /channels/` for a website widget: its allowed origins and any setting to differ from the defaults. */
export const websiteConnectBody = widgetSettingsInput.extend({ type: z.literal('website') });

/** `wgt_` + 20 url-safe characters: in the page, so not a secret, but not guessable from another widget's. */
export function newPublicId(): string {
  return `wgt_${randomBytes(15).toString('base64url')}`;
}

/** `wsec_` + 32 url-safe characters: the key sites sign their users' ids with. */
export function newWidgetSecret(): string {
  return `wsec_${randomBytes(24).toString('base64url')}`;
}

export function widgetApiUrl(config: Pick<Config, 'publicUrl'>, publicId: string): string {
  return `${config.publicUrl.replace(/\/$/, '')}/api/v1/widget/${publicId}/`;
}

/** What the business pastes into its site. */
export function widgetSnippet(config: Pick<Config, 'publicUrl'>, publicId: string): string {
  const src = `${config.publicUrl.replace(/\/$/, '')}/widget.js`;
  return `<script async src="${src}" data-parley-widget="${publicId}"></script>`;
}

/**
 * A website widget: Parley itself is the platform. Visitors talk to the public
 * widget API and socket (src/channels/website/widget.routes.ts); nothing is
 * asked of anyone to connect one, and an answer "sent" to a visitor is one
 * already stored and announced on the event bus, which the visitor's sockets
 * on any process hear, or which the widget fetches when it next opens.
 */
export const websiteAdapter: ChannelAdapter<z.infer<typeof websiteConnectBody>> = {
  type: 'website',
  accountNoun: 'website widget',
  connectBody: websiteConnectBody,

  async verify(_deps, { type: _type, ...input }) {
    const settings = { ...WIDGET_DEFAULTS, ...input };
    const [first] = settings.allowed_origins;
    return {
      externalId: newPublicId(),
      name: first ? new URL(first).host : 'website',
      credentials: newWidgetSecret(),
      settings,
    };
  },

  webhookUrl: (config: Config, channel: Channel) => widgetApiUrl(config, channel.externalId),
  // The widget's public API needs more than a webhook's dependencies: the app installs it itself.
  webhooks: async () => {},
  setup: (config) => ({
    requirement:
      'Visitors’ browsers load the widget and talk to Parley at PUBLIC_URL: it must be the address they reach this server at, over https for sites on https.',
    problem: config.publicUrlSet
      ? undefined
      : 'PUBLIC_URL is not set, so the snippet points at this server’s own address, which visitors’ browsers may not reach: set PUBLIC_URL.',
  }),

  async send(_deps, delivery) {
    // Stored, and announced to the visitor's sockets when it was: nothing can fail for a visitor who is away.
    await delivery.partSent(delivery.message.id, 1);
  },
};
