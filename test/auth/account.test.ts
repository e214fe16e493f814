import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { testDatabaseKind } from '../helpers/database.js';
import { asSession, signInSession, type BrowserSession } from '../helpers/sessions.js';
import { connectLive, type LiveClient } from '../helpers/ws.js';

/**
 * The Account screen's API (issue #14): change the password (the other sessions end, this
 * one stays), sign out everywhere, see where you are signed in, make and revoke tokens.
 */
let t: TestApp;
let baseUrl: string;
const clients: LiveClient[] = [];

beforeAll(async () => {
  t = await createTestApp();
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t.close();
});

const signIn = (username: string, password = `${username}-password`) => signInSession(t.app, username, password);
const as = (session: BrowserSession, request: Parameters<typeof asSession>[2]) => asSession(t.app, session, request);
const me = (session: BrowserSession) => as(session, { method: 'GET', url: '/api/v1/auth/me/' });
const changePassword = (session: BrowserSession, current: string, next: string, headers: Record<string, string> = {}) =>
  as(session, {
    method: 'POST',
    url: '/api/v1/auth/password/',
    payload: { current_password: current, new_password: next },
    headers,
  });

async function socketOf(session: BrowserSession): Promise<LiveClient> {
  const client = await connectLive(baseUrl, { headers: { cookie: session.cookie, origin: baseUrl } });
  clients.push(client);
  return client;
}

function closeOf(client: LiveClient): Promise<number> {
  return new Promise((resolve) => client.socket.once('close', (code) => resolve(code)));
}

describe(`changing the password (${testDatabaseKind})`, () => {
  it('refuses a wrong current password beside its field (400, not 401), and changes nothing', async () => {
    await t.signUp('ada', { password: 'ada-password' });
    const session = await signIn('ada');
    const wrong = await changePassword(session, 'not-it', 'a new password');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toEqual({
      detail: 'The current password is not right.',
      code: 'wrong_password',
      errors: { current_password: ['This is not your current password.'] },
    });
    // Still signed in, and the old password still works.
    expect((await me(session)).statusCode).toBe(200);
    await signIn('ada');
  });

  it('refuses a weak or unchanged new password with the rules of createuser', async () => {
    await t.signUp('bo', { password: 'bo-password' });
    const session = await signIn('bo');
    const short = await changePassword(session, 'bo-password', 'short');
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({
      code: 'validation_error',
      errors: { new_password: ['The password must be at least 8 characters.'] },
    });
    const digits = await changePassword(session, 'bo-password', '1234567890');
    expect(digits.json()).toMatchObject({ errors: { new_password: ['The password must not be entirely numeric.'] } });
    const same = await changePassword(session, 'bo-password', 'bo-password');
    expect(same.json()).toMatchObject({
      errors: { new_password: ['The new password must differ from the current one.'] },
    });
    const blank = await changePassword(session, '', 'a new password');
    expect(blank.json()).toMatchObject({ code: 'validation_error', errors: { current_password: expect.any(Array) } });
    await signIn('bo');
  });

  it('needs the CSRF token with the cookie (403 csrf_failed), and then changes nothing', async () => {
    await t.signUp('cy', { password: 'cy-password' });
    const session = await signIn('cy');
    const forged = await changePassword(session, 'cy-password', 'a new password', { 'x-csrf-token': 'forged' });
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ code: 'csrf_failed' });
    await signIn('cy');
  });

  it("ends the user's other sessions and closes their sockets; this one, tokens and other users stay", async () => {
    const token = await t.signUp('di', { password: 'di-password' });
    await t.signUp('ed', { password: 'ed-password' });
    const here = await signIn('di');
    const elsewhere = await signIn('di');
    const someoneElse = await signIn('ed');
    const hereSocket = await socketOf(here);
    const elsewhereSocket = await socketOf(elsewhere);
    const closed = closeOf(elsewhereSocket);

    const changed = await changePassword(here, 'di-password', 'a much better one');
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual({ sessions_ended: 1 });

    expect(await closed).toBe(4001);
    const refused = await me(elsewhere);
    expect([refused.statusCode, refused.json<{ code: string }>().code]).toEqual([401, 'not_authenticated']);
    expect((await me(here)).statusCode).toBe(200);
    hereSocket.send({ type: 'ping' });
    expect(await hereSocket.waitFor((frame) => frame.type === 'pong')).toBeDefined();
    expect((await me(someoneElse)).statusCode).toBe(200);
    expect((await t.as(token, { method: 'GET', url: '/api/v1/auth/me/' })).statusCode).toBe(200);

    // The old password no longer signs in; the new one does.
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/session/',
      payload: { username: 'di', password: 'di-password' },
    });
    expect(old.statusCode).toBe(401);
    await signIn('di', 'a much better one');
  });

  it('works with a bearer token too, ending every dashboard session', async () => {
    const token = await t.signUp('fi', { password: 'fi-password' });
    const session = await signIn('fi');
    const changed = await t.as(token, {
      method: 'POST',
      url: '/api/v1/auth/password/',
      payload: { current_password: 'fi-password', new_password: 'fi-password-2' },
    });
    expect(changed.json()).toEqual({ sessions_ended: 1 });
    expect((await me(session)).statusCode).toBe(401);
  });
});

