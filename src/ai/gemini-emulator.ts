/**
 * A Gemini API emulator: a loopback HTTP server speaking the generativelanguage
 * v1beta wire format (docs/external-apis.md §1), so that the real `@google/genai`
 * SDK, pointed at it with `httpOptions.baseUrl`, runs unchanged. `parley demo`
 * answers customers through it, and tests script it reply by reply.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  countTokensBodyError,
  estimateTokens,
  generateBodyError,
  promptChars,
  type JsonObject,
} from './gemini-emulator-request.js';
import { simulatedReply } from './gemini-emulator-simulated.js';
import {
  generateResponse,
  invalidApiKeyError,
  missingApiKeyError,
  modelResource,
  rpcError,
  streamResponses,
  unknownModelError,
  type ResponseContext,
} from './gemini-emulator-wire.js';

export { simulatedReply } from './gemini-emulator-simulated.js';

export interface EmulatorRequest {
  method: 'generateContent' | 'streamGenerateContent' | 'countTokens' | 'get' | 'list';
  /** e.g. 'gemini-flash-latest' (without 'models/'); tuned models keep their 'tunedModels/' prefix. */
  model: string | undefined;
  /** From the x-goog-api-key header, or the `key` query parameter Google also accepts. */
  apiKey: string | undefined;
  /** The parsed JSON body of a POST (`{}` when empty; undefined when it is not JSON). */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface EmulatorReply {
  /** Answer text (candidate 0, role model). */
  text?: string;
  /** A functionCall part, after the text when both are given. */
  functionCall?: { name: string; args: Record<string, unknown> };
  /** Default 'STOP'; e.g. 'MAX_TOKENS', 'SAFETY'. */
  finishReason?: string;
  /** The prompt is blocked: no candidates, only promptFeedback and usageMetadata. */
  blockReason?: string;
  usage?: {
    promptTokenCount?: number;
    candidatesTokenCount?: number;
    thoughtsTokenCount?: number;
    totalTokenCount?: number;
  };
  /** Wait this long before answering, without holding up other requests. */
  delayMs?: number;
  /** streamGenerateContent: the text deltas, one event each (default: the text split into about 3). */
  chunks?: string[];
  /** streamGenerateContent: pause between events, for tests that watch an answer arrive. */
  chunkDelayMs?: number;
  error?: {
    status: number;
    message?: string;
    /** e.g. '2s': adds a google.rpc.RetryInfo detail. */
    retryDelay?: string;
    /** The google.rpc.Code name when the one Google maps from `status` is not wanted (400 FAILED_PRECONDITION). */
    statusName?: string;
    /** Sent as text/html instead of a JSON error, like a proxy's 502 page. */
    rawBody?: string;
  };
  /** streamGenerateContent: after this many events, send a `data: {"error":...}` event (`error`, else 503) and end. */
  streamErrorAfterChunks?: number;
}

export type EmulatorResponder = (request: EmulatorRequest) => EmulatorReply | Promise<EmulatorReply>;

export interface GeminiEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Known model ids; default DEFAULT_EMULATED_MODELS. */
  models?: string[];
  /** When set, other keys get 400 API_KEY_INVALID and a missing key 403, as Google answers. */
  apiKey?: string;
  /** Answers generate calls nothing was enqueued for; default simulatedReply. */
  responder?: EmulatorResponder;
}

export const DEFAULT_EMULATED_MODELS = [
  'gemini-flash-latest',
  'gemini-2.5-flash',
  'gemini-2.5-flash-lite',
  'gemini-3-flash-preview',
];

// Google's inline request limit; beyond it the emulator, like the API, refuses rather than buffers.
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const ROUTE = /^\/(v1beta|v1alpha|v1)\/(models|tunedModels)(?:\/([^/:]+)(?::([A-Za-z]+))?)?$/;
const GENERATE_METHODS = new Set(['generateContent', 'streamGenerateContent', 'countTokens']);

interface Route {
  version: string;
  /** undefined for an action the emulator does not offer (embedContent, ...). */
  method: EmulatorRequest['method'] | undefined;
  action: string;
  /** 'models/<id>' or 'tunedModels/<id>'. */
  resource: string;
  model: string | undefined;
}

interface Body {
  value: unknown;
  problem?: string;
}

