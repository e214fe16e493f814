import { randomBytes, scryptSync } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  hashPassword,
  needsRehash,
  passwordHashing,
  passwordProblems,
  RECOMMENDED_COST,
  setPasswordCost,
  verifyPassword,
} from './password.js';

/** A hash as Parley stored them before OWASP's parameters: N=2^14. */
function oldHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

// A test worker runs several files in turn, and every app in them sets the cost from its config.
beforeEach(() => setPasswordCost(RECOMMENDED_COST));

describe('passwords', () => {
  it("are hashed with OWASP's scrypt parameters (N=2^17, r=8, p=1) and verify against their hash and nothing else", async () => {
    // As in a process that never set a cost: a fresh copy of the module.
    vi.resetModules();
    const fresh = await import('./password.js');
    const hash = await fresh.hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await verifyPassword('correct horse', 'md5$whatever')).toBe(false);
    expect(needsRehash(hash)).toBe(false);
  });

  it('still verify against a hash made with the old parameters, which is marked for an upgrade', async () => {
    const old = oldHash('battery staple');
    expect(await verifyPassword('battery staple', old)).toBe(true);
    expect(await verifyPassword('battery stapler', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
  });

  it('take the cost set for the process, and a cheaper hash then needs no upgrade', async () => {
    setPasswordCost(10);
    const cheap = await hashPassword('correct horse');
    expect(cheap).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', cheap)).toBe(true);
    expect(needsRehash(cheap)).toBe(false);
    setPasswordCost(RECOMMENDED_COST);
    expect(needsRehash(cheap)).toBe(true);
    expect(() => setPasswordCost(0)).toThrow(RangeError);
  });

  it('refuse, without running scrypt, a stored hash whose parameters are absurd', async () => {
    const [, , r, p, salt, key] = oldHash('correct horse').split('$');
    for (const n of [String(2 ** 30), '1000', '0', 'x']) {
      const stored = ['scrypt', n, r, p, salt, key].join('$');
      expect(await verifyPassword('correct horse', stored)).toBe(false);
      expect(needsRehash(stored)).toBe(false);
    }
    expect(passwordHashing()).toEqual({ running: 0, waiting: 0 });
  });

  it('are hashed at most two at a time, the others waiting their turn, and every one finishes', async () => {
    setPasswordCost(12);
    const hashes = Array.from({ length: 6 }, (_, i) => hashPassword(`password number ${i}`));
    const seen: { running: number; waiting: number }[] = [passwordHashing()];
    let settled = 0;
    void Promise.allSettled(hashes).then(() => (settled = hashes.length));
    while (settled < hashes.length) {
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(passwordHashing());
    }
    expect(seen[0]).toEqual({ running: 2, waiting: 4 });
    expect(Math.max(...seen.map((s) => s.running))).toBe(2);
    const done = await Promise.all(hashes);
    expect(new Set(done).size).toBe(6);
    expect(await verifyPassword('password number 5', done[5]!)).toBe(true);
    expect(passwordHashing()).toEqual({ running: 0, waiting: 0 });
  });

  it('explain what is wrong with a weak one', () => {
    expect(passwordProblems('short')).toEqual(['must be at least 8 characters']);
    expect(passwordProblems('12345678')).toEqual(['must not be entirely numeric']);
    expect(passwordProblems('long enough')).toEqual([]);
  });
});
