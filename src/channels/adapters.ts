import { DeliveryError, type ChannelCourier } from '../conversations/outbox.js';
import type { ChannelType } from '../db/schema/index.js';
import type { SecretBox } from '../kernel/secret-box.js';
import type { AdapterDeps, ChannelAdapter } from './adapter.js';
import type { Channel } from './channels.repo.js';
import { openCredentials, RECONNECT_DETAIL } from './credentials.js';
import { instagramAdapter } from './instagram/instagram.adapter.js';
import { telegramAdapter } from './telegram/telegram.adapter.js';
import { websiteAdapter } from './website/website.adapter.js';

/** Every platform Parley speaks. Adding one is a folder beside these and a line here. */
export const CHANNEL_ADAPTERS: readonly ChannelAdapter[] = [telegramAdapter, instagramAdapter, websiteAdapter];

export function adapterFor(type: ChannelType): ChannelAdapter {
  const adapter = CHANNEL_ADAPTERS.find((candidate) => candidate.type === type);
  if (!adapter) throw new Error(`no channel adapter for ${type}`);
  return adapter;
}

export interface ChannelRuntimeDeps extends AdapterDeps {
  secrets: SecretBox;
}

/** The outbox's courier: each message goes out through its channel's adapter. */
export function channelCourier(deps: ChannelRuntimeDeps): ChannelCourier {
  return {
    send: async (delivery) => {
      const credentials = openCredentials(deps.secrets, delivery.channel);
      // Sending again cannot help: the message is marked failed with what to do.
      if (credentials === undefined) throw new DeliveryError(RECONNECT_DETAIL, true);
      await adapterFor(delivery.channel.type).send(deps, delivery, credentials);
    },
  };
}

/**
 * "typing…" goes out only once the answer has kept the customer waiting this long: the Bot API
 * recommends it only when a response takes a noticeable time, and an answer already there needs
 * none (nor the call it costs).
 */
export const TYPING_AFTER_MS = 500;
/** Telegram shows it for 5 s at most: sent again while the model is still at work. */
export const TYPING_EVERY_MS = 4_000;

/**
 * Shows "typing…" to a channel's customer where the platform can, from `TYPING_AFTER_MS` until
 * the function it returns is called. It is a courtesy, so a failure is ignored and nobody waits
 * for it.
 */
export function typingIndicator(deps: ChannelRuntimeDeps): (channel: Channel, customerId: string) => () => void {
  return (channel, customerId) => {
    const show = () => {
      try {
        const adapter = adapterFor(channel.type);
        if (!adapter.typing) return false;
        const credentials = openCredentials(deps.secrets, channel);
        if (credentials === undefined) return false;
        void adapter.typing(deps, channel, customerId, credentials).catch(() => undefined);
        return true;
      } catch {
        // A courtesy: what stops it here (credentials that do not open) is reported when the answer is sent.
        return false;
      }
    };
    let again: NodeJS.Timeout | undefined;
    const first = setTimeout(() => {
      if (show()) again = setInterval(show, TYPING_EVERY_MS).unref();
    }, TYPING_AFTER_MS).unref();
    return () => {
      clearTimeout(first);
      clearInterval(again);
    };
  };
}
