import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../helpers/database.js';
import { cleanEnv, runParley, startParley, type ParleyServer } from '../helpers/processes.js';
import { connectLive, type LiveClient } from '../helpers/ws.js';

/**
 * Two `parley serve` processes on one PostgreSQL and one Redis: a token
 * revoked, or a dashboard session signed out, through one closes its sockets
 * on the other. And a server without Redis, which nobody can tell, finds a
 * CLI revoke at its next heartbeat.
 */
let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let env: NodeJS.ProcessEnv;
let serverA: ParleyServer;
let serverB: ParleyServer;
const clients: LiveClient[] = [];

beforeAll(async () => {
  database = await createPostgresDatabase();
  env = cleanEnv({
    DATABASE_URL: database.url,
    REDIS_URL: process.env.TEST_REDIS_URL!,
    // Its own namespace in the shared Redis, so no other suite's process hears these revokes.
    PARLEY_REDIS_PREFIX: `parley-test-revoke-${randomBytes(4).toString('hex')}`,
    APP_SECRET: 'revoke-test-secret-revoke-test-secret-0123',
  });
  // The first migrates; the second starts on a migrated database.
  serverA = await startParley(env, 'serve', 90_000);
  serverB = await startParley(env, 'serve', 90_000);
  const created = await runParley(['createuser', 'shop', '--password', 'revoke-password'], env);
  expect(created.code, created.stderr).toBe(0);
}, 240_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all([serverA, serverB].map((server) => server?.stop()));
  await database?.drop();
});

async function signIn(server: ParleyServer): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/auth/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'shop', password: 'revoke-password' }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

async function live(server: ParleyServer, token: string): Promise<LiveClient> {
  const client = await connectLive(server.url, { token });
  clients.push(client);
  return client;
}

function closeOf(client: LiveClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    client.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

async function answers(client: LiveClient): Promise<boolean> {
  client.send({ type: 'ping' });
  await client.waitFor((frame) => frame.type === 'pong', 10_000);
  return true;
}

const request = (server: ParleyServer, token: string, method: string, path: string) =>
  fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });

describe('token revokes across serve processes (PostgreSQL + Redis)', { timeout: 60_000 }, () => {
  it('closes the socket on B of a token revoked by id on A, and no other', async () => {
    const doomed = await signIn(serverA);
    const kept = await signIn(serverB);
    const doomedOnB = await live(serverB, doomed);
    const keptOnB = await live(serverB, kept);
    const closed = closeOf(doomedOnB);

    const tokens = (await (await request(serverA, doomed, 'GET', '/api/v1/auth/tokens/')).json()) as {
      results: { id: string; current: boolean }[];
    };
    const id = tokens.results.find((token) => token.current)!.id;
    expect((await request(serverA, kept, 'DELETE', `/api/v1/auth/tokens/${id}/`)).status).toBe(204);

    expect(await closed).toEqual({ code: 4001, reason: 'token revoked' });
    expect(await answers(keptOnB)).toBe(true);
    // B heard the revoke, so it does not wait out its token cache either.
    expect((await request(serverB, doomed, 'GET', '/api/v1/auth/me/')).status).toBe(401);
  });

  it('closes the socket on B of a token that signed itself out on A', async () => {
    const token = await signIn(serverA);
    const onB = await live(serverB, token);
    const closed = closeOf(onB);
    expect((await request(serverA, token, 'DELETE', '/api/v1/auth/token/')).status).toBe(204);
    expect(await closed).toEqual({ code: 4001, reason: 'token revoked' });
  });

  it('closes the socket on B of a dashboard session signed out on A', async () => {
    const signedIn = await fetch(`${serverA.url}/api/v1/auth/session/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'shop', password: 'revoke-password' }),
    });
    expect(signedIn.status).toBe(200);
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
    const { csrf_token: csrf } = (await signedIn.json()) as { csrf_token: string };
    const onB = await connectLive(serverB.url, { headers: { cookie, origin: serverB.url } });
    clients.push(onB);
    const closed = closeOf(onB);

    const signedOut = await fetch(`${serverA.url}/api/v1/auth/session/`, {
      method: 'DELETE',
      headers: { cookie, 'x-csrf-token': csrf, origin: serverA.url },
    });
    expect(signedOut.status).toBe(204);
    expect(await closed).toEqual({ code: 4001, reason: 'signed out' });
    // B heard it, so its session cache does not keep the session alive either.
    const me = await fetch(`${serverB.url}/api/v1/auth/me/`, { headers: { cookie } });
    expect(me.status).toBe(401);
  });

  it(
    'closes the socket of a token the CLI revoked without Redis, at the next heartbeat',
    { timeout: 150_000 },
    async () => {
      // A server and a CLI that share only the database: nobody announces the revoke to the server.
      const { REDIS_URL: _redis, ...withoutRedis } = env;
      const alone = await startParley(withoutRedis, 'serve', 90_000);
      try {
        const token = await signIn(alone);
        const client = await live(alone, token);
        const closed = closeOf(client);
        const listed = await runParley(['token', 'list', 'shop', '--json'], withoutRedis);
        const id = (JSON.parse(listed.stdout) as { id: string; name: string }[]).find(
          (item) => item.name === 'sign-in',
        )!.id;
        const revoked = await runParley(['token', 'revoke', id], withoutRedis);
        expect(revoked.code, revoked.stderr).toBe(0);
        // Within one 30-second heartbeat the server rechecks the tokens of its open sockets.
        expect(await closed).toEqual({ code: 4001, reason: 'token revoked or expired' });
      } finally {
        await alone.stop();
      }
    },
  );
});
