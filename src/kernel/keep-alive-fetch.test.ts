import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFailureReason } from './fetch-failure.js';
import { keepAliveFetch } from './keep-alive-fetch.js';

/** A server on 127.0.0.1 whose routes the tests write as plain node:http handlers. */
const routes = new Map<string, http.RequestListener>();
const server = http.createServer((request, response) => {
  const route = routes.get(request.url ?? '');
  if (route) route(request, response);
  else response.writeHead(404).end();
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const bodyOf = (request: http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => resolve(text));
  });

describe('keepAliveFetch', () => {
  it('sends the method, headers and body, and gives back the status, headers and body', async () => {
    let seen: { method?: string; type?: string; length?: string; body: string } | undefined;
    routes.set('/echo', (request, response) => {
      void answerEcho(request, response);
    });
    const answerEcho = async (request: http.IncomingMessage, response: http.ServerResponse) => {
      const body = await bodyOf(request);
      seen = {
        method: request.method,
        type: request.headers['content-type'],
        length: request.headers['content-length'],
        body,
      };
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ got: JSON.parse(body) }));
    };
    const text = JSON.stringify({ chat_id: 7, text: 'Open on Sunday? Yes, 10–16.' });
    const response = await keepAliveFetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    expect(seen).toEqual({
      method: 'POST',
      type: 'application/json',
      length: String(Buffer.byteLength(text)),
      body: text,
    });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ got: { chat_id: 7, text: 'Open on Sunday? Yes, 10–16.' } });
  });

  it('keeps the connection for the next call', async () => {
    const ports: number[] = [];
    routes.set('/port', (request, response) => {
      ports.push(request.socket.remotePort ?? 0);
      response.end('ok');
    });
    for (let i = 0; i < 3; i++) expect(await (await keepAliveFetch(`${base}/port`)).text()).toBe('ok');
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
  });

  it('passes a stream of events on as it arrives', async () => {
    let sendSecond: (() => void) | undefined;
    routes.set('/events', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: first\n\n');
      sendSecond = () => response.end('data: second\n\n');
    });
    const response = await keepAliveFetch(`${base}/events`);
    const reader = response.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const decoder = new TextDecoder();
    // The first event is readable while the server still holds back the second.
    expect(decoder.decode((await reader.read()).value)).toBe('data: first\n\n');
    sendSecond!();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += decoder.decode(chunk.value);
    expect(rest).toBe('data: second\n\n');
  });

  it('gives no body for 204', async () => {
    routes.set('/empty', (_request, response) => response.writeHead(204).end());
    const response = await keepAliveFetch(`${base}/empty`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it('gives up when its signal times out, as fetch does, and closes the request', async () => {
    let closed: Promise<void> | undefined;
    routes.set('/silent', (request) => {
      closed = new Promise((resolve) => request.socket.once('close', () => resolve()));
    });
    const error = await keepAliveFetch(`${base}/silent`, { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    expect(fetchFailureReason(error, 50)).toBe('no answer within 0.05 s');
    await closed;
  });

  it('fails as fetch does when nothing listens, with the reason in its cause', async () => {
    const spare = http.createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
    const error = await keepAliveFetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('fetch failed');
    expect(fetchFailureReason(error, 1000)).toMatch(/ECONNREFUSED/);
  });

  it('rejects at once with an already aborted signal, sending nothing', async () => {
    let calls = 0;
    routes.set('/count', (_request, response) => {
      calls += 1;
      response.end();
    });
    const controller = new AbortController();
    controller.abort();
    const error = await keepAliveFetch(`${base}/count`, { signal: controller.signal }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    await keepAliveFetch(`${base}/count`);
    expect(calls).toBe(1);
  });

  it('hands what it does not cover (a Request) to Node’s fetch', async () => {
    routes.set('/request', (request, response) => {
      void bodyOf(request).then((body) => response.end(`${request.method} ${body}`));
    });
    const response = await keepAliveFetch(new Request(`${base}/request`, { method: 'PUT', body: 'hello' }));
    expect(await response.text()).toBe('PUT hello');
  });
});
