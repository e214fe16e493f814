import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/auth/auth.service.js';
import { ConflictError } from '../../src/kernel/errors.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** "Rosa", "rosa" and "ROSA" are one username: one account, signed in to however it is typed. */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { PARLEY_SIGN_IN_FAILURES: '3' } });
  await t.signUp('Rosa', { password: 'rosa-real-password', email: 'rosa@example.com' });
  await t.signUp('bruno', { password: 'bruno-real-password' });
});
afterAll(() => t.close());

const signIn = (username: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/token/', payload: { username, password } });

describe('usernames without regard to case', () => {
  it('sign in whatever the case typed, to the account as it was spelled', async () => {
    for (const typed of ['rosa', 'ROSA', 'Rosa', 'rOsA']) {
      const response = await signIn(typed, 'rosa-real-password');
      expect(response.statusCode).toBe(200);
      const me = await t.as(response.json<{ token: string }>().token, { method: 'GET', url: '/api/v1/auth/me/' });
      expect(me.json()).toMatchObject({ username: 'Rosa', email: 'rosa@example.com' });
    }
    // The password itself still counts its case.
    expect((await signIn('rosa', 'ROSA-REAL-PASSWORD')).statusCode).toBe(401);
  });

  it('cannot be taken a second time in another case, and the answer names the existing spelling', async () => {
    const attempt = createUser(t.db, { username: 'ROSA', password: 'another password' });
    await expect(attempt).rejects.toThrow(
      new ConflictError(
        'A user named "Rosa" already exists (usernames are the same whatever their case).',
        'user_exists',
      ),
    );
    await expect(createUser(t.db, { username: 'Bruno', password: 'x' })).rejects.toMatchObject({
      code: 'user_exists',
    });
    // A name that merely contains another is a different name.
    expect((await createUser(t.db, { username: 'rosalind', password: 'rosalind password' })).username).toBe('rosalind');
  });

  it("share one lock-out, so changing the case does not buy more guesses at a user's password", async () => {
    for (const typed of ['bruno', 'BRUNO', 'Bruno']) {
      expect((await signIn(typed, 'a guess')).statusCode).toBe(401);
    }
    const fourth = await signIn('bRUNO', 'bruno-real-password');
    expect(fourth.statusCode).toBe(429);
    expect(fourth.json()).toMatchObject({ code: 'rate_limited' });
    // Another account is not affected.
    expect((await signIn('rosa', 'rosa-real-password')).statusCode).toBe(200);
  });
});
