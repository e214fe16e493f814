/**
 * A share of bench:ws's dashboard clients, on a worker thread of its own, so
 * that reading ten thousand sockets' frames is not one event loop's work and
 * the bench does not become what it measures. It connects its clients when
 * told, notes when each measured frame arrives (on the machine's clock:
 * `performance.timeOrigin + performance.now()`, comparable across threads) and
 * hands the notes over when asked. See ./client-pool.ts for the other side.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { WebSocket } from 'ws';
import type { Command, Reply } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('clients.worker.ts runs as a worker thread');

const FIRST_PIECE = /^m(\d+)\|$/;
const COMPLETED_TEXT = /^m(\d+)\|/;
const now = () => performance.timeOrigin + performance.now();

/** Asks and arrival times of first pieces (`ai.reply.delta`) and of `ai.reply.completed`, since the last reset. */
let deltaAsks: number[] = [];
let deltaAt: number[] = [];
let completedAsks: number[] = [];
let completedAt: number[] = [];
let loop = monitorEventLoopDelay({ resolution: 10 });
const sockets: WebSocket[] = [];

function onFrame(data: Buffer): void {
  const text = data.toString();
  // Most frames are not measured: skip their parsing, which would otherwise weigh on the figures.
  const delta = text.includes('"ai.reply.delta"');
  if (!delta && !text.includes('"ai.reply.completed"')) return;
  const at = now();
  const frame = JSON.parse(text) as { data: { text?: string; message?: { text: string } } };
  if (delta) {
    const ask = FIRST_PIECE.exec(frame.data.text ?? '')?.[1];
    if (ask === undefined) return;
    deltaAsks.push(Number(ask));
    deltaAt.push(at);
    return;
  }
  const ask = COMPLETED_TEXT.exec(frame.data.message?.text ?? '')?.[1];
  if (ask === undefined) return;
  completedAsks.push(Number(ask));
  completedAt.push(at);
}

function openClient(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  // Text frames arrive as one Buffer (the default binaryType).
  socket.on('message', (data) => onFrame(data as Buffer));
  return new Promise((resolve, reject) => {
    // The server's hello is the sign that this client's room is joined.
    socket.once('message', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`the handshake was refused with ${response.statusCode}`)),
    );
    socket.once('close', (code, reason) => reject(new Error(`closed before its hello: ${code} ${reason.toString()}`)));
  });
}

/** Opens `urls`, `batch` handshakes in flight at a time; a client that fails is noted, not retried. */
async function connect(urls: string[], batch: number): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < urls.length) {
      const url = urls[next++]!;
      try {
        sockets.push(await openClient(url));
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(batch, urls.length) }, lane));
  return failures;
}

function reply(message: Reply): void {
  port!.postMessage(message);
}

port.on('message', (command: Command) => {
  switch (command.type) {
    case 'connect': {
      const started = now();
      void connect(command.urls, command.inFlight).then((failures) =>
        reply({ type: 'connected', ms: now() - started, open: sockets.length, failures }),
      );
      return;
    }
    case 'reset':
      deltaAsks = [];
      deltaAt = [];
      completedAsks = [];
      completedAt = [];
      loop.disable();
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      reply({ type: 'reset' });
      return;
    case 'count':
      reply({ type: 'count', deltas: deltaAsks.length });
      return;
    case 'collect':
      loop.disable();
      reply({
        type: 'collected',
        deltaAsks,
        deltaAt,
        completedAsks,
        completedAt,
        // Nanoseconds in the histogram; NaN when it saw nothing.
        loopDelay: { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 },
        open: sockets.filter((socket) => socket.readyState === WebSocket.OPEN).length,
      });
      return;
    case 'close':
      for (const socket of sockets) socket.terminate();
      sockets.length = 0;
      reply({ type: 'closed' });
      return;
  }
});
