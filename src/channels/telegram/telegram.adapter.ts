import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DeliveryError } from '../../conversations/outbox.js';
import { BadRequestError, UpstreamError } from '../../kernel/errors.js';
import type { ChannelAdapter } from '../adapter.js';
import { splitText } from '../split.js';
import { ALLOWED_UPDATES, TelegramError, telegramClient } from './telegram.client.js';
import { telegramHealth, telegramSetup, telegramWebhookUrl as webhookUrl } from './telegram.health.js';
import { hashWebhookSecret, telegramWebhookRoutes } from './telegram.webhook.js';
import { unusableWebhookAddress } from './webhook-address.js';

const TELEGRAM_LIMIT = 4_096;
/** Waits Telegram asks for up to this long are waited out in the job; longer ones go back to the queue. */
const MAX_INLINE_WAIT_S = 30;

/** `POST /channels/` for this platform (the dashboard types its form with it). */
export const telegramConnectBody = z.object({
  type: z.literal('telegram'),
  bot_token: z
    .string()
    .trim()
    .regex(/^\d{3,20}:[\w-]{20,100}$/, 'A bot token looks like 123456789:AAE… (from @BotFather).'),
});

function deliveryError(error: unknown): unknown {
  if (!(error instanceof TelegramError)) return error;
  const detail = error.code === 0 ? error.outage : `Telegram ${error.code}: ${error.description}`;
  return new DeliveryError(detail, error.code === 400 || error.code === 403);
}

/** Telegram down, failing or busy while a request waits on it: a 502 the client may retry, never a 500. */
function unreachable(error: TelegramError, state: string): UpstreamError {
  return new UpstreamError(`${error.outage}. ${state}; try again in a moment.`, 'telegram_unreachable');
}

/** A Telegram bot: its token proves itself with getMe, and its webhook carries a secret Telegram echoes. */
export const telegramAdapter: ChannelAdapter<z.infer<typeof telegramConnectBody>> = {
  type: 'telegram',
  accountNoun: 'bot',
  connectBody: telegramConnectBody,

  preflight({ config }) {
    const unusable = unusableWebhookAddress(config);
    if (unusable) throw new BadRequestError(unusable, 'public_url_unusable');
  },

  async verify({ config }, { bot_token: botToken }) {
    let bot;
    try {
      bot = await telegramClient(config.telegramApiBase, botToken).getMe();
    } catch (error) {
      if (!(error instanceof TelegramError)) throw error;
      // Unreachable, failing (5xx) or busy (429): the token may be fine, so the client may try again.
      if (!error.refusal) throw unreachable(error, 'The bot token could not be checked and nothing was connected');
      throw new BadRequestError(`Telegram rejected the bot token: ${error.description}.`, 'invalid_bot_token');
    }
    const secret = randomBytes(32).toString('base64url');
    return {
      externalId: String(bot.id),
      name: bot.username ? `@${bot.username}` : bot.first_name,
      credentials: botToken,
      webhookSecret: secret,
      webhookSecretHash: hashWebhookSecret(secret),
    };
  },

  async activate({ config }, channel, account) {
    try {
      await telegramClient(config.telegramApiBase, account.credentials).setWebhook({
        url: webhookUrl(config, channel.id),
        secret_token: account.webhookSecret ?? '',
        allowed_updates: ALLOWED_UPDATES,
      });
    } catch (error) {
      if (!(error instanceof TelegramError)) throw error;
      if (!error.refusal) throw unreachable(error, 'The webhook could not be set and nothing was connected');
      throw new BadRequestError(`Telegram refused the webhook: ${error.description}.`, 'webhook_refused');
    }
  },

  async deactivate({ config }, _channel, botToken) {
    try {
      await telegramClient(config.telegramApiBase, botToken).deleteWebhook();
      return true;
    } catch (error) {
      if (!(error instanceof TelegramError)) throw error;
      // A revoked token cannot remove its webhook; Telegram stops delivering to a bot that is gone anyway.
      if (error.refusal) return false;
      // Gone now, the channel would leave Telegram delivering to Parley with nobody to tell it to stop.
      throw unreachable(error, 'The channel is still connected, so its webhook can be removed');
    }
  },

  webhookUrl: (config, channel) => webhookUrl(config, channel.id),
  webhooks: telegramWebhookRoutes,
  setup: telegramSetup,
  health: ({ config }, channel, botToken) => telegramHealth(config, channel, botToken),

  async send({ config }, delivery, botToken) {
    const telegram = telegramClient(config.telegramApiBase, botToken);
    const parts = splitText(delivery.message.text, TELEGRAM_LIMIT);
    try {
      for (const part of parts.slice(delivery.partsSent)) {
        for (let tries = 0; ; tries++) {
          try {
            const sent = await telegram.sendMessage({ chat_id: delivery.customerId, text: part });
            await delivery.partSent(String(sent.message_id), parts.length);
            break;
          } catch (error) {
            const wait = error instanceof TelegramError ? error.retryAfter : undefined;
            if (wait === undefined || wait > MAX_INLINE_WAIT_S || tries >= 2) throw error;
            await sleep(wait * 1000);
          }
        }
      }
    } catch (error) {
      throw deliveryError(error);
    }
  },

  async typing({ config }, _channel, customerId, botToken) {
    await telegramClient(config.telegramApiBase, botToken).sendChatAction({ chat_id: customerId, action: 'typing' });
  },
};
