import http from 'node:http';
import { Readable } from 'node:stream';
import { bufferedResponse } from './buffered-response.js';

/**
 * `fetch` for the calls on a reply's path (the model, Telegram, Instagram), over `node:http`
 * with kept-alive connections. Node's own fetch costs about twice as much per call: on this
 * project's machine a small JSON POST on loopback took 0.44–0.69 ms through it against
 * 0.24–0.29 ms here, most of it in separate socket writes for the headers and the body
 * (bench/README.md, "Issue #17"). A reply makes two or three such calls before the customer
 * has it.
 *
 * What those callers use is covered: a URL string, a method, headers, a text or byte body, an
 * abort signal; the answer's body is read whole, or passed on as it arrives when it is a stream
 * of events (the model writing live). Anything else (a `Request`, a streamed or form body) goes
 * to Node's fetch. Failures look like fetch's: a `TypeError('fetch failed')` with the socket's
 * error as its cause, or the signal's reason when it was aborted. Redirects are not followed and
 * bodies are not compressed: neither API uses them.
 */
export const keepAliveFetch: typeof fetch = (input, init) => {
  const body = init?.body ?? null;
  const simpleBody = body === null || typeof body === 'string' || body instanceof Uint8Array;
  if (typeof input !== 'string' && !(input instanceof URL)) return fetch(input, init);
  if (!simpleBody) return fetch(input, init);
  const url = new URL(input);
  const headers = new Headers(init?.headers);
  const client = url.protocol === 'https:' ? secureClient() : Promise.resolve(plain);
  return client.then((transport) => send(transport, url, init?.method ?? 'GET', headers, body, init?.signal ?? null));
};

/** An idle connection is closed after this long, as Node's fetch does: servers drop theirs too. */
const IDLE_MS = 4_000;
const plain: Transport = { module: http, agent: new http.Agent({ keepAlive: true, timeout: IDLE_MS }) };
/** TLS is loaded at the first https call (about 1 MB a server talking only to local fakes never needs). */
let secure: Promise<Transport> | undefined;
const secureClient = () =>
  (secure ??= import('node:https').then(({ default: tls }) => ({
    module: tls,
    agent: new tls.Agent({ keepAlive: true, timeout: IDLE_MS }),
  })));

/** Statuses whose answer has no body (a `Response` refuses one). */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

interface Transport {
  /** `request` is looked up at each call, as on the module. */
  module: { request: typeof http.request };
  agent: http.Agent;
}

function send(
  { module, agent }: Transport,
  url: URL,
  method: string,
  headers: Headers,
  body: string | Uint8Array | null,
  signal: AbortSignal | null,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      reject(new TypeError('fetch failed', { cause: new Error(`unsupported protocol ${url.protocol}`) }));
      return;
    }
    const outgoing: Record<string, string> = Object.fromEntries(headers);
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    if (payload) outgoing['content-length'] = String(payload.byteLength);
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    };
    const onAbort = () => {
      request.destroy();
      if (signal) fail(abortReason(signal));
    };
    const request = module.request(url, { method, headers: outgoing, agent }, (incoming) => {
      const status = incoming.statusCode ?? 0;
      const answer = {
        status,
        statusText: incoming.statusMessage ?? '',
        headers: headersOf(incoming.rawHeaders),
      };
      const streamed = /^text\/event-stream/i.test(incoming.headers['content-type'] ?? '');
      if (streamed && !NO_BODY.has(status)) {
        settled = true;
        // The signal keeps its hold on the stream: aborting it ends the read with its reason.
        signal?.removeEventListener('abort', onAbort);
        const endRead = () => incoming.destroy(signal ? abortReason(signal) : undefined);
        signal?.addEventListener('abort', endRead, { once: true });
        // Read to its end (or ended), the stream no longer needs the signal: a long-lived one keeps no listener.
        incoming.once('close', () => signal?.removeEventListener('abort', endRead));
        resolve(new Response(Readable.toWeb(incoming) as ReadableStream<Uint8Array>, answer));
        return;
      }
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', (error) => fail(new TypeError('fetch failed', { cause: error })));
      incoming.on('end', () => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(NO_BODY.has(status) ? new Response(null, answer) : bufferedResponse(Buffer.concat(chunks), answer));
      });
    });
    request.on('error', (error) => fail(new TypeError('fetch failed', { cause: error })));
    signal?.addEventListener('abort', onAbort, { once: true });
    request.end(payload ?? undefined);
  });
}

/** Why the signal ended the call: its reason, as fetch rejects with it (a `TimeoutError` for `AbortSignal.timeout`). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

/** Node's raw header list as fetch's `Headers`: repeated names are appended, not overwritten. */
function headersOf(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}
