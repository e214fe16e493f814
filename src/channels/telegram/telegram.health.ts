import type { Config } from '../../kernel/config.js';
import type { Channel } from '../channels.repo.js';
import type { HealthProblem, PlatformHealth, PlatformSetup } from '../adapter.js';
import { TelegramError, telegramClient, type TelegramWebhookInfo } from './telegram.client.js';
import { unusableWebhookAddress, usesOfficialBotApi, WEBHOOK_PORTS } from './webhook-address.js';

/** A person waits on the channels screen for this check: better "unknown" soon than a spinner for long. */
export const HEALTH_TIMEOUT_MS = 5_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export function telegramWebhookUrl(config: Pick<Config, 'publicUrl'>, channelId: string): string {
  return `${config.publicUrl}/webhooks/telegram/${channelId}/`;
}

export function telegramSetup(config: Config): PlatformSetup {
  if (!usesOfficialBotApi(config)) {
    return {
      requirement: `Telegram messages come through the Bot API server at ${config.telegramApiBase} (TELEGRAM_API_BASE), which delivers them to PUBLIC_URL.`,
    };
  }
  const ports = `${WEBHOOK_PORTS.slice(0, -1).join(', ')} or ${WEBHOOK_PORTS.at(-1)}`;
  return {
    requirement: `Telegram delivers your customers’ messages only to a public HTTPS address on port ${ports}, so PUBLIC_URL must be one.`,
    problem: unusableWebhookAddress(config),
  };
}

/** What Telegram says of the bot's webhook: where it delivers, what waits, and its last failure. */
export async function telegramHealth(config: Config, channel: Channel, botToken: string): Promise<PlatformHealth> {
  let info: TelegramWebhookInfo;
  try {
    info = await telegramClient(config.telegramApiBase, botToken, { timeoutMs: HEALTH_TIMEOUT_MS }).getWebhookInfo();
  } catch (error) {
    if (!(error instanceof TelegramError)) throw error;
    if (error.refusal) {
      const detail = `Telegram no longer accepts this bot’s token (${error.description}): the bot was deleted or its token revoked in @BotFather. Disconnect it and connect it again with its new token.`;
      return { reachable: true, problems: [{ code: 'invalid_bot_token', detail }] };
    }
    const detail = `${error.outage}, so how the bot is doing is not known; check again in a moment.`;
    return { reachable: false, problems: [{ code: 'telegram_unreachable', detail }] };
  }
  const expected = telegramWebhookUrl(config, channel.id);
  const lastErrorAt = info.last_error_date ? new Date(info.last_error_date * 1000) : null;
  const pending = info.pending_update_count;
  const problems: HealthProblem[] = [];
  if (info.url === '') {
    problems.push({
      code: 'webhook_missing',
      detail:
        'Telegram delivers this bot’s messages nowhere: its webhook was removed (by another program using the token). Disconnect the bot and connect it again.',
    });
  } else if (info.url !== expected) {
    problems.push({
      code: 'webhook_elsewhere',
      detail: `Telegram delivers this bot’s messages to ${info.url}, not to this server (${expected}): another program set the bot’s webhook, or PUBLIC_URL changed. Disconnect the bot and connect it again.`,
    });
  }
  // Telegram keeps its last error after deliveries recover; waiting updates say they have not.
  if (lastErrorAt && pending > 0 && Date.now() - lastErrorAt.getTime() < DAY_MS) {
    problems.push({
      code: 'webhook_failing',
      detail: `Telegram could not deliver to Parley (“${info.last_error_message ?? 'no reason given'}”) and ${pending} update${pending === 1 ? '' : 's'} wait${pending === 1 ? 's' : ''}: check that PUBLIC_URL reaches this server.`,
    });
  }
  return {
    reachable: true,
    problems,
    webhook: {
      url: info.url,
      pointsHere: info.url === expected,
      pendingUpdates: pending,
      lastErrorAt,
      lastErrorMessage: info.last_error_message ?? null,
    },
  };
}
