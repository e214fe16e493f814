import { sessionEnded } from './api.js';
import type { LiveEvent } from './types.js';

// The dashboard's one WebSocket: the session cookie authenticates it (no token in the URL).
// It reconnects with exponential backoff and jitter; after every reconnect the app catches up
// through the sync endpoint, so nothing sent meanwhile is lost.

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  onEvent(event: LiveEvent): void;
  onState(state: ConnectionState): void;
  /** The socket is open again after a drop: fetch what was missed. */
  onReconnected(): void;
}

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
/** The server closes with this when the session ended: sign in again rather than retry. */
const SESSION_ENDED = 4001;

export function backoffDelay(attempt: number, random = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
  // "Equal jitter": at least half the ceiling, so clients that dropped together spread out.
  return ceiling / 2 + random() * (ceiling / 2);
}

export function connectLive(handlers: LiveHandlers): () => void {
  let socket: WebSocket | null = null;
  let attempt = 0;
  let everOpened = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const open = () => {
    if (stopped) return;
    handlers.onState(everOpened ? 'reconnecting' : 'connecting');
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws/`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onmessage = (frame) => {
      let event: LiveEvent;
      try {
        event = JSON.parse(String(frame.data)) as LiveEvent;
      } catch {
        return;
      }
      if (event.type === 'hello') {
        attempt = 0;
        handlers.onState('live');
        if (everOpened) handlers.onReconnected();
        everOpened = true;
        return;
      }
      handlers.onEvent(event);
    };
    ws.onclose = (close) => {
      if (socket !== ws || stopped) return;
      socket = null;
      if (close.code === SESSION_ENDED) {
        sessionEnded();
        return;
      }
      handlers.onState('reconnecting');
      timer = setTimeout(open, backoffDelay(attempt++));
    };
  };

  const wake = () => {
    // Back online or back in view: try now rather than wait out the backoff.
    if (!socket && !stopped) {
      clearTimeout(timer);
      open();
    }
  };
  window.addEventListener('online', wake);
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    window.removeEventListener('online', wake);
    socket?.close(1000);
    socket = null;
  };
}
