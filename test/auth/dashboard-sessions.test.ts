import type { InjectOptions } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { createTestApp } from '../helpers/app.js';
import { testDatabaseKind } from '../helpers/database.js';

/**
 * Dashboard sign-in (issue #13): a cookie instead of a bearer token, with
 * CSRF checks on anything that changes something, ending on sign-out or when
 * left idle. The app answers at http://127.0.0.1:8000 unless PUBLIC_URL says otherwise.
 */
let t: AiTestApp;
const OWN_ORIGIN = 'http://127.0.0.1:8000';

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
  user: Record<string, unknown>;
}

/** A business that answers with AI and can sign in with a password; returns its bearer token. */
async function business(username: string): Promise<string> {
  const token = await t.signUp(username, { password: `${username}-password`, email: `${username}@example.com` });
  const response = await t.as(token, {
    method: 'PUT',
    url: '/api/v1/ai/config/',
    payload: { auto_response_enabled: true },
  });
  expect(response.statusCode).toBe(200);
  return token;
}

const signInRequest = (username: string, password: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/session/', payload: { username, password }, headers });

async function signIn(username: string): Promise<Session> {
  const response = await signInRequest(username, `${username}-password`);
  expect(response.statusCode).toBe(200);
  const setCookie = String(response.headers['set-cookie']);
  const body = response.json<{ user: Record<string, unknown>; csrf_token: string }>();
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrf_token, setCookie, user: body.user };
}

/** A request carrying the session cookie, as the browser sends it. */
const withCookie = (session: Session, request: InjectOptions, headers: Record<string, string> = {}) =>
  t.app.inject({ ...request, headers: { cookie: session.cookie, ...headers, ...request.headers } });

/** Starts a conversation with a customer through `ask`; returns its id. */
async function converse(token: string, customer: string): Promise<string> {
  t.gemini.enqueue({ text: `hi ${customer}` });
  const response = await t.as(token, {
    method: 'POST',
    url: '/api/v1/ai/ask/',
    payload: { question: 'hello', customer_id: customer },
  });
  return response.json<{ session_id: string }>().session_id.slice(4);
}

beforeAll(async () => {
  t = await createAiTestApp();
});
afterAll(() => t.close());

describe(`signing in to the dashboard (${testDatabaseKind})`, () => {
  it('sets an HttpOnly, SameSite=Lax cookie for the whole site, and answers with the user and a CSRF token', async () => {
    await business('ana');
    const response = await signInRequest('ana', 'ana-password');
    expect(response.statusCode).toBe(200);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^parley_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    const body = response.json<{ user: { id: string }; csrf_token: string }>();
    expect(body).toEqual({
      user: {
        id: expect.any(String),
        username: 'ana',
        email: 'ana@example.com',
        is_admin: false,
        default_reply_handler: 'AI',
      },
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });

    // The value is never stored: only its hash.
    const value = setCookie.split(';')[0]!.split('=')[1]!;
    const rows = rowsOf<{ id: string; token_hash: string }>(
      await t.db.execute(sql`select id, token_hash from dashboard_sessions where user_id = ${body.user.id}`),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toMatch(/^ds_/);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.token_hash).not.toContain(value);
  });

  it('takes a form body too', async () => {
    await business('bea');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/session/',
      payload: 'username=bea&password=bea-password',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ user: { username: 'bea' } });
  });

  it('refuses a wrong password with 401 invalid_credentials and sets no cookie', async () => {
    await business('cid');
    const response = await signInRequest('cid', 'not-the-password');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'invalid_credentials' });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect((await signInRequest('nobody', 'whatever')).json()).toMatchObject({ code: 'invalid_credentials' });
  });

  it('refuses a sign-in sent from another site, and takes one from its own pages', async () => {
    await business('dora');
    const foreign = await signInRequest('dora', 'dora-password', { origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json()).toMatchObject({ code: 'csrf_failed' });
    expect(foreign.headers['set-cookie']).toBeUndefined();
    expect((await signInRequest('dora', 'dora-password', { origin: OWN_ORIGIN })).statusCode).toBe(200);
  });
});

describe('GET /api/v1/auth/session/', () => {
  it("tells the page who is signed in and the session's CSRF token", async () => {
    await business('eva');
    const session = await signIn('eva');
    const response = await withCookie(session, { method: 'GET', url: '/api/v1/auth/session/' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ user: session.user, csrf_token: session.csrf });
  });

  it('is 401 not_authenticated without a session, with an unknown one, or with only a bearer token', async () => {
    const token = await business('fay');
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session/' });
    expect([none.statusCode, none.json<{ code: string }>().code]).toEqual([401, 'not_authenticated']);
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/session/',
      headers: { cookie: 'parley_session=made-up' },
    });
    expect([unknown.statusCode, unknown.json<{ code: string }>().code]).toEqual([401, 'not_authenticated']);
    const bearer = await t.as(token, { method: 'GET', url: '/api/v1/auth/session/' });
    expect([bearer.statusCode, bearer.json<{ code: string }>().code]).toEqual([401, 'not_authenticated']);
  });
});

