import type { Config } from '../../kernel/config.js';
import type { Channel } from '../channels.repo.js';
import type { PlatformHealth, PlatformSetup } from '../adapter.js';
import { InstagramError, instagramAccountOf } from './instagram.client.js';

const HEALTH_TIMEOUT_MS = 5_000;

export function instagramWebhookUrl(config: Pick<Config, 'publicUrl'>): string {
  return `${config.publicUrl}/webhooks/instagram/`;
}

export function instagramSetup(config: Config): PlatformSetup {
  const missing = [
    config.meta.appSecret ? null : 'META_APP_SECRET',
    config.meta.verifyToken ? null : 'META_VERIFY_TOKEN',
  ].filter((name) => name !== null);
  return {
    requirement:
      'Meta delivers every Instagram account’s messages to one public HTTPS webhook: in your Meta app’s Instagram webhook settings, set the callback URL to the one shown here and the verify token to META_VERIFY_TOKEN, and subscribe to messages.',
    problem:
      missing.length === 0
        ? undefined
        : `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set on this server, so Meta’s deliveries would be refused: set ${missing.length === 1 ? 'it' : 'them'} and restart Parley.`,
    webhookUrl: instagramWebhookUrl(config),
  };
}

/** Whether Instagram still accepts the token, for this account: tokens expire (60 days unless refreshed). */
export async function instagramHealth(config: Config, channel: Channel, accessToken: string): Promise<PlatformHealth> {
  let userId: string | undefined;
  try {
    ({ userId } = await instagramAccountOf(config.meta.graphBase, accessToken, HEALTH_TIMEOUT_MS));
  } catch (error) {
    if (!(error instanceof InstagramError)) throw error;
    if (!error.permanent) {
      const detail = `${error.outage}, so how the account is doing is not known; check again in a moment.`;
      return { reachable: false, problems: [{ code: 'instagram_unreachable', detail }] };
    }
    const reason = error.message.replace(/\.$/, '');
    const detail = `Instagram no longer accepts the access token (${reason}); tokens expire unless refreshed. Disconnect the account and connect it again with a new token.`;
    return { reachable: true, problems: [{ code: 'invalid_access_token', detail }] };
  }
  if (userId === channel.externalId) return { reachable: true, problems: [] };
  const detail = `The stored access token now speaks for ${userId ? `Instagram account ${userId}` : 'no account'}, not ${channel.externalId}. Disconnect the account and connect it again.`;
  return { reachable: true, problems: [{ code: 'invalid_access_token', detail }] };
}
