import { z } from 'zod';
import { DeliveryError } from '../../conversations/outbox.js';
import { BadRequestError, UpstreamError } from '../../kernel/errors.js';
import type { ChannelAdapter } from '../adapter.js';
import { splitText, utf8Bytes } from '../split.js';
import {
  INSTAGRAM_LIMIT_BYTES,
  InstagramError,
  instagramAccountOf,
  instagramClient,
  STANDARD_WINDOW_MS,
  type InstagramAccount,
} from './instagram.client.js';
import { instagramHealth, instagramSetup, instagramWebhookUrl } from './instagram.health.js';
import { instagramWebhookRoutes } from './instagram.webhook.js';

/** `POST /channels/` for this platform (the dashboard types its form with it). */
export const instagramConnectBody = z.object({
  type: z.literal('instagram'),
  ig_user_id: z
    .string()
    .trim()
    .regex(/^\d{5,30}$/, 'The Instagram account id is a number.'),
  access_token: z.string().trim().min(20, 'This is not an access token.').max(1_000),
});

/** Asks Instagram who the token belongs to; a token it refuses is the client's mistake, an outage is not. */
async function accountOf(graphBase: string, accessToken: string): Promise<InstagramAccount> {
  try {
    return await instagramAccountOf(graphBase, accessToken);
  } catch (error) {
    if (!(error instanceof InstagramError)) throw error;
    if (error.permanent) {
      throw new BadRequestError(
        `Instagram rejected the access token: ${error.message.replace(/\.?$/, '.')}`,
        'invalid_access_token',
      );
    }
    throw new UpstreamError(
      `${error.outage}. The access token could not be checked and nothing was connected; try again in a moment.`,
      'instagram_unreachable',
    );
  }
}

/** An Instagram professional account: Meta delivers every account's messages to one signed webhook. */
export const instagramAdapter: ChannelAdapter<z.infer<typeof instagramConnectBody>> = {
  type: 'instagram',
  accountNoun: 'Instagram account',
  connectBody: instagramConnectBody,

  // Only the token proves whose account it is: without this check anyone could claim an account id and
  // receive its customers' messages, as Meta's webhook names accounts by that id alone.
  async verify({ config }, input) {
    const account = await accountOf(config.meta.graphBase, input.access_token);
    if (account.userId !== input.ig_user_id) {
      throw new BadRequestError(
        account.userId
          ? `This access token belongs to Instagram account ${account.userId}, not ${input.ig_user_id}.`
          : 'Instagram did not say which account this access token belongs to.',
        'invalid_access_token',
      );
    }
    return {
      externalId: input.ig_user_id,
      name: account.username ? `@${account.username}` : `Instagram ${input.ig_user_id}`,
      credentials: input.access_token,
    };
  },

  webhookUrl: (config) => instagramWebhookUrl(config),
  webhooks: instagramWebhookRoutes,
  setup: instagramSetup,
  health: ({ config }, channel, accessToken) => instagramHealth(config, channel, accessToken),

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
      const detail = error.status === 0 ? error.outage : `Instagram ${error.code}: ${error.message}`;
      throw new DeliveryError(detail, error.permanent);
    }
  },
};
