import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateToken, hashToken, tokenFromHeader, tokenMatches, tokenSelector } from '../../src/auth/tokens.js';

describe('token format', () => {
  it('is prl_ + a 12-character selector + a 32-character secret', () => {
    const { token, selector, hash } = generateToken();
    expect(token).toMatch(/^prl_[0-9A-Za-z]{44}$/);
    expect(selector).toHaveLength(12);
    expect(token.slice(4, 16)).toBe(selector);
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
  });

  it('accepts only exactly that shape', () => {
    const selector = 'AbCdEf012345';
    const secret = 'x'.repeat(32);
    expect(tokenSelector(`prl_${selector}${secret}`)).toBe(selector);
    expect(tokenSelector(`prl_${selector}${secret}y`)).toBeUndefined();
    expect(tokenSelector(`prl_${selector}${secret.slice(1)}`)).toBeUndefined();
    expect(tokenSelector(`xprl_${selector}${secret}`)).toBeUndefined();
    expect(tokenSelector(`prl_${selector}${secret.slice(1)}-`)).toBeUndefined();
  });
});

describe('token hashes', () => {
  it('are the hex SHA-256 of the whole token', () => {
    expect(hashToken('prl_abc')).toBe(createHash('sha256').update('prl_abc').digest('hex'));
  });

  it('match only the same token, and never a malformed stored hash', () => {
    const { token, hash } = generateToken();
    expect(tokenMatches(token, hash)).toBe(true);
    expect(tokenMatches(`${token}x`, hash)).toBe(false);
    expect(tokenMatches(token, hash.slice(0, 32))).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
  });
});

describe('the Authorization header', () => {
  it('carries the token after Bearer or Token, in any case, with any spacing', () => {
    expect(tokenFromHeader('Bearer prl_abcdef')).toBe('prl_abcdef');
    expect(tokenFromHeader('BEARER prl_abcdef')).toBe('prl_abcdef');
    expect(tokenFromHeader('Token prl_abcdef')).toBe('prl_abcdef');
    expect(tokenFromHeader('Bearer \t prl_abcdef')).toBe('prl_abcdef');
    expect(tokenFromHeader('Bearer prl_abcdef  ')).toBe('prl_abcdef');
  });

  it('is refused in any other shape', () => {
    expect(tokenFromHeader('')).toBeUndefined();
    expect(tokenFromHeader('XBearer prl_abcdef')).toBeUndefined();
    expect(tokenFromHeader('Bearerprl_abcdef')).toBeUndefined();
    expect(tokenFromHeader('Bearer prl_abc def')).toBeUndefined();
    expect(tokenFromHeader('Bearer ')).toBeUndefined();
  });
});
