import { randomBytes, scryptSync } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password.js';
import { users } from '../../src/db/schema/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** Hashes stored before OWASP's parameters (N=2^14) are replaced at the next successful sign-in. */
let t: TestApp;

beforeAll(async () => {
  // Production's cost, which the other suites lower to save time.
  t = await createTestApp({ env: { PARLEY_PASSWORD_COST: '17' } });
});
afterAll(() => t.close());

function oldHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

const storedHash = async (username: string) =>
  (await t.db.select({ hash: users.passwordHash }).from(users).where(eq(users.username, username)))[0]?.hash;

const signIn = (username: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/token/', payload: { username, password } });

describe('an account with an old password hash', () => {
  it('signs in with it, and afterwards its hash has the new parameters and still verifies', async () => {
    await t.signUp('veteran');
    const old = oldHash('old-but-good-password');
    await t.db.update(users).set({ passwordHash: old }).where(eq(users.username, 'veteran'));

    expect((await signIn('veteran', 'old-but-good-password')).statusCode).toBe(200);
    const upgraded = await storedHash('veteran');
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('old-but-good-password', upgraded!)).toBe(true);
    expect(await verifyPassword('another-password', upgraded!)).toBe(false);

    // The next sign-in uses the new hash and leaves it as it is.
    expect((await signIn('veteran', 'old-but-good-password')).statusCode).toBe(200);
    expect(await storedHash('veteran')).toBe(upgraded);
  });

  it('keeps the old hash when the password is wrong', async () => {
    await t.signUp('cautious');
    const old = oldHash('cautious-real-password');
    await t.db.update(users).set({ passwordHash: old }).where(eq(users.username, 'cautious'));

    expect((await signIn('cautious', 'a wrong password')).json()).toMatchObject({ code: 'invalid_credentials' });
    expect(await storedHash('cautious')).toBe(old);
    expect((await signIn('cautious', 'cautious-real-password')).statusCode).toBe(200);
    expect(await storedHash('cautious')).toMatch(/^scrypt\$131072\$/);
  });
});
