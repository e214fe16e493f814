import { describe, expect, it } from 'vitest';
import { generateToken, hashToken, tokenFromHeader, tokenMatches, tokenSelector } from './tokens.js';

describe('API tokens', () => {
  it('are unique, carry their selector, and are stored only as a hash', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a.token).not.toBe(b.token);
    expect(tokenSelector(a.token)).toBe(a.selector);
    expect(a.hash).toBe(hashToken(a.token));
    expect(a.hash).not.toContain(a.token.slice(4));
    expect(tokenMatches(a.token, a.hash)).toBe(true);
    expect(tokenMatches(b.token, a.hash)).toBe(false);
  });

  it('reject malformed tokens before any lookup', () => {
    expect(tokenSelector('prl_short')).toBeUndefined();
    expect(tokenSelector(`xyz_${'a'.repeat(44)}`)).toBeUndefined();
  });

  it('are read from Bearer and Token headers only', () => {
    expect(tokenFromHeader('Bearer abc')).toBe('abc');
    expect(tokenFromHeader('token abc')).toBe('abc');
    expect(tokenFromHeader('Basic abc')).toBeUndefined();
    expect(tokenFromHeader('Bearer')).toBeUndefined();
    expect(tokenFromHeader(undefined)).toBeUndefined();
  });
});
