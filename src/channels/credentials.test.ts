import { describe, expect, it } from 'vitest';
import { secretBox } from '../kernel/secret-box.js';
import { openCredentials, sealCredentials } from './credentials.js';

const APP_SECRET = 'a'.repeat(64);

describe('openCredentials', () => {
  it('opens a token only for the channel it was sealed for, however often it was opened before', () => {
    const secrets = secretBox(APP_SECRET);
    const sealed = sealCredentials(secrets, 'ch-1', '7000000001:token-one');
    expect(openCredentials(secrets, { id: 'ch-1', credentials: sealed })).toBe('7000000001:token-one');
    expect(openCredentials(secrets, { id: 'ch-1', credentials: sealed })).toBe('7000000001:token-one');
    // Copied into another channel's row, it still does not open there.
    expect(openCredentials(secrets, { id: 'ch-2', credentials: sealed })).toBeUndefined();
  });

  it('gives the new token once the channel was connected again', () => {
    const secrets = secretBox(APP_SECRET);
    const first = sealCredentials(secrets, 'ch-1', '7000000001:old');
    expect(openCredentials(secrets, { id: 'ch-1', credentials: first })).toBe('7000000001:old');
    const second = sealCredentials(secrets, 'ch-1', '7000000001:new');
    expect(openCredentials(secrets, { id: 'ch-1', credentials: second })).toBe('7000000001:new');
  });

  it('opens nothing under another APP_SECRET, even what this one opened', () => {
    const secrets = secretBox(APP_SECRET);
    const sealed = sealCredentials(secrets, 'ch-1', '7000000001:token');
    expect(openCredentials(secrets, { id: 'ch-1', credentials: sealed })).toBe('7000000001:token');
    expect(openCredentials(secretBox('b'.repeat(64)), { id: 'ch-1', credentials: sealed })).toBeUndefined();
  });
});
