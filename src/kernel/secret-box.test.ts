import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SealedSecretError, secretBox } from './secret-box.js';

const SECRET = 'x'.repeat(64);
const PLACE = 'channels/abc123/credentials';

/** How values were sealed before places existed (format v1, no associated data). */
function sealTheOldWay(appSecret: string, plaintext: string): string {
  const key = Buffer.from(hkdfSync('sha256', appSecret, 'parley', 'channel-credentials', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), body]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

describe('secretBox', () => {
  const box = secretBox(SECRET);

  it('opens what it sealed, in the same place, and never shows the plaintext', () => {
    const sealed = box.seal('123456:ABC-bot-token', PLACE);
    expect(sealed).toMatch(/^v2\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('ABC-bot-token');
    expect(box.open(sealed, PLACE)).toEqual({ plaintext: '123456:ABC-bot-token' });
    expect(box.seal('same', PLACE)).not.toBe(box.seal('same', PLACE));
  });

  it('refuses a value moved to another place', () => {
    const sealed = box.seal('token', PLACE);
    expect(() => box.open(sealed, 'channels/other1/credentials')).toThrow(SealedSecretError);
    expect(() => box.open(sealed, 'channels/other1/credentials')).toThrow('sealed for another place');
    expect(box.open(sealed, PLACE).plaintext).toBe('token');
  });

  it('refuses tampered text, another secret’s key and garbage', () => {
    const sealed = box.seal('token', PLACE);
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.'), PLACE)).toThrow(
      SealedSecretError,
    );
    expect(() => secretBox('y'.repeat(64)).open(sealed, PLACE)).toThrow(SealedSecretError);
    expect(() => box.open('garbage', PLACE)).toThrow('not a sealed secret');
    expect(() => box.open(`${sealed}.more`, PLACE)).toThrow('not a sealed secret');
  });

  it('refuses a truncated authentication tag, even one that would match', () => {
    const sealed = box.seal('token', PLACE);
    const [version, iv, tag, body] = sealed.split('.');
    // The first 4 bytes of the right tag: Node's GCM would accept them if not told the tag length.
    const short = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open([version, iv, short, body].join('.'), PLACE)).toThrow('authentication tag is not 16 bytes');
    const legacy = sealTheOldWay(SECRET, 'token').split('.');
    const legacyShort = Buffer.from(legacy[2]!, 'base64url').subarray(0, 12).toString('base64url');
    expect(() => box.open([legacy[0], legacy[1], legacyShort, legacy[3]].join('.'), PLACE)).toThrow(
      'authentication tag is not 16 bytes',
    );
  });

  it('opens a value sealed the old way and hands back a copy sealed for its place', () => {
    const old = sealTheOldWay(SECRET, 'old-token');
    const opened = box.open(old, PLACE);
    expect(opened.plaintext).toBe('old-token');
    expect(opened.resealed).toMatch(/^v2\./);
    expect(box.open(opened.resealed!, PLACE)).toEqual({ plaintext: 'old-token' });
    expect(() => box.open(opened.resealed!, 'channels/other1/credentials')).toThrow(SealedSecretError);
  });

  it('opens values sealed under APP_SECRET_PREVIOUS and re-seals them under the new secret', () => {
    const before = secretBox('p'.repeat(40));
    const sealedBefore = before.seal('rotated-token', PLACE);
    const oldFormatBefore = sealTheOldWay('p'.repeat(40), 'older-token');

    const rotated = secretBox(SECRET, 'p'.repeat(40));
    const opened = rotated.open(sealedBefore, PLACE);
    expect(opened.plaintext).toBe('rotated-token');
    // The copy opens with the new secret alone, so APP_SECRET_PREVIOUS can go once everything is re-sealed.
    expect(box.open(opened.resealed!, PLACE)).toEqual({ plaintext: 'rotated-token' });
    expect(box.open(rotated.open(oldFormatBefore, PLACE).resealed!, PLACE).plaintext).toBe('older-token');
    // Values already under the new secret need nothing.
    expect(rotated.open(box.seal('new', PLACE), PLACE)).toEqual({ plaintext: 'new' });
    // Without the previous secret they do not open at all.
    expect(() => box.open(sealedBefore, PLACE)).toThrow(SealedSecretError);
  });
});
