import { describe, expect, it } from 'vitest';
import { differingVariables, environmentDigests, forwardedNotice } from './environment.js';

describe("comparing the shell's configuration with the server's", () => {
  const shell = { GEMINI_API_KEY: 'AIza-shell-key', LOG_LEVEL: 'info', PARLEY_TIMEZONE: 'Europe/Lisbon' };

  it('sends digests under a key of its own, never the values', () => {
    const first = environmentDigests(shell);
    const second = environmentDigests(shell);
    expect(Object.keys(first.digests).sort()).toEqual(['GEMINI_API_KEY', 'LOG_LEVEL', 'PARLEY_TIMEZONE']);
    expect(JSON.stringify(first)).not.toContain('AIza-shell-key');
    // A new key each time: a digest seen once says nothing about the next request's.
    expect(first.key).not.toBe(second.key);
    expect(first.digests.GEMINI_API_KEY).not.toBe(second.digests.GEMINI_API_KEY);
  });

  it('names the variables the server has another value for, or none of, and nothing it shares', () => {
    const sent = environmentDigests(shell);
    expect(differingVariables(sent, shell)).toEqual([]);
    expect(differingVariables(sent, { LOG_LEVEL: 'info', PARLEY_TIMEZONE: 'UTC' })).toEqual([
      'GEMINI_API_KEY',
      'PARLEY_TIMEZONE',
    ]);
    // What the server sets and the shell does not is no concern of the command's.
    expect(differingVariables(environmentDigests({}), shell)).toEqual([]);
  });

  it('leaves out the data dir, which is how the CLI found this server, and names that are not configuration', () => {
    const sent = environmentDigests({ PARLEY_DATA_DIR: './data', PARLEY_PASSWORD: 'x', HOME: '/root' });
    expect(differingVariables(sent, { PARLEY_DATA_DIR: '/srv/parley/data' })).toEqual([]);
  });

  it('ignores what is not a request from this CLI', () => {
    expect(differingVariables(undefined, shell)).toEqual([]);
    expect(differingVariables({ key: 'short', digests: { LOG_LEVEL: 'x' } }, shell)).toEqual([]);
    expect(differingVariables({ key: 'k'.repeat(64), digests: { LOG_LEVEL: 42 } }, shell)).toEqual([]);
    expect(differingVariables({ key: 'k'.repeat(64), digests: { LOG_LEVEL: 'not hex' } }, shell)).toEqual([
      'LOG_LEVEL',
    ]);
  });

  it('says where the command runs, then one warning per variable', () => {
    expect(forwardedNotice(1234, ['GEMINI_API_KEY'])).toEqual([
      'Running in the Parley server that is already running (pid 1234), which holds the database; it uses its own environment.',
      "Warning: GEMINI_API_KEY is set in this shell but the running server has a different value (or none); the command uses the server's. Restart the server with it to change that.",
    ]);
    expect(forwardedNotice(undefined, [])).toEqual([
      'Running in the Parley server that is already running, which holds the database; it uses its own environment.',
    ]);
  });
});
