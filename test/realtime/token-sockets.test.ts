import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, findUser } from '../../src/auth/auth.service.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { testDatabaseKind } from '../helpers/database.js';
import { connectLive, refusedHandshake, type LiveClient } from '../helpers/ws.js';
import { until } from '../helpers/wait.js';

/** A socket lives no longer than its token: revoked or expired, it closes with 4001. */
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

async function live(token: string): Promise<LiveClient> {
  const client = await connectLive(baseUrl, { token });
  clients.push(client);
  return client;
}

function closeOf(client: LiveClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    client.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** A pong back shows the socket is open and served. */
async function answers(client: LiveClient): Promise<boolean> {
  const before = client.frames.filter((frame) => frame.type === 'pong').length;
  client.send({ type: 'ping' });
  await until(() => (client.frames.filter((frame) => frame.type === 'pong').length > before ? true : undefined));
  return true;
}

async function tokenIds(token: string): Promise<{ id: string; current: boolean }[]> {
  const response = await t.as(token, { method: 'GET', url: '/api/v1/auth/tokens/' });
  return response.json<{ results: { id: string; current: boolean }[] }>().results;
}

describe(`a WebSocket and its token (${testDatabaseKind})`, () => {
  it("closes with 4001 when its token is revoked by id, and leaves another token's socket open", async () => {
    const laptop = await t.signUp('shop');
    const user = (await findUser(t.db, 'shop'))!;
    const phone = await createApiToken(t.db, user.id, 'phone');
    const onLaptop = await live(laptop);
    const onPhone = await live(phone);
    const phoneId = (await tokenIds(phone)).find((token) => token.current)!.id;

    const closed = closeOf(onPhone);
    const response = await t.as(laptop, { method: 'DELETE', url: `/api/v1/auth/tokens/${phoneId}/` });
    expect(response.statusCode).toBe(204);
    expect(await closed).toEqual({ code: 4001, reason: 'token revoked' });

    expect(await answers(onLaptop)).toBe(true);
    expect((await refusedHandshake(baseUrl, { query: `?token=${phone}` })).status).toBe(401);
  });

  it('closes when its token signs itself out', async () => {
    const token = await t.signUp('leaver');
    const client = await live(token);
    const closed = closeOf(client);
    expect((await t.as(token, { method: 'DELETE', url: '/api/v1/auth/token/' })).statusCode).toBe(204);
    expect(await closed).toEqual({ code: 4001, reason: 'token revoked' });
  });

  it('closes with 4001 when its token expires', { timeout: 30_000 }, async () => {
    const keeper = await t.signUp('brief');
    const user = (await findUser(t.db, 'brief'))!;
    const brief = await createApiToken(t.db, user.id, 'brief', { expiresAt: new Date(Date.now() + 1_500) });
    const expiring = await live(brief);
    const staying = await live(keeper);

    expect(await closeOf(expiring)).toEqual({ code: 4001, reason: 'token expired' });
    expect(await answers(staying)).toBe(true);
  });
});