export class GeminiEmulator {
  readonly requests: EmulatorRequest[] = [];
  private readonly queue: (EmulatorReply | EmulatorResponder)[] = [];
  private readonly defaultResponder: EmulatorResponder;
  private responder: EmulatorResponder;
  private readonly shutdown = new AbortController();
  private responseCount = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: GeminiEmulatorOptions,
  ) {
    this.defaultResponder = options.responder ?? simulatedReply;
    this.responder = this.defaultResponder;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  static async start(options: GeminiEmulatorOptions = {}): Promise<GeminiEmulator> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('Gemini emulator: no TCP address');
    const authority = host.includes(':') ? `[${host}]` : host;
    return new GeminiEmulator(server, `http://${authority}:${address.port}`, options);
  }

  /** Scripts the next generate/stream calls, first in first out, ahead of the responder. */
  enqueue(...replies: (EmulatorReply | EmulatorResponder)[]): void {
    this.queue.push(...replies);
  }

  setResponder(responder: EmulatorResponder): void {
    this.responder = responder;
  }

  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
    this.responder = this.defaultResponder;
  }

  async close(): Promise<void> {
    this.shutdown.abort();
    if (!this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets (the SDK's fetch pools them) would otherwise hold close() open.
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A client that hangs up mid-request is normal (timeouts); it must never take the emulator down.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    try {
      await this.serve(req, res);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, rpcError(500, `An internal error has occurred (Gemini emulator: ${reason}).`));
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const route = matchRoute(req.method ?? 'GET', url.pathname);
    if (!route) return sendJson(res, 404, rpcError(404, 'Method not found.'));
    const body: Body = req.method === 'POST' ? await readBody(req) : { value: undefined };
    const apiKey = firstHeader(req.headers['x-goog-api-key']) ?? url.searchParams.get('key') ?? undefined;
    const keyError = this.apiKeyError(apiKey);
    if (!route.method) {
      const refusal = keyError ?? { status: 404, body: this.unknownModel(route) };
      return sendJson(res, refusal.status, refusal.body);
    }
    const request: EmulatorRequest = {
      method: route.method,
      model: route.model,
      apiKey,
      body: body.value,
      headers: { ...req.headers },
    };
    this.requests.push(request);
    if (keyError) return sendJson(res, keyError.status, keyError.body);
    if (body.problem !== undefined) return sendJson(res, 400, rpcError(400, body.problem));
    if (route.method === 'list') return this.list(url, res);
    if (route.model === undefined || !this.knownModels().includes(route.model)) {
      return sendJson(res, 404, this.unknownModel(route));
    }
    if (route.method === 'get') return sendJson(res, 200, modelResource(route.model));
    if (route.method === 'countTokens') return this.countTokens(request, res);
    return this.generate(request, res, url.searchParams.get('alt') === 'sse');
  }

  private apiKeyError(apiKey: string | undefined): { status: number; body: JsonObject } | undefined {
    if (this.options.apiKey === undefined) return undefined;
    if (apiKey === undefined || apiKey === '') return { status: 403, body: missingApiKeyError() };
    return apiKey === this.options.apiKey ? undefined : { status: 400, body: invalidApiKeyError() };
  }

  private knownModels(): string[] {
    return this.options.models ?? DEFAULT_EMULATED_MODELS;
  }

  private unknownModel(route: Route): JsonObject {
    // As Google words it: countTokens (and other actions) name themselves, but a streamed call reports
    // generateContent, and a plain lookup, which calls nothing, reads the same.
    const generates = route.method === 'get' || route.method === 'streamGenerateContent';
    const method = generates ? 'generateContent' : route.action;
    return unknownModelError(route.resource, route.version, method);
  }

  private list(url: URL, res: ServerResponse): void {
    const size = url.searchParams.get('pageSize');
    const pageSize = size === null ? DEFAULT_PAGE_SIZE : Math.min(Number(size), MAX_PAGE_SIZE);
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      return sendJson(res, 400, rpcError(400, `Invalid value at 'page_size' (TYPE_INT32), "${size}"`));
    }
    const token = url.searchParams.get('pageToken');
    const offset = token === null || token === '' ? 0 : decodePageToken(token);
    if (offset === undefined) return sendJson(res, 400, rpcError(400, 'Invalid page token.'));
    const models = this.knownModels();
    const end = offset + (pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize);
    const page: JsonObject = { models: models.slice(offset, end).map(modelResource) };
    if (end < models.length) page.nextPageToken = Buffer.from(`offset:${end}`).toString('base64url');
    sendJson(res, 200, page);
  }

  private countTokens(request: EmulatorRequest, res: ServerResponse): void {
    const problem = countTokensBodyError(request.body);
    if (problem !== undefined) return sendJson(res, 400, rpcError(400, problem));
    const totalTokens = estimateTokens(promptChars(request.body));
    sendJson(res, 200, {
      totalTokens,
      cachedContentTokenCount: 0,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: totalTokens }],
    });
  }

  private async generate(request: EmulatorRequest, res: ServerResponse, sse: boolean): Promise<void> {
    const problem = generateBodyError(request.body);
    if (problem !== undefined) return sendJson(res, 400, rpcError(400, problem));
    const reply = await this.nextReply(request);
    if (!(await this.pause(reply.delayMs, res))) return;
    const streaming = request.method === 'streamGenerateContent';
    const error = reply.error;
    if (error && !(streaming && reply.streamErrorAfterChunks !== undefined)) {
      if (error.rawBody !== undefined) return send(res, error.status, 'text/html; charset=UTF-8', error.rawBody);
      return sendJson(res, error.status, rpcError(error.status, error.message, { ...error, model: request.model }));
    }
    const context = this.context(request);
    if (!streaming) return sendJson(res, 200, generateResponse(reply, context));
    await this.stream(res, reply, context, sse);
  }

  private async nextReply(request: EmulatorRequest): Promise<EmulatorReply> {
    const next = this.queue.shift() ?? this.responder;
    return typeof next === 'function' ? await next(request) : next;
  }

  private context(request: EmulatorRequest): ResponseContext {
    this.responseCount += 1;
    return {
      model: request.model ?? '',
      // Deterministic, so that two runs of a test or a demo log the same ids.
      responseId: `emu-${this.responseCount.toString().padStart(6, '0')}`,
      promptTokens: estimateTokens(promptChars(request.body)),
    };
  }

  private async stream(
    res: ServerResponse,
    reply: EmulatorReply,
    context: ResponseContext,
    sse: boolean,
  ): Promise<void> {
    let events = streamResponses(reply, context);
    if (reply.streamErrorAfterChunks !== undefined) {
      const failure = reply.error ?? { status: 503 };
      events = [...events.slice(0, reply.streamErrorAfterChunks), rpcError(failure.status, failure.message)];
    }
    // Without alt=sse Google streams one JSON array; the SDK always asks for SSE.
    if (!sse) return sendJson(res, 200, events);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const [index, event] of events.entries()) {
      if (index > 0 && !(await this.pause(reply.chunkDelayMs, res))) return;
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(event)}\r\n\r\n`);
    }
    res.end();
  }

  /** Waits `ms`; false when the client went away or the emulator closed meanwhile, so nothing is sent. */
  private async pause(ms: number | undefined, res: ServerResponse): Promise<boolean> {
    if (ms === undefined || ms <= 0) return !res.destroyed;
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    res.once('close', onClose);
    try {
      await sleep(ms, undefined, { signal: AbortSignal.any([gone.signal, this.shutdown.signal]) });
    } catch {
      return false;
    } finally {
      res.off('close', onClose);
    }
    return !res.destroyed;
  }
}

function matchRoute(httpMethod: string, pathname: string): Route | undefined {
  const match = ROUTE.exec(pathname);
  if (!match) return undefined;
  const [, version = 'v1beta', collection = 'models', encodedId, action] = match;
  if (encodedId === undefined) {
    if (httpMethod !== 'GET' || collection !== 'models') return undefined;
    return { version, method: 'list', action: 'list', resource: collection, model: undefined };
  }
  let id: string;
  try {
    id = decodeURIComponent(encodedId);
  } catch {
    return undefined;
  }
  const resource = `${collection}/${id}`;
  const model = collection === 'models' ? id : resource;
  if (action === undefined) {
    return httpMethod === 'GET' ? { version, method: 'get', action: 'get', resource, model } : undefined;
  }
  if (httpMethod !== 'POST') return undefined;
  const method = GENERATE_METHODS.has(action) ? (action as EmulatorRequest['method']) : undefined;
  return { version, method, action, resource, model };
}

async function readBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    // Keep draining past the limit, so that the client can still read the 400.
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  if (size > MAX_BODY_BYTES) {
    return { value: undefined, problem: `Request payload size exceeds the limit: ${MAX_BODY_BYTES} bytes.` };
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // Protobuf JSON reads an empty body as an empty message; validation then names what is missing.
  if (text.trim() === '') return { value: {} };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparsable';
    return { value: undefined, problem: `Invalid JSON payload received. ${reason}` };
  }
}

function decodePageToken(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=UTF-8', JSON.stringify(body));
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}
