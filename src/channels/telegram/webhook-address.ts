import { BlockList, isIP } from 'node:net';
import type { Config } from '../../kernel/config.js';

/**
 * Telegram's own Bot API delivers webhooks only to public HTTPS addresses on
 * ports 443, 80, 88 or 8443 (core.telegram.org/bots/api#setwebhook). Asked
 * for anything else it refuses with a terse "bad webhook" or, worse, accepts
 * and then never delivers; so such a PUBLIC_URL is refused before Telegram is
 * asked, saying what to do. A self-hosted Bot API server (`telegram-bot-api
 * --local`, set with TELEGRAM_API_BASE) calls any address, so only the
 * official one is held to these rules.
 */
const OFFICIAL_API_HOST = 'api.telegram.org';
export const WEBHOOK_PORTS = [443, 80, 88, 8443] as const;

const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** Names only a local network resolves. */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|lan|home\.arpa)$/i;

export function usesOfficialBotApi(config: Pick<Config, 'telegramApiBase'>): boolean {
  try {
    return new URL(config.telegramApiBase).hostname.toLowerCase() === OFFICIAL_API_HOST;
  } catch {
    return false;
  }
}

/** What keeps Telegram from calling `publicUrl`, in a few words each; empty when it can. */
export function webhookAddressProblems(publicUrl: string): string[] {
  const url = new URL(publicUrl);
  const problems: string[] = [];
  if (url.protocol !== 'https:') problems.push('not https');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!(WEBHOOK_PORTS as readonly number[]).includes(port)) problems.push(`port ${port}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  if (family !== 0) {
    if (PRIVATE.check(host, family === 4 ? 'ipv4' : 'ipv6')) problems.push(`${host} is a private address`);
  } else if (LOCAL_NAME.test(host) || !host.includes('.')) {
    problems.push(`${host} is a local name`);
  }
  return problems;
}

/**
 * Why Telegram would not call this server's webhooks, as the sentence a
 * person needs; undefined when it would (or a self-hosted Bot API is used).
 */
export function unusableWebhookAddress(
  config: Pick<Config, 'telegramApiBase' | 'publicUrl' | 'publicUrlSet' | 'host' | 'port'>,
): string | undefined {
  if (!usesOfficialBotApi(config)) return undefined;
  const problems = webhookAddressProblems(config.publicUrl);
  if (problems.length === 0) return undefined;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const local = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  const rule = `Telegram only calls public HTTPS URLs on port ${WEBHOOK_PORTS.slice(0, -1).join(', ')} or ${WEBHOOK_PORTS.at(-1)}`;
  const now = config.publicUrlSet
    ? `PUBLIC_URL is ${config.publicUrl} (${problems.join(', ')})`
    : `PUBLIC_URL is not set, so Parley's address is ${config.publicUrl}`;
  return (
    `${rule}; ${now}. On a laptop, start a tunnel such as \`cloudflared tunnel --url ${local}\` and set PUBLIC_URL ` +
    'to the https URL it prints; on a server, set PUBLIC_URL to its public https address. Then connect the bot again.'
  );
}
