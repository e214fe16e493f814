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

/** How often a heartbeat's wheel turns: each turn pings the sockets of one slot. */
const SLOT_MS = 250;

export interface SocketHeartbeat {
  /** Pings the socket once a period from now on; ends it if it did not answer the previous ping. */
  track(socket: WebSocket): void;
  stop(): void;
}

/**
 * Finds sockets whose peer went away without closing: every socket is pinged
 * once a period and ended if it did not answer the previous ping. The period is
 * cut into slots of about 250 ms and each socket sits in one of them, so a turn
 * pings a slot's share: pinging ten thousand sockets at once held the event loop
 * for 200–400 ms, and every event waited behind it. The listeners are shared
 * functions, not a closure per socket.
 */
export function socketHeartbeat(periodMs: number): SocketHeartbeat {
  const slots = Math.max(1, Math.round(periodMs / SLOT_MS));
  const wheel = Array.from({ length: slots }, () => new Set<WebSocket>());
  const slotOf = new WeakMap<WebSocket, Set<WebSocket>>();
  const answered = new WeakSet<WebSocket>();
  // New sockets go round the slots in turn, so each holds its share.
  let joining = 0;
  let turn = 0;
  function onPong(this: WebSocket): void {
    answered.add(this);
  }
  function onClose(this: WebSocket): void {
    slotOf.get(this)?.delete(this);
  }
  const timer = setInterval(() => {
    const slot = wheel[turn]!;
    turn = (turn + 1) % slots;
    for (const socket of slot) {
      if (!answered.has(socket)) {
        socket.terminate();
        continue;
      }
      answered.delete(socket);
      socket.ping();
    }
  }, periodMs / slots);
  timer.unref();
  return {
    track(socket) {
      answered.add(socket);
      const slot = wheel[joining]!;
      joining = (joining + 1) % slots;
      slot.add(socket);
      slotOf.set(socket, slot);
      socket.on('pong', onPong);
      socket.on('close', onClose);
    },
    stop: () => clearInterval(timer),
  };
}
