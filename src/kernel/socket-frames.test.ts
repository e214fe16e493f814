import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { socketHeartbeat, type SocketHeartbeat } from './socket-frames.js';

const opened: { server: WebSocketServer; heartbeat: SocketHeartbeat; clients: WebSocket[] }[] = [];

afterEach(async () => {
  for (const { server, heartbeat, clients } of opened.splice(0)) {
    heartbeat.stop();
    for (const client of clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server whose sockets the heartbeat tracks, and `clients` connected to it; `answering` false for a peer that went away. */
async function connect(periodMs: number, answering: boolean[]) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const heartbeat = socketHeartbeat(periodMs);
  const serverSockets: WebSocket[] = [];
  server.on('connection', (socket) => {
    serverSockets.push(socket);
    heartbeat.track(socket);
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const clients: WebSocket[] = [];
  opened.push({ server, heartbeat, clients });
  for (const answers of answering) {
    // A client that does not answer pings stands for a peer gone without closing (a laptop shut).
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { autoPong: answers });
    clients.push(client);
    await new Promise((resolve) => client.once('open', resolve));
  }
  return { clients, serverSockets };
}

const closed = (socket: WebSocket) =>
  socket.readyState === WebSocket.CLOSED
    ? Promise.resolve()
    : new Promise<void>((resolve) => socket.once('close', () => resolve()));

describe('the sockets heartbeat', () => {
  it('ends a socket whose peer stopped answering pings, and keeps those that answer', async () => {
    const { clients, serverSockets } = await connect(100, [true, false, true]);
    const pinged: number[] = [0, 0, 0];
    clients.forEach((client, index) => client.on('ping', () => pinged[index]!++));

    await closed(serverSockets[1]!);
    // The others were pinged too, answered, and stay open until they have been pinged again.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(pinged[1]).toBeGreaterThan(0);
    expect(pinged[0]).toBeGreaterThan(1);
    expect(pinged[2]).toBeGreaterThan(1);
    expect([serverSockets[0]!.readyState, serverSockets[2]!.readyState]).toEqual([WebSocket.OPEN, WebSocket.OPEN]);
  });

  it('pings every socket once a period, a share of them at a time', async () => {
    // Two slots of 250 ms: the four sockets go round them, two to a slot.
    const { clients } = await connect(500, Array<boolean>(4).fill(true));
    const pingedAt: number[][] = clients.map(() => []);
    const started = Date.now();
    clients.forEach((client, index) => client.on('ping', () => pingedAt[index]!.push(Date.now() - started)));
    // Each socket pinged again and again (polled: a busy machine runs timers late) …
    const deadline = Date.now() + 10_000;
    while (pingedAt.some((times) => times.length < 2) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(pingedAt.map((times) => times.length >= 2)).toEqual(Array<boolean>(4).fill(true));
    // … never all of them in one turn of the wheel: turns are a slot (250 ms) apart.
    const firstPings = pingedAt.map((times) => Math.floor(times[0]! / 250));
    expect(new Set(firstPings).size).toBeGreaterThan(1);
  });
});
