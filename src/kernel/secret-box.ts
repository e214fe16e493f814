import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Credentials at rest (bot tokens, access tokens): AES-256-GCM under a key
 * derived from APP_SECRET, stored as `v2.<iv>.<tag>.<ciphertext>` (base64url).
 *
 * A v2 value is sealed for one place (say `channels/abc123/credentials`),
 * which goes in as associated data: copied into another row, it no longer
 * opens. `v1` values, sealed before places existed, still open anywhere, and
 * so do values sealed under APP_SECRET_PREVIOUS; both come back with a
 * `resealed` value for the caller to store instead.
 */
const CURRENT = 'v2';
const LEGACY = 'v1';
const IV_BYTES = 12;
// GCM accepts tags as short as 4 bytes unless told otherwise, and a short tag is easy to forge.
const TAG_BYTES = 16;

export interface Opened {
  plaintext: string;
  /** Set when the stored value was sealed the old way or under the previous secret: store this instead. */
  resealed?: string;
}

export interface SecretBox {
  /** `place` names where the value will be stored; it opens only there. */
  seal(plaintext: string, place: string): string;
  /** Throws `SealedSecretError` when the value cannot be opened here. */
  open(sealed: string, place: string): Opened;
}

/** A sealed value that is damaged, sealed for another place, or sealed under a secret this process lacks. */
export class SealedSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedSecretError';
  }
}

function deriveKey(appSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', appSecret, 'parley', 'channel-credentials', 32));
}

/** `previousSecret` is APP_SECRET_PREVIOUS: accepted for opening while values are re-sealed under the new one. */
export function secretBox(appSecret: string, previousSecret?: string): SecretBox {
  const key = deriveKey(appSecret);
  const keys = previousSecret ? [key, deriveKey(previousSecret)] : [key];

  function seal(plaintext: string, place: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(place, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [CURRENT, ...[iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'))].join('.');
  }

  return {
    seal,
    open(sealed, place) {
      const [version, ivText, tagText, bodyText, extra] = sealed.split('.');
      if ((version !== CURRENT && version !== LEGACY) || !ivText || !tagText || bodyText === undefined || extra) {
        throw new SealedSecretError('not a sealed secret');
      }
      const iv = Buffer.from(ivText, 'base64url');
      const tag = Buffer.from(tagText, 'base64url');
      if (iv.length !== IV_BYTES) throw new SealedSecretError('not a sealed secret: the IV is not 12 bytes');
      if (tag.length !== TAG_BYTES) {
        throw new SealedSecretError('not a sealed secret: the authentication tag is not 16 bytes');
      }
      const body = Buffer.from(bodyText, 'base64url');
      for (const [index, candidate] of keys.entries()) {
        const plaintext = decrypt(candidate, iv, tag, body, version === CURRENT ? place : undefined);
        if (plaintext === undefined) continue;
        const stale = version !== CURRENT || index > 0;
        return stale ? { plaintext, resealed: seal(plaintext, place) } : { plaintext };
      }
      throw new SealedSecretError(
        'the sealed secret does not open here: it was sealed for another place or under another APP_SECRET',
      );
    },
  };
}

function decrypt(key: Buffer, iv: Buffer, tag: Buffer, body: Buffer, place: string | undefined): string | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  if (place !== undefined) decipher.setAAD(Buffer.from(place, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
