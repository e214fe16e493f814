// Talking to Parley: the public API (the visitor token in a header, never in a URL) and the socket
// (the token in its first frame), which reconnects with backoff after a drop.
import type { ServerFrame } from './wire.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** Seconds, from Retry-After on a 429. */
    readonly retryAfter: number | null,
  ) {
    super(`${status} ${code}`);
  }
}

export async function call<T>(api: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers['x-parley-visitor'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(api + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    credentials: 'omit',
  }).catch(() => {
    throw new ApiError(0, 'network', null);
  });
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const code =
      typeof payload === 'object' && payload !== null && 'code' in payload && typeof payload.code === 'string'
        ? payload.code
        : 'error';
    const retry = Number(response.headers.get('retry-after'));
    throw new ApiError(response.status, code, Number.isFinite(retry) && retry > 0 ? retry : null);
  }
  return payload as T;
}

const PING_EVERY_MS = 25_000;
const MAX_BACKOFF_MS = 30_000;

/** The conversation's socket: authenticates with its first frame and comes back after every drop. */
export class Live {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private stopped = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private ping: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly onFrame: (frame: ServerFrame) => void,
    /** The token was refused (4401): the panel starts a new visitor. */
    private readonly onRefused: () => void,
  ) {
    window.addEventListener('online', this.reconnectNow);
    this.connect();
  }

  send(frame: { type: 'typing'; typing: boolean }): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.reconnectNow);
    clearTimeout(this.retry);
    clearInterval(this.ping);
    this.socket?.close(1000);
  }

  private readonly reconnectNow = () => {
    if (this.stopped || this.socket?.readyState === WebSocket.OPEN) return;
    clearTimeout(this.retry);
    this.attempt = 0;
    this.connect();
  };

  private connect(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', visitor_token: this.token }));
    socket.onmessage = (event: MessageEvent<string>) => {
      let frame: ServerFrame;
      try {
        frame = JSON.parse(event.data) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        this.attempt = 0;
        clearInterval(this.ping);
        this.ping = setInterval(() => socket.send('{"type":"ping"}'), PING_EVERY_MS);
      }
      this.onFrame(frame);
    };
    socket.onclose = (event) => {
      clearInterval(this.ping);
      if (this.stopped || socket !== this.socket) return;
      if (event.code === 4401) return this.onRefused();
      // 1 s, 2 s, 4 s … up to 30 s, each between half and all of it, so a server restart is not stampeded.
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
      this.retry = setTimeout(() => this.connect(), delay);
    };
  }
}
