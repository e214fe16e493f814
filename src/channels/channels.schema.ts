import { z } from 'zod';
import { pageOf } from '../kernel/pagination.js';
import { CHANNEL_TYPES, type ChannelType } from '../db/schema/index.js';
import type { ConnectBody } from './adapter.js';
import { CHANNEL_ADAPTERS } from './adapters.js';
import { widgetSettings } from './website/website.settings.js';

/** One branch per adapter: `{type: "telegram", bot_token}`, `{type: "instagram", ig_user_id, access_token}` … */
export const channelBody = z.discriminatedUnion(
  'type',
  CHANNEL_ADAPTERS.map((adapter) => adapter.connectBody) as [ConnectBody, ...ConnectBody[]],
  { error: `type must be ${CHANNEL_ADAPTERS.map((adapter) => `"${adapter.type}"`).join(' or ')}.` },
  // Built from a list, the union's type forgets the branches: each adapter checks its own fields.
) as unknown as z.ZodType<{ type: ChannelType; [field: string]: unknown }>;

export const channelItem = z
  .object({
    id: z.string(),
    type: z.enum(CHANNEL_TYPES),
    name: z.string(),
    external_id: z.string(),
    webhook_url: z.string().describe('Where the platform delivers this channel’s messages.'),
    needs_reconnection: z
      .boolean()
      .describe(
        'The stored credentials cannot be read, so nothing can be sent through this channel: delete it and connect it again.',
      ),
    created_at: z.string(),
    widget: z
      .object({
        public_id: z.string().describe('`wgt_…`: the widget’s id in the page (not a secret).'),
        snippet: z.string().describe('The `<script>` tag to paste into the site.'),
        settings: widgetSettings,
      })
      .nullable()
      .describe('A website widget’s id, snippet and settings; null for other platforms.'),
    widget_secret: z
      .string()
      .optional()
      .describe(
        'A new website widget’s secret (`wsec_…`), shown this once: the site’s server signs its users’ ids with it (verified identity).',
      ),
  })
  .meta({ id: 'Channel' });

export const channelList = pageOf(channelItem).meta({ id: 'ChannelList' });
export const channelParams = z.object({ channel_id: z.string().min(1).max(100) });

export const channelSetup = z
  .object({
    public_url: z.string().describe('Where this server says platforms reach it (PUBLIC_URL).'),
    public_url_set: z.boolean().describe('Whether PUBLIC_URL is set; otherwise it is this server’s own address.'),
    platforms: z.array(
      z.object({
        type: z.enum(CHANNEL_TYPES),
        ready: z.boolean().describe('Whether this server meets what the platform needs to deliver messages here.'),
        requirement: z.string().describe('What the platform needs, in a sentence.'),
        problem: z.string().nullable().describe('Why this server does not meet it now, and what to do.'),
        webhook_url: z.string().nullable().describe('An address to enter in the platform’s settings by hand, if any.'),
      }),
    ),
  })
  .meta({ id: 'ChannelSetup' });

export const channelHealth = z
  .object({
    channel_id: z.string(),
    checked_at: z.string(),
    problems: z
      .array(z.object({ code: z.string(), detail: z.string() }))
      .describe('What needs attention, each in a sentence; empty when all is well.'),
    needs_reconnection: z.boolean(),
    platform_reachable: z
      .boolean()
      .nullable()
      .describe('Whether the platform answered (asked with a 5 s timeout); null when it was not asked.'),
    webhook: z
      .object({
        url: z.string().describe('Where Telegram delivers the bot’s messages; empty when nowhere.'),
        points_here: z.boolean(),
        pending_update_count: z.number().int().describe('Messages Telegram holds, not yet delivered.'),
        last_error_at: z.string().nullable(),
        last_error_message: z.string().nullable(),
      })
      .nullable()
      .describe('Telegram’s `getWebhookInfo`; null for other platforms or when Telegram could not say.'),
    failed_deliveries: z
      .object({
        last_day: z.number().int().describe('Replies to customers that could not be delivered in the last 24 hours.'),
        last_at: z.string().nullable(),
        last_error: z.string().nullable(),
      })
      .describe('From Parley’s own delivery records.'),
  })
  .meta({ id: 'ChannelHealth' });

export const widgetSecret = z
  .object({ widget_secret: z.string().describe('The new secret (`wsec_…`), shown this once.') })
  .meta({ id: 'WidgetSecret' });
