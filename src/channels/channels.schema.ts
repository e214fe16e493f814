import { z } from 'zod';
import { pageOf } from '../kernel/pagination.js';
import { CHANNEL_TYPES } from '../db/schema/index.js';

const telegramBody = z.object({
  type: z.literal('telegram'),
  bot_token: z
    .string()
    .trim()
    .regex(/^\d{3,20}:[\w-]{20,100}$/, 'A bot token looks like 123456789:AAE… (from @BotFather).'),
});

const instagramBody = z.object({
  type: z.literal('instagram'),
  ig_user_id: z
    .string()
    .trim()
    .regex(/^\d{5,30}$/, 'The Instagram account id is a number.'),
  access_token: z.string().trim().min(20, 'This is not an access token.').max(1_000),
});

export const channelBody = z.discriminatedUnion('type', [telegramBody, instagramBody], {
  error: 'type must be "telegram" or "instagram".',
});

export const channelItem = z
  .object({
    id: z.string(),
    type: z.enum(CHANNEL_TYPES),
    name: z.string(),
    external_id: z.string(),
    webhook_url: z.string().describe('Where the platform delivers this channel’s messages.'),
    created_at: z.string(),
  })
  .meta({ id: 'Channel' });

export const channelList = pageOf(channelItem).meta({ id: 'ChannelList' });
export const channelParams = z.object({ channel_id: z.string().min(1).max(100) });
