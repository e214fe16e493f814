import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { connectLive } from '../helpers/ws.js';

/**
 * Slow clients cannot hold a connection: headers must arrive within the headers
 * timeout and the whole request within the request timeout. A WebSocket, once
 * upgraded, is past all of them. Timeouts are set tiny here; what is asserted
 * is the outcome (a 408, a closed socket, a socket still answering), never how
 * long anything took.
 */
let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await createTestApp({
    env: {
      PARLEY_HEADERS_TIMEOUT_MS: '300',
      PARLEY_REQUEST_TIMEOUT_MS: '600',
      PARLEY_CONNECTION_TIMEOUT_MS: '800',
      PARLEY_KEEP_ALIVE_TIMEOUT_MS: '500',
      // The idle timeout must outlast a model call; config refuses it otherwise.
      GEMINI_DEADLINE_MS: '200',
    },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
});
afterAll(() => t.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a raw connection, lets `talk` write to it, and resolves with all it received once the server closes it. */
function rawClient(talk: (socket: net.Socket, closed: () => boolean) => Promise<void>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let closed = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      resolve(received);
    });
    socket.once('connect', () => {
      talk(socket, () => closed).catch(reject);
    });
  });
}

const head = (bodyLength: number) =>
  `POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${bodyLength}\r\n\r\n`;

describe('a slow client', () => {
  it('that never finishes its headers gets 408 and its socket closed', async () => {
    const received = await rawClient(async (socket) => {
      socket.write('POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    });
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('that drips its body, byte after byte, gets 408 and its socket closed', async () => {
    const body = JSON.stringify({ username: 'alice', password: 'x'.repeat(200) });
    let sent = 0;
    const received = await rawClient(async (socket, closed) => {
      socket.write(head(body.length));
      // One byte every 50 ms keeps the connection busy, so only the request timeout can end it.
      while (!closed() && sent < body.length - 1) {
        socket.write(body[sent]!);
        sent += 1;
        await sleep(50);
      }
    });
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(sent).toBeLessThan(body.length - 1);
  });

  it('that sends headers and then nothing gets its socket closed', async () => {
    const received = await rawClient(async (socket) => {
      socket.write(head(50));
      socket.write('{"username": ');
    });
    // The request timeout answers 408; the idle timeout closes without a word. Either way, it is gone.
    expect(received === '' || /^HTTP\/1\.1 408 /.test(received)).toBe(true);
  });

  it('does not stop a client that sends in time', async () => {
    await t.signUp('quick', { password: 'quick-password' });
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/auth/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'quick', password: 'quick-password' }),
    });
    expect(response.status).toBe(200);
  });
});

describe('a WebSocket', () => {
  it('stays open and answering long after every HTTP timeout has passed', async () => {
    const token = await t.signUp('watcher');
    const live = await connectLive(`http://127.0.0.1:${port}`, { token });
    try {
      await sleep(2_000);
      live.send({ type: 'ping' });
      await live.waitFor((frame) => frame.type === 'pong');
      expect(live.socket.readyState).toBe(live.socket.OPEN);
    } finally {
      await live.close();
    }
  });
});
