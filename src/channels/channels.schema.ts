import { z } from 'zod';
import { pageOf } from '../kernel/pagination.js';
import { CHANNEL_TYPES, type ChannelType } from '../db/schema/index.js';
import type { ConnectBody } from './adapter.js';
import { CHANNEL_ADAPTERS } from './adapters.js';

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
  })
  .meta({ id: 'Channel' });

export const channelList = pageOf(channelItem).meta({ id: 'ChannelList' });
export const channelParams = z.object({ channel_id: z.string().min(1).max(100) });
