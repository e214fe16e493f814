import type { Database } from '../db/client.js';
import { SealedSecretError, type SecretBox } from '../kernel/secret-box.js';
import * as repo from './channels.repo.js';
import type { Channel } from './channels.repo.js';

/**
 * A channel's token is sealed for its own row: copied into another channel's
 * row (by a database mistake or an attacker with write access), it does not
 * open, and that channel reads as needing to be reconnected.
 */
function credentialsPlace(channelId: string): string {
  return `channels/${channelId}/credentials`;
}

export function sealCredentials(secrets: SecretBox, channelId: string, plaintext: string): string {
  return secrets.seal(plaintext, credentialsPlace(channelId));
}

/**
 * Tokens already opened, per secret box, by channel and sealed value: a reply opens its channel's
 * token for "typing…" and again to send, and each opening (AES-GCM) cost about as much CPU as
 * the request it was for. Keeping them exposes nothing new: this process holds the key that
 * opens them all. A changed token is another sealed value, so it is opened afresh.
 */
const opened = new WeakMap<SecretBox, Map<string, string>>();
const OPENED_KEPT = 1_000;

/** The channel's token, or undefined when it cannot be opened here: the business must connect the channel again. */
export function openCredentials(secrets: SecretBox, channel: Pick<Channel, 'id' | 'credentials'>): string | undefined {
  const key = `${channel.id}\n${channel.credentials}`;
  let tokens = opened.get(secrets);
  const known = tokens?.get(key);
  if (known !== undefined) return known;
  try {
    const { plaintext } = secrets.open(channel.credentials, credentialsPlace(channel.id));
    if (!tokens) opened.set(secrets, (tokens = new Map<string, string>()));
    if (tokens.size >= OPENED_KEPT) tokens.clear();
    tokens.set(key, plaintext);
    return plaintext;
  } catch (error) {
    if (error instanceof SealedSecretError) return undefined;
    throw error;
  }
}

export const RECONNECT_DETAIL =
  'The channel’s stored credentials cannot be read (sealed for another channel, or under an APP_SECRET this server does not have): disconnect the channel and connect it again.';

export interface ResealReport {
  /** Channels whose credentials were sealed the old way or under APP_SECRET_PREVIOUS, now sealed for their row under APP_SECRET. */
  resealed: number;
  /** Channels whose credentials open under neither secret: they must be reconnected. */
  unreadable: string[];
}

/**
 * Run at start-up: every credential sealed before values were bound to their
 * row, or under APP_SECRET_PREVIOUS, is sealed again under APP_SECRET for its
 * row. Once it reports nothing resealed, APP_SECRET_PREVIOUS can go.
 * Several processes may run it at once: each write only replaces the value it read.
 */
export async function resealCredentials(db: Database, secrets: SecretBox): Promise<ResealReport> {
  const report: ResealReport = { resealed: 0, unreadable: [] };
  for (const channel of await repo.listSealedCredentials(db)) {
    let resealed: string | undefined;
    try {
      ({ resealed } = secrets.open(channel.credentials, credentialsPlace(channel.id)));
    } catch (error) {
      if (!(error instanceof SealedSecretError)) throw error;
      report.unreadable.push(channel.id);
      continue;
    }
    if (resealed && (await repo.replaceCredentials(db, channel.id, channel.credentials, resealed))) {
      report.resealed += 1;
    }
  }
  return report;
}
