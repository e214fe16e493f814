import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Shared plumbing for the loopback fakes: listening, body reading, JSON answers, outbound deliveries. */

export interface ListenOptions {
  host?: string;
  port?: number;
}

export type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export interface Listening {
  server: Server;
  /** `http://host:port`, no trailing slash. */
  origin: string;
}

/**
 * Starts a server on loopback. `onError` answers in the fake's own error shape: a fake that
 * crashes with an HTML page or a dropped socket would test the wrong failure mode.
 */
export function listen(
  handler: Handler,
  onError: (response: ServerResponse, error: unknown) => void,
  options: ListenOptions = {},
): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    handler(request, response).catch((error: unknown) => onError(response, error));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const printable = host.includes(':') ? `[${host}]` : host;
      resolve({ server, origin: `http://${printable}:${port}` });
    });
  });
}

/** Closes the server, cutting keep-alive sockets that fetch keeps open, so tests never hang on teardown. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(response, status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
}

/** Sends a body as it is: a proxy's HTML error page, say, which clients must survive too. */
export function sendText(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  response.end(body);
}

/**
 * Waits `ms` before a fake goes on answering, without holding up other requests. False when the
 * client hung up or `signal` (the fake closing) fired meanwhile: then nothing more should be sent.
 */
export async function pause(ms: number | undefined, response: ServerResponse, signal: AbortSignal): Promise<boolean> {
  if (ms === undefined || ms <= 0) return !response.destroyed;
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  response.once('close', onClose);
  try {
    await sleep(ms, undefined, { signal: AbortSignal.any([gone.signal, signal]) });
  } catch {
    return false;
  } finally {
    response.off('close', onClose);
  }
  return !response.destroyed;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The media type without parameters, lower-cased. */
export function mediaType(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Form values arrive as strings; both APIs let structured parameters (Telegram's allowed_updates,
 * Graph's recipient and message) be JSON-encoded inside them, so those are decoded when they look like JSON.
 */
export function parseForm(text: string, jsonFields: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    result[key] = jsonFields.includes(key) ? tryJson(value) : value;
  }
  return result;
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

export interface Delivery {
  status: number;
  body: string;
}

/** Sends one request the way a platform's webhook sender would, returning what the receiver answered. */
export async function deliverRequest(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
): Promise<Delivery> {
  const response = await fetch(url, { ...init, redirect: 'manual' });
  return { status: response.status, body: await response.text() };
}
