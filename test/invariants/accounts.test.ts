import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateToken, createApiToken, createUser, login, revokeToken } from '../../src/auth/auth.service.js';
import { apiTokens } from '../../src/db/schema/index.js';
import { ConflictError, NotAuthenticatedError, ValidationError } from '../../src/kernel/errors.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Accounts and the tokens that stand for them: who may exist, who may sign
 * in, and that a token opens its own account only, until it is revoked.
 */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const fieldErrors = async (attempt: Promise<unknown>) => {
  const error = await attempt.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).errors;
};

describe('creating an account', () => {
  it('refuses a bad username, email or password, naming each field, and creates nothing', async () => {
    const fields = await fieldErrors(
      createUser(t.db, { username: 'has space', email: 'not-an-email', password: 'short' }),
    );
    expect(Object.keys(fields ?? {}).sort()).toEqual(['email', 'password', 'username']);
    expect(await login(t.db, 'has space', 'short').catch((error: unknown) => error)).toBeInstanceOf(
      NotAuthenticatedError,
    );
  });

  it('accepts every allowed username character and a blank email, and stores a trimmed email', async () => {
    const user = await createUser(t.db, { username: 'a.b@c+d-e_f', email: '  ', password: 'long-enough-pw' });
    expect(user).toMatchObject({ username: 'a.b@c+d-e_f', email: '', isAdmin: false });
    const admin = await createUser(t.db, { username: 'boss', email: ' boss@example.com ', isAdmin: true });
    expect(admin).toMatchObject({ email: 'boss@example.com', isAdmin: true, passwordHash: null });
  });

  it('refuses a username of more than 150 characters, and accepts 150', async () => {
    expect(Object.keys((await fieldErrors(createUser(t.db, { username: 'x'.repeat(151) }))) ?? {})).toEqual([
      'username',
    ]);
    await expect(createUser(t.db, { username: 'y'.repeat(150) })).resolves.toMatchObject({
      username: 'y'.repeat(150),
    });
  });

  it('refuses a second account with the same username', async () => {
    await createUser(t.db, { username: 'twin', password: 'long-enough-pw' });
    await expect(createUser(t.db, { username: 'twin', password: 'another-long-pw' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    // The first account's password still signs in: nothing was overwritten.
    await expect(login(t.db, 'twin', 'long-enough-pw')).resolves.toMatch(/\S{20,}/);
  });
});

describe('signing in', () => {
  it('needs the right password of an account that has one', async () => {
    await createUser(t.db, { username: 'signer', password: 'correct horse battery' });
    await createUser(t.db, { username: 'nopass' });
    const token = await login(t.db, 'signer', 'correct horse battery');
    expect((await authenticateToken(t.db, token))?.username).toBe('signer');
    for (const [username, password] of [
      ['signer', 'wrong horse battery'],
      ['nopass', ''],
      ['nopass', 'anything at all'],
      ['ghost', 'correct horse battery'],
    ] as const) {
      await expect(login(t.db, username, password)).rejects.toBeInstanceOf(NotAuthenticatedError);
    }
  });
});

describe('tokens', () => {
  it('open their own account only, record when they were used, and stop at revocation', async () => {
    const ana = await createUser(t.db, { username: 'ana-tokens' });
    const bo = await createUser(t.db, { username: 'bo-tokens' });
    const anaToken = await createApiToken(t.db, ana.id, 'laptop');
    const boToken = await createApiToken(t.db, bo.id, 'phone');

    const anaUser = await authenticateToken(t.db, anaToken);
    expect(anaUser).toMatchObject({ id: ana.id, username: 'ana-tokens' });
    expect(anaUser).not.toHaveProperty('tokenHash');
    expect((await authenticateToken(t.db, boToken))?.id).toBe(bo.id);
    const [used] = await t.db.select().from(apiTokens).where(eq(apiTokens.userId, ana.id));
    expect(used?.lastUsedAt).toBeInstanceOf(Date);

    // Bo revoking his token leaves Ana's working; Ana's revocation ends hers at once.
    await revokeToken(t.db, (await authenticateToken(t.db, boToken))!);
    expect(await authenticateToken(t.db, boToken)).toBeUndefined();
    expect((await authenticateToken(t.db, anaToken))?.id).toBe(ana.id);
    await revokeToken(t.db, anaUser!);
    expect(await authenticateToken(t.db, anaToken)).toBeUndefined();
  });

  it('is refused when altered, truncated or made up', async () => {
    const user = await createUser(t.db, { username: 'forger' });
    const token = await createApiToken(t.db, user.id, 'cli');
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const candidate of [flipped, token.slice(0, -4), '', 'not-a-token', `${token}x`]) {
      expect(await authenticateToken(t.db, candidate)).toBeUndefined();
    }
  });

  it('see a default-handler change at once', async () => {
    const token = await t.signUp('switcher');
    const before = await t.as(token, { method: 'GET', url: '/api/v1/auth/me/' });
    expect(before.json()).toMatchObject({ default_reply_handler: 'AI' });
    const change = await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual' },
    });
    expect(change.json()).toEqual({ default_reply_handler: 'Manual' });
    expect((await authenticateToken(t.db, token))?.defaultReplyHandler).toBe('Manual');
    const after = await t.as(token, { method: 'GET', url: '/api/v1/ai/default-handler/' });
    expect(after.json()).toEqual({ default_reply_handler: 'Manual' });
  });
});
