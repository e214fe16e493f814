import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUser } from '../../src/auth/auth.service.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { testDatabaseKind } from '../helpers/database.js';
import { connectLive, refusedHandshake, type LiveClient } from '../helpers/ws.js';
import { until } from '../helpers/wait.js';

/**
 * The dashboard's WebSocket (issue #13): opened with the session cookie and no
 * token, only from the server's own pages, and closed with 4001 on sign-out.
 */
let t: TestApp;
let baseUrl: string;
const clients: LiveClient[] = [];
const PARTNER = 'https://partner.example';

beforeAll(async () => {
  // A partner site may use tokens on /ws/; the cookie is for this server's own pages only.
  t = await createTestApp({ env: { CORS_ORIGINS: PARTNER } });
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t.close();
});

interface Session {
  cookie: string;
  csrf: string;
}

async function signIn(username: string): Promise<Session> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/session/',
    payload: { username, password: `${username}-password` },
  });
  expect(response.statusCode).toBe(200);
  return {
    cookie: String(response.headers['set-cookie']).split(';')[0]!,
    csrf: response.json<{ csrf_token: string }>().csrf_token,
  };
}

async function live(options: Parameters<typeof connectLive>[1]): Promise<LiveClient> {
  const client = await connectLive(baseUrl, options);
  clients.push(client);
  return client;
}

/** As a browser on the dashboard served by this server sends the handshake. */
const fromDashboard = (session: Session) => ({ headers: { cookie: session.cookie, origin: baseUrl } });

function closeOf(client: LiveClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    client.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

async function answers(client: LiveClient): Promise<boolean> {
  const before = client.frames.filter((frame) => frame.type === 'pong').length;
  client.send({ type: 'ping' });
  await until(() => (client.frames.filter((frame) => frame.type === 'pong').length > before ? true : undefined));
  return true;
}

const signOut = (session: Session) =>
  t.app.inject({
    method: 'DELETE',
    url: '/api/v1/auth/session/',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, origin: 'http://127.0.0.1:8000' },
  });

describe(`a WebSocket opened with the session cookie (${testDatabaseKind})`, () => {
  it("gets the business's live events, without a token", async () => {
    await t.signUp('rita', { password: 'rita-password' });
    const client = await live(fromDashboard(await signIn('rita')));
    expect(client.frames[0]).toMatchObject({ type: 'hello', data: { username: 'rita' } });

    const user = (await findUser(t.db, 'rita'))!;
    t.events.publish(user.id, { type: 'ai.reply.started', data: { conversation_id: 'c1' } });
    expect(await client.waitFor((frame) => frame.type === 'ai.reply.started')).toMatchObject({
      data: { conversation_id: 'c1' },
    });
  });

  it('is refused from another site, even one allowed to use tokens', async () => {
    const token = await t.signUp('sven', { password: 'sven-password' });
    const session = await signIn('sven');
    for (const origin of [PARTNER, 'https://evil.example']) {
      const refused = await refusedHandshake(baseUrl, { headers: { cookie: session.cookie, origin } });
      expect(refused.upgraded).toBe(false);
      expect(refused.status).toBe(403);
    }
    const partnerCookie = await refusedHandshake(baseUrl, { headers: { cookie: session.cookie, origin: PARTNER } });
    expect(partnerCookie.body).toMatchObject({ code: 'csrf_failed' });
    // The partner's token socket is as before.
    const withToken = await live({ token, headers: { origin: PARTNER } });
    expect(await answers(withToken)).toBe(true);
  });

  it('is refused with an unknown or ended session', async () => {
    await t.signUp('tove', { password: 'tove-password' });
    const session = await signIn('tove');
    const unknown = await refusedHandshake(baseUrl, {
      headers: { cookie: 'parley_session=made-up', origin: baseUrl },
    });
    expect([unknown.status, unknown.body]).toMatchObject([401, { code: 'not_authenticated' }]);
    expect((await signOut(session)).statusCode).toBe(204);
    const ended = await refusedHandshake(baseUrl, fromDashboard(session));
    expect([ended.status, ended.body]).toMatchObject([401, { code: 'not_authenticated' }]);
  });

  it("closes with 4001 on sign-out, leaving the same user's other sessions and tokens open", async () => {
    const token = await t.signUp('ulla', { password: 'ulla-password' });
    const leaving = await signIn('ulla');
    const staying = await signIn('ulla');
    const leavingSocket = await live(fromDashboard(leaving));
    const stayingSocket = await live(fromDashboard(staying));
    const tokenSocket = await live({ token });

    const closed = closeOf(leavingSocket);
    expect((await signOut(leaving)).statusCode).toBe(204);
    expect(await closed).toEqual({ code: 4001, reason: 'signed out' });
    expect(await answers(stayingSocket)).toBe(true);
    expect(await answers(tokenSocket)).toBe(true);
  });
});
