// The channels screen's API shapes, from the server's zod schemas (type-only: nothing reaches the bundle).
import type { z } from 'zod';
import type { channelHealth, channelItem, channelSetup, widgetSecret } from '../../src/channels/channels.schema.js';
import type { instagramConnectBody } from '../../src/channels/instagram/instagram.adapter.js';
import type { telegramConnectBody } from '../../src/channels/telegram/telegram.adapter.js';
import type { websiteConnectBody } from '../../src/channels/website/website.adapter.js';
import type { widgetSettings, widgetSettingsPatch } from '../../src/channels/website/website.settings.js';

/** A connected channel, as `GET /api/v1/channels/` lists it. */
export type ConnectedChannel = z.infer<typeof channelItem>;
/** `GET /api/v1/channels/setup/` */
export type ChannelSetup = z.infer<typeof channelSetup>;
export type PlatformSetup = ChannelSetup['platforms'][number];
/** `GET /api/v1/channels/{id}/health/` */
export type ChannelHealth = z.infer<typeof channelHealth>;
export type TelegramConnect = z.input<typeof telegramConnectBody>;
export type InstagramConnect = z.input<typeof instagramConnectBody>;
/** A website widget's settings, as `widget.settings` carries them. */
export type WidgetSettings = z.infer<typeof widgetSettings>;
/** `POST /api/v1/channels/` for a website chat. */
export type WebsiteConnect = z.input<typeof websiteConnectBody>;
/** `PATCH /api/v1/channels/{id}/` */
export type WidgetSettingsPatch = z.input<typeof widgetSettingsPatch>;
/** `POST /api/v1/channels/{id}/secret/` */
export type WidgetSecret = z.infer<typeof widgetSecret>;
