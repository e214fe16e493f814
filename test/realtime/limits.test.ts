import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createApiToken, findUser } from '../../src/auth/auth.service.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { testDatabaseKind } from '../helpers/database.js';
import { connectLive, type LiveClient } from '../helpers/ws.js';
import { until } from '../helpers/wait.js';

/** Small limits, so each can be reached: what a client past one sees is a 1008 close naming it. */
let t: TestApp;
let baseUrl: string;
let open: LiveClient[] = [];

beforeAll(async () => {
  t = await createTestApp({
    env: {
      PARLEY_WS_MAX_CONNECTIONS: '5',
      PARLEY_WS_MAX_PER_BUSINESS: '3',
      PARLEY_WS_MAX_PER_TOKEN: '2',
      PARLEY_WS_MESSAGES_PER_SECOND: '5',
    },
  });
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(async () => {
  await Promise.all(open.map((client) => client.close()));
  open = [];
  // Closed on the server too, so the next test starts from no connections.
  await until(() => (t.app.websocketConnections() === 0 ? true : undefined));
});
afterAll(() => t.close());

async function live(token: string): Promise<LiveClient> {
  const client = await connectLive(baseUrl, { token });
  open.push(client);
  return client;
}

/** Connects and reports how the server closed the socket, and whether a hello came first. */
function turnedAway(token: string): Promise<{ code: number; reason: string; hello: boolean }> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws/?token=${token}`);
  let hello = false;
  socket.on('message', () => (hello = true));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString(), hello }));
  });
}

async function answers(client: LiveClient): Promise<boolean> {
  const before = client.frames.filter((frame) => frame.type === 'pong').length;
  client.send({ type: 'ping' });
  await until(() => (client.frames.filter((frame) => frame.type === 'pong').length > before ? true : undefined));
  return true;
}

let businesses = 0;
/** A new business with `count` tokens. */
async function business(count: number): Promise<string[]> {
  const username = `business-${++businesses}`;
  const first = await t.signUp(username);
  const user = (await findUser(t.db, username))!;
  const others = await Promise.all(
    Array.from({ length: count - 1 }, (_, index) => createApiToken(t.db, user.id, `token ${index + 2}`)),
  );
  return [first, ...others];
}

describe(`WebSocket limits (${testDatabaseKind})`, () => {
  it('closes a third socket of one token with 1008, and takes the same business on another token', async () => {
    const [first, second] = await business(2);
    const kept = [await live(first!), await live(first!)];

    expect(await turnedAway(first!)).toEqual({
      code: 1008,
      reason: 'too many connections for this token',
      hello: false,
    });
    const other = await live(second!);
    for (const client of [...kept, other]) expect(await answers(client)).toBe(true);
  });

  it("closes a business's fourth socket with 1008, and takes another business's", async () => {
    const [a, b, c] = await business(3);
    const [other] = await business(1);
    const kept = [await live(a!), await live(a!), await live(b!)];

    expect(await turnedAway(c!)).toEqual({
      code: 1008,
      reason: 'too many connections for this business',
      hello: false,
    });
    const elsewhere = await live(other!);
    for (const client of [...kept, elsewhere]) expect(await answers(client)).toBe(true);
  });

  it('closes the sixth socket of the process with 1008, and takes one again once a socket has left', async () => {
    const tokens = [...(await business(3)), ...(await business(3))];
    const kept = [];
    for (const token of tokens.slice(0, 5)) kept.push(await live(token));

    expect(await turnedAway(tokens[5]!)).toEqual({
      code: 1008,
      reason: 'too many connections to this server',
      hello: false,
    });

    await kept[0]!.close();
    await until(() => (t.app.websocketConnections() === 4 ? true : undefined));
    const again = await live(tokens[5]!);
    expect(await answers(again)).toBe(true);
  });

  it('closes a socket that sends more than its messages a second with 1008, and not its neighbour', async () => {
    const [token] = await business(1);
    const flooding = await live(token!);
    const calm = await live(token!);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      flooding.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );

    for (let i = 0; i < 20; i++) flooding.send({ type: 'ping' });

    expect(await closed).toEqual({ code: 1008, reason: 'too many messages' });
    // The burst allowance was answered before the socket closed.
    expect(flooding.frames.filter((frame) => frame.type === 'pong').length).toBeGreaterThanOrEqual(1);
    expect(flooding.frames.filter((frame) => frame.type === 'pong').length).toBeLessThanOrEqual(5);
    expect(await answers(calm)).toBe(true);
  });
});