describe('signing out everywhere', () => {
  it('ends every session of the user, this one too, clears the cookie and closes their sockets; tokens stay', async () => {
    const token = await t.signUp('gus', { password: 'gus-password' });
    await t.signUp('hal', { password: 'hal-password' });
    const here = await signIn('gus');
    const elsewhere = await signIn('gus');
    const other = await signIn('hal');
    const sockets = await Promise.all([socketOf(here), socketOf(elsewhere)]);
    const closed = Promise.all(sockets.map(closeOf));

    const missingCsrf = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/auth/sessions/',
      headers: { cookie: here.cookie },
    });
    expect(missingCsrf.statusCode).toBe(403);
    expect((await me(elsewhere)).statusCode).toBe(200);

    const response = await as(here, { method: 'DELETE', url: '/api/v1/auth/sessions/' });
    expect(response.statusCode).toBe(204);
    expect(response.headers['set-cookie']).toBe('parley_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
    expect(await closed).toEqual([4001, 4001]);
    expect((await me(here)).statusCode).toBe(401);
    expect((await me(elsewhere)).statusCode).toBe(401);
    expect((await me(other)).statusCode).toBe(200);
    expect((await t.as(token, { method: 'GET', url: '/api/v1/auth/me/' })).statusCode).toBe(200);
  });
});

describe('the list of sessions', () => {
  it("shows the user's own live sessions, most recently used first, this one marked", async () => {
    await t.signUp('ivy', { password: 'ivy-password' });
    await t.signUp('jo', { password: 'jo-password' });
    const first = await signInSession(t.app, 'ivy', 'ivy-password', { 'user-agent': 'Firefox on a phone' });
    await t.db.execute(sql`update dashboard_sessions set last_seen_at = now() - interval '1 hour'
      where user_id = (select id from users where username = 'ivy')`);
    const second = await signIn('ivy');
    await signIn('jo');

    const response = await as(second, { method: 'GET', url: '/api/v1/auth/sessions/' });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ count: number; results: Record<string, unknown>[] }>();
    expect(body.count).toBe(2);
    expect(body.results.map((row) => [row.current, row.user_agent])).toEqual([
      [true, 'lightMyRequest'],
      [false, 'Firefox on a phone'],
    ]);
    expect(body.results[0]).toEqual({
      id: expect.stringMatching(/^ds_/),
      user_agent: 'lightMyRequest',
      created_at: expect.any(String),
      last_seen_at: expect.any(String),
      expires_at: expect.any(String),
      current: true,
    });
    // Asking from the first marks it used now: it comes first, and is the one marked.
    expect((await as(first, { method: 'GET', url: '/api/v1/auth/sessions/' })).json()).toMatchObject({
      results: [
        { current: true, user_agent: 'Firefox on a phone' },
        { current: false, user_agent: 'lightMyRequest' },
      ],
    });
  });
});