describe('the session cookie on API routes', () => {
  it('reads like a bearer token: /auth/me/ and the conversations', async () => {
    const token = await business('gil');
    const id = await converse(token, 'customer-1');
    const session = await signIn('gil');

    const me = await withCookie(session, { method: 'GET', url: '/api/v1/auth/me/' });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: 'gil', email: 'gil@example.com' });
    const list = await withCookie(session, { method: 'GET', url: '/api/v1/conversations/' });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ results: { id: string }[] }>().results.map((row) => row.id)).toEqual([id]);
  });

  it('needs the CSRF token and its own Origin for anything that changes something', async () => {
    await business('hal');
    const session = await signIn('hal');
    const put = (headers: Record<string, string>) =>
      withCookie(
        session,
        { method: 'PUT', url: '/api/v1/ai/default-handler/', payload: { default_reply_handler: 'Manual' } },
        headers,
      );

    const noToken = await put({ origin: OWN_ORIGIN });
    expect([noToken.statusCode, noToken.json<{ code: string }>().code]).toEqual([403, 'csrf_failed']);
    const wrongToken = await put({ 'x-csrf-token': `${session.csrf.slice(1)}x`, origin: OWN_ORIGIN });
    expect([wrongToken.statusCode, wrongToken.json<{ code: string }>().code]).toEqual([403, 'csrf_failed']);
    const otherSite = await put({ 'x-csrf-token': session.csrf, origin: 'https://evil.example' });
    expect([otherSite.statusCode, otherSite.json<{ code: string }>().code]).toEqual([403, 'csrf_failed']);
    const nullOrigin = await put({ 'x-csrf-token': session.csrf, origin: 'null' });
    expect(nullOrigin.statusCode).toBe(403);
    // Refused requests changed nothing.
    const before = await withCookie(session, { method: 'GET', url: '/api/v1/ai/default-handler/' });
    expect(before.json()).toEqual({ default_reply_handler: 'AI' });

    const fromDashboard = await put({ 'x-csrf-token': session.csrf, origin: OWN_ORIGIN });
    expect(fromDashboard.statusCode).toBe(200);
    expect(fromDashboard.json()).toEqual({ default_reply_handler: 'Manual' });
    // Served by this server under another name: the Host it was sent to is its own origin too.
    const byHost = await put({
      'x-csrf-token': session.csrf,
      origin: 'http://dash.local:8080',
      host: 'dash.local:8080',
    });
    expect(byHost.statusCode).toBe(200);
    // Not from a browser (no Origin): the CSRF token alone will do.
    expect((await put({ 'x-csrf-token': session.csrf })).statusCode).toBe(200);
  });

  it('leaves bearer requests as they were: no CSRF token needed, a cookie beside them ignored', async () => {
    const token = await business('ida');
    await business('jon');
    const jon = await signIn('jon');
    const put = await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual' },
      headers: { origin: 'https://evil.example', cookie: jon.cookie },
    });
    expect(put.statusCode).toBe(200);
    const me = await t.as(token, { method: 'GET', url: '/api/v1/auth/me/', headers: { cookie: jon.cookie } });
    expect(me.json()).toMatchObject({ username: 'ida' });
    const bad = await t.as('prl_not-a-real-token', { method: 'GET', url: '/api/v1/auth/me/' });
    expect([bad.statusCode, bad.json<{ code: string }>().code]).toEqual([401, 'invalid_token']);
  });

  it("cannot reach another business's conversations", async () => {
    const kim = await business('kim');
    const kimsConversation = await converse(kim, 'kims-customer');
    await business('lea');
    const lea = await signIn('lea');

    const list = await withCookie(lea, { method: 'GET', url: '/api/v1/conversations/' });
    expect(list.json<{ count: number }>().count).toBe(0);
    const one = await withCookie(lea, { method: 'GET', url: `/api/v1/conversations/${kimsConversation}/` });
    expect(one.statusCode).toBe(404);
    const reply = await withCookie(
      lea,
      { method: 'POST', url: `/api/v1/conversations/${kimsConversation}/messages/`, payload: { text: 'hello' } },
      { 'x-csrf-token': lea.csrf, origin: OWN_ORIGIN },
    );
    expect(reply.statusCode).toBe(404);
    // Kim's session token cannot be presented with Lea's cookie either.
    const kimSession = await signIn('kim');
    const mixed = await withCookie(
      lea,
      { method: 'DELETE', url: '/api/v1/auth/session/' },
      {
        'x-csrf-token': kimSession.csrf,
        origin: OWN_ORIGIN,
      },
    );
    expect([mixed.statusCode, mixed.json<{ code: string }>().code]).toEqual([403, 'csrf_failed']);
    const kimsOwn = await withCookie(kimSession, { method: 'GET', url: `/api/v1/conversations/${kimsConversation}/` });
    expect(kimsOwn.statusCode).toBe(200);
  });

  it('is not a token: DELETE /auth/token/ with it is 400 not_a_token and signs nothing out', async () => {
    await business('max');
    const session = await signIn('max');
    const response = await withCookie(
      session,
      { method: 'DELETE', url: '/api/v1/auth/token/' },
      {
        'x-csrf-token': session.csrf,
        origin: OWN_ORIGIN,
      },
    );
    expect([response.statusCode, response.json<{ code: string }>().code]).toEqual([400, 'not_a_token']);
    expect((await withCookie(session, { method: 'GET', url: '/api/v1/auth/me/' })).statusCode).toBe(200);
  });
});

