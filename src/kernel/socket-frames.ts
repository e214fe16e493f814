import type { RawData, WebSocket } from 'ws';

/** What a WebSocket client sent, as text. */
export function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}

/** The JSON in a client's frame, or undefined for anything else. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A socket's inbound allowance: a burst of `perSecond` messages, refilled at
 * `perSecond` a second. Returns false once a message goes over it.
 */
export function messageBudget(perSecond: number, now: () => number = Date.now): () => boolean {
  let tokens = perSecond;
  let last = now();
  return () => {
    const at = now();
    tokens = Math.min(perSecond, tokens + ((at - last) / 1000) * perSecond);
    last = at;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/**
 * Finds sockets whose peer went away without closing: each beat pings every
 * socket, and ends one that did not answer the previous beat's ping.
 */
export function socketLiveness() {
  const alive = new WeakSet<WebSocket>();
  return {
    track(socket: WebSocket): void {
      alive.add(socket);
      socket.on('pong', () => alive.add(socket));
    },
    beat(sockets: Iterable<WebSocket>): void {
      for (const socket of sockets) {
        if (!alive.has(socket)) {
          socket.terminate();
          continue;
        }
        alive.delete(socket);
        socket.ping();
      }
    },
  };
}
