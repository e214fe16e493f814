import { z } from 'zod';
import { DeliveryError } from '../../conversations/outbox.js';
import type { ChannelAdapter } from '../adapter.js';
import { splitText, utf8Bytes } from '../split.js';
import { INSTAGRAM_LIMIT_BYTES, InstagramError, instagramClient, STANDARD_WINDOW_MS } from './instagram.client.js';
import { instagramWebhookRoutes } from './instagram.webhook.js';

const connectBody = z.object({
  type: z.literal('instagram'),
  ig_user_id: z
    .string()
    .trim()
    .regex(/^\d{5,30}$/, 'The Instagram account id is a number.'),
  access_token: z.string().trim().min(20, 'This is not an access token.').max(1_000),
});

/** An Instagram professional account: Meta delivers every account's messages to one signed webhook. */
export const instagramAdapter: ChannelAdapter<z.infer<typeof connectBody>> = {
  type: 'instagram',
  accountNoun: 'Instagram account',
  connectBody,

  async verify(_deps, input) {
    return { externalId: input.ig_user_id, name: `Instagram ${input.ig_user_id}`, credentials: input.access_token };
  },

  webhookUrl: (config) => `${config.publicUrl}/webhooks/instagram/`,
  webhooks: instagramWebhookRoutes,

  async send({ config }, delivery, accessToken) {
    const instagram = instagramClient(config.meta.graphBase, delivery.channel.externalId, accessToken);
    // Past a day since the customer wrote, only a person may answer, and says so with the HUMAN_AGENT tag.
    const lastCustomer = delivery.message.type === 'support' ? await delivery.lastCustomerMessageAt() : undefined;
    const humanAgent =
      delivery.message.type === 'support' &&
      (!lastCustomer || Date.now() - lastCustomer.getTime() > STANDARD_WINDOW_MS);
    const parts = splitText(delivery.message.text, INSTAGRAM_LIMIT_BYTES, utf8Bytes);
    try {
      for (const part of parts.slice(delivery.partsSent)) {
        const sent = await instagram.sendText(delivery.customerId, part, humanAgent);
        await delivery.partSent(sent.message_id, parts.length);
      }
    } catch (error) {
      if (!(error instanceof InstagramError)) throw error;
      throw new DeliveryError(`Instagram ${error.code}: ${error.message}`, error.permanent);
    }
  },
};