describe('signing out', () => {
  it('clears the cookie and ends the session, leaving other sessions signed in', async () => {
    await business('ned');
    const session = await signIn('ned');
    const other = await signIn('ned');

    const withoutCsrf = await withCookie(session, { method: 'DELETE', url: '/api/v1/auth/session/' });
    expect([withoutCsrf.statusCode, withoutCsrf.json<{ code: string }>().code]).toEqual([403, 'csrf_failed']);

    const response = await withCookie(
      session,
      { method: 'DELETE', url: '/api/v1/auth/session/' },
      {
        'x-csrf-token': session.csrf,
        origin: OWN_ORIGIN,
      },
    );
    expect(response.statusCode).toBe(204);
    expect(response.headers['set-cookie']).toBe('parley_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');

    const me = await withCookie(session, { method: 'GET', url: '/api/v1/auth/me/' });
    expect([me.statusCode, me.json<{ code: string }>().code]).toEqual([401, 'not_authenticated']);
    expect((await withCookie(session, { method: 'GET', url: '/api/v1/auth/session/' })).statusCode).toBe(401);
    expect((await withCookie(other, { method: 'GET', url: '/api/v1/auth/me/' })).statusCode).toBe(200);
  });
});

describe('a session left idle', () => {
  it('is refused once idle past PARLEY_DASHBOARD_IDLE_HOURS; using it keeps it alive', async () => {
    await business('ola');
    const used = await signIn('ola');
    const idle = await signIn('ola');
    // Both were last seen two minutes ago; only `idle` has passed its allowance.
    await t.db.execute(sql`update dashboard_sessions set last_seen_at = now() - interval '2 minutes'
      where user_id = (select id from users where username = 'ola')`);
    await t.db.execute(sql`update dashboard_sessions set expires_at = now() - interval '1 second'
      where token_hash = encode(sha256(convert_to(${idle.cookie.split('=')[1]!}, 'UTF8')), 'hex')`);

    const refused = await withCookie(idle, { method: 'GET', url: '/api/v1/auth/me/' });
    expect([refused.statusCode, refused.json<{ code: string }>().code]).toEqual([401, 'not_authenticated']);

    expect((await withCookie(used, { method: 'GET', url: '/api/v1/auth/me/' })).statusCode).toBe(200);
    const [row] = rowsOf<{ seen: boolean; left: number }>(
      await t.db.execute(
        sql`select last_seen_at > now() - interval '1 minute' as seen,
                   extract(epoch from expires_at - now()) / 3600 as left
              from dashboard_sessions
             where token_hash = encode(sha256(convert_to(${used.cookie.split('=')[1]!}, 'UTF8')), 'hex')`,
      ),
    );
    expect(row!.seen).toBe(true);
    // 72 hours from now, the default allowance.
    expect(Number(row!.left)).toBeGreaterThan(71.9);
    expect(Number(row!.left)).toBeLessThanOrEqual(72);
  });
});

describe('the lock-out', () => {
  it('is shared with token sign-in', async () => {
    const locked = await createTestApp({
      env: { PARLEY_SIGN_IN_FAILURES: '2', PARLEY_SIGN_IN_LOCKOUT_SECONDS: '60' },
    });
    try {
      await locked.signUp('pia', { password: 'pia-password' });
      const post = (url: string, password: string) =>
        locked.app.inject({ method: 'POST', url, payload: { username: 'pia', password } });
      expect((await post('/api/v1/auth/token/', 'guess 1')).statusCode).toBe(401);
      expect((await post('/api/v1/auth/session/', 'guess 2')).statusCode).toBe(401);
      const refused = await post('/api/v1/auth/session/', 'pia-password');
      expect([refused.statusCode, refused.json<{ code: string }>().code]).toEqual([429, 'rate_limited']);
      expect(refused.headers['set-cookie']).toBeUndefined();
      expect((await post('/api/v1/auth/token/', 'pia-password')).statusCode).toBe(429);
    } finally {
      await locked.close();
    }
  });
});

describe('over https', () => {
  it('marks the cookie Secure', async () => {
    const secure = await createTestApp({ env: { PUBLIC_URL: 'https://parley.example.com' } });
    try {
      await secure.signUp('quin', { password: 'quin-password' });
      const response = await secure.app.inject({
        method: 'POST',
        url: '/api/v1/auth/session/',
        payload: { username: 'quin', password: 'quin-password' },
        headers: { origin: 'https://parley.example.com' },
      });
      expect(response.statusCode).toBe(200);
      expect(String(response.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      await secure.close();
    }
  });
});
