import { describe, expect, it } from 'vitest';
import { secretBox } from './secret-box.js';

describe('secretBox', () => {
  const box = secretBox('x'.repeat(64));

  it('opens what it sealed, and never shows the plaintext', () => {
    const sealed = box.seal('123456:ABC-bot-token');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('ABC-bot-token');
    expect(box.open(sealed)).toBe('123456:ABC-bot-token');
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses tampered text and another secret’s key', () => {
    const sealed = box.seal('token');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => secretBox('y'.repeat(64)).open(sealed)).toThrow();
    expect(() => box.open('garbage')).toThrow('not a sealed secret');
  });
});
