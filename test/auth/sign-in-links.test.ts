import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignInLink, signInLinkUrl } from '../../src/auth/sign-in-links.service.js';
import { deleteSpentSignInLinks } from '../../src/auth/sign-in-links.repo.js';
import { rowsOf } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { testDatabaseKind } from '../helpers/database.js';

/**
 * One-time sign-in links (`parley demo` prints one): the dashboard posts the token from the
 * link's fragment and is signed in, once, before the link expires.
 */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  await t.signUp('rosa', { password: 'rosa-password-1', email: 'rosa@example.com' });
  await t.signUp('luis', { password: 'luis-password-1', email: 'luis@example.com' });
});
afterAll(() => t.close());

const redeem = (token: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/session/link/', payload: { token }, headers });

describe(`one-time sign-in links (${testDatabaseKind})`, () => {
  it('signs the browser in as the link’s user, with a session cookie, and only once', async () => {
    const link = await createSignInLink(t.db, { username: 'Rosa', minutes: 60 });
    expect(signInLinkUrl('http://127.0.0.1:8000/', link.token)).toBe(
      `http://127.0.0.1:8000/sign-in#link=${link.token}`,
    );

    const first = await redeem(link.token);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ user: { username: 'rosa' }, csrf_token: expect.any(String) });
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toMatch(/^parley_session=/);
    const me = await t.app.inject({ url: '/api/v1/auth/session/', headers: { cookie } });
    expect(me.json()).toMatchObject({ user: { username: 'rosa' } });

    const again = await redeem(link.token);
    expect(again.statusCode).toBe(401);
    expect(again.json()).toMatchObject({ code: 'sign_in_link_invalid' });
    expect(again.headers['set-cookie']).toBeUndefined();
    // The first session is untouched by the refused second try.
    expect((await t.app.inject({ url: '/api/v1/auth/session/', headers: { cookie } })).statusCode).toBe(200);
  });

  it('refuses an expired link, an unknown one, and malformed bodies', async () => {
    const link = await createSignInLink(t.db, { username: 'luis', minutes: 5 });
    await t.db.execute(sql`update sign_in_links set expires_at = now() - interval '1 second' where used_at is null`);
    const expired = await redeem(link.token);
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ code: 'sign_in_link_invalid' });

    expect((await redeem('x'.repeat(43))).json()).toMatchObject({ code: 'sign_in_link_invalid' });
    for (const token of ['', 42, 'y'.repeat(101)]) {
      const response = await redeem(token);
      expect(response.statusCode, String(token)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_error', errors: { token: expect.any(Array) } });
    }
  });

  it('is refused from another site, like a password sign-in', async () => {
    const link = await createSignInLink(t.db, { username: 'luis' });
    const response = await redeem(link.token, { origin: 'https://evil.example' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'csrf_failed' });
    // Not spent by the refused request: the dashboard itself can still use it.
    expect((await redeem(link.token, { origin: 'http://127.0.0.1:8000' })).statusCode).toBe(200);
  });

  it('is made only for a user that exists, for between a minute and a week', async () => {
    await expect(createSignInLink(t.db, { username: 'nobody' })).rejects.toMatchObject({ status: 404 });
    for (const minutes of [0, 7 * 24 * 60 + 1, 1.5]) {
      await expect(createSignInLink(t.db, { username: 'luis', minutes })).rejects.toMatchObject({
        status: 400,
        code: 'invalid_minutes',
      });
    }
  });

  it('is deleted by the cleanup once used or expired; an unused live link stays', async () => {
    await t.db.execute(sql`delete from sign_in_links`);
    const used = await createSignInLink(t.db, { username: 'rosa' });
    await redeem(used.token);
    await createSignInLink(t.db, { username: 'rosa', minutes: 1 });
    await t.db.execute(sql`update sign_in_links set expires_at = now() - interval '1 second' where used_at is null`);
    const live = await createSignInLink(t.db, { username: 'rosa' });

    expect(await deleteSpentSignInLinks(t.db)).toBe(2);
    const left = rowsOf<{ expires_at: Date }>(await t.db.execute(sql`select expires_at from sign_in_links`));
    expect(left).toHaveLength(1);
    expect(new Date(left[0]!.expires_at).getTime()).toBe(live.expiresAt.getTime());
  });
});