describe('signing in again in the same browser', () => {
  it('ends the session its cookie held, leaving the sessions of other browsers', async () => {
    await t.signUp('kit', { password: 'kit-password' });
    const otherBrowser = await signIn('kit');
    const before = await signIn('kit');
    const socket = await socketOf(before);
    const closed = closeOf(socket);
    const again = await signInSession(t.app, 'kit', 'kit-password', { cookie: before.cookie });

    expect(await closed).toBe(4001);
    expect((await me(before)).statusCode).toBe(401);
    expect((await me(again)).statusCode).toBe(200);
    expect((await me(otherBrowser)).statusCode).toBe(200);
    const sessions = rowsOf<{ count: number }>(
      await t.db.execute(sql`select count(*)::int as count from dashboard_sessions
        where user_id = (select id from users where username = 'kit')`),
    );
    expect(Number(sessions[0]!.count)).toBe(2);
  });

  it('leaves the old session alone when the new sign-in fails', async () => {
    await t.signUp('lu', { password: 'lu-password' });
    const before = await signIn('lu');
    const failed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/session/',
      payload: { username: 'lu', password: 'wrong' },
      headers: { cookie: before.cookie },
    });
    expect(failed.statusCode).toBe(401);
    expect((await me(before)).statusCode).toBe(200);
  });
});

describe('tokens from the dashboard', () => {
  it('makes a token shown once, which works until revoked; the list never shows it', async () => {
    await t.signUp('mo', { password: 'mo-password' });
    const session = await signIn('mo');
    const created = await as(session, {
      method: 'POST',
      url: '/api/v1/auth/tokens/',
      payload: { name: ' Website widget ', expires_in_days: 90 },
    });
    expect(created.statusCode).toBe(201);
    const token = created.json<{ id: string; token: string; expires_at: string }>();
    expect(token).toEqual({
      id: expect.any(String),
      name: 'Website widget',
      token: expect.stringMatching(/^prl_/),
      created_at: expect.any(String),
      last_used_at: null,
      expires_at: expect.any(String),
      expired: false,
    });
    const days = (Date.parse(token.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    expect((await t.as(token.token, { method: 'GET', url: '/api/v1/auth/me/' })).json()).toMatchObject({
      username: 'mo',
    });

    const list = await as(session, { method: 'GET', url: '/api/v1/auth/tokens/' });
    expect(list.json()).toMatchObject({
      results: [
        { id: token.id, name: 'Website widget', current: false },
        { name: 'test', current: false },
      ],
    });
    expect(list.body).not.toContain(token.token);

    const revoked = await as(session, { method: 'DELETE', url: `/api/v1/auth/tokens/${token.id}/` });
    expect(revoked.statusCode).toBe(204);
    expect((await t.as(token.token, { method: 'GET', url: '/api/v1/auth/me/' })).statusCode).toBe(401);
  });

  it('refuses a blank name or a bad expiry, and never expires without one', async () => {
    await t.signUp('ned', { password: 'ned-password' });
    const session = await signIn('ned');
    const post = (payload: Record<string, unknown>) =>
      as(session, { method: 'POST', url: '/api/v1/auth/tokens/', payload });
    expect((await post({ name: '  ' })).json()).toMatchObject({
      code: 'validation_error',
      errors: { name: expect.any(Array) },
    });
    expect((await post({ name: 'x', expires_in_days: 0 })).json()).toMatchObject({
      errors: { expires_in_days: ['Use 1 to 3650 days.'] },
    });
    expect((await post({ name: 'forever' })).json()).toMatchObject({ name: 'forever', expires_at: null });
  });

  it('gives a token made with a token no longer a life than that one', async () => {
    await t.signUp('oz', { password: 'oz-password' });
    const signedIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'oz', password: 'oz-password' },
    });
    const shortLived = signedIn.json<{ token: string }>().token;
    const tokens = await t.as(shortLived, { method: 'GET', url: '/api/v1/auth/tokens/' });
    const ceiling = tokens
      .json<{ results: { current: boolean; expires_at: string }[] }>()
      .results.find((r) => r.current)!;
    const made = await t.as(shortLived, { method: 'POST', url: '/api/v1/auth/tokens/', payload: { name: 'forever' } });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ expires_at: ceiling.expires_at });
  });
});
