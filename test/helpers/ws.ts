import { WebSocket } from 'ws';
import { until } from './wait.js';

export interface Frame {
  type: string;
  data?: Record<string, unknown>;
}

export interface LiveClient {
  socket: WebSocket;
  /** Every frame received so far, in order. */
  frames: Frame[];
  /** Resolves with the first frame (from the start) that matches, waiting for it if need be. */
  waitFor(match: (frame: Frame) => boolean, ms?: number): Promise<Frame>;
  send(message: unknown): void;
  close(): Promise<void>;
}

/** Connects to `GET /ws/` and waits for the server's hello, after which no event is missed. */
export async function connectLive(
  baseUrl: string,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<LiveClient> {
  const url = new URL('/ws/', baseUrl.replace(/^http/, 'ws'));
  if (options.token) url.searchParams.set('token', options.token);
  const socket = new WebSocket(url, { headers: options.headers ?? {} });
  const frames: Frame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse((data as Buffer).toString()) as Frame));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const client: LiveClient = {
    socket,
    frames,
    waitFor: (match, ms) => until(() => frames.find(match), ms),
    send: (message) => socket.send(JSON.stringify(message)),
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close();
      await closed;
    },
  };
  await client.waitFor((frame) => frame.type === 'hello');
  return client;
}

export interface Refusal {
  status: number;
  body: unknown;
  /** True if the server switched protocols anyway. */
  upgraded: boolean;
}

/** Attempts the handshake and reports the HTTP answer that refused it. */
export function refusedHandshake(
  baseUrl: string,
  options: { path?: string; query?: string; headers?: Record<string, string> } = {},
) {
  const url = `${baseUrl.replace(/^http/, 'ws')}${options.path ?? '/ws/'}${options.query ?? ''}`;
  const socket = new WebSocket(url, { headers: options.headers ?? {} });
  return new Promise<Refusal>((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      resolve({ status: 101, body: undefined, upgraded: true });
    });
    socket.once('unexpected-response', (request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: reported as text.
        }
        resolve({ status: response.statusCode ?? 0, body, upgraded: false });
        request.destroy();
      });
      response.on('error', reject);
    });
    socket.once('error', (error) => {
      // After an unexpected response ws also reports an error; the refusal is already resolved then.
      if (socket.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}
