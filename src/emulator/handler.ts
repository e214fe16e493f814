/**
 * The Gemini emulator's request handler: routes generativelanguage v1beta calls,
 * refuses what Google refuses, and answers generate calls through `respond`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  countTokensBodyError,
  estimateTokens,
  generateBodyError,
  promptChars,
  type EmulatorRequest,
  type JsonObject,
} from './request.js';
import { implicitPromptCache } from './prompt-cache.js';
import { cachedContentStore, type CachedContentsMethod } from './cached-contents.js';
import { simulatedReply } from './simulated.js';
import { thinkingBudgetError, withThinking } from './thinking.js';
import {
  generateResponse,
  invalidApiKeyError,
  missingApiKeyError,
  modelResource,
  rpcError,
  streamResponses,
  unknownModelError,
  type EmulatorReply,
  type EmulatorResponder,
  type ResponseContext,
} from './wire.js';

/** One valid generateContent or streamGenerateContent call, waiting for its answer. */
export interface GenerateCall {
  request: EmulatorRequest;
  response: ServerResponse;
  streaming: boolean;
  /** `?alt=sse`: stream events framed as server-sent events rather than one JSON array. */
  sse: boolean;
  /** The response's model, id and prompt size; the id is taken on the first call, so errors use none. */
  context: () => ResponseContext;
}

export interface GeminiHandlerOptions {
  /** Known model ids; default DEFAULT_EMULATED_MODELS. */
  models?: string[];
  /** When set, other keys get 400 API_KEY_INVALID and a missing key 403, as Google answers. */
  apiKey?: string;
  /** The model behind the emulator; default simulatedReply. */
  respond?: EmulatorResponder;
  /** Sees every request the emulator understood, before the API key is checked. */
  onRequest?: (request: EmulatorRequest) => void;
  /**
   * Answers each valid generate call in place of sending `respond`'s reply, so that a wrapper can
   * decide how and when the answer goes out (sendReply and sendStream then write it).
   */
  answer?: (call: GenerateCall) => Promise<void>;
  /** The clock cachedContents entries expire by; default Date.now. */
  now?: () => number;
  /** Tokens a cachedContents entry needs whatever its model; default Google's minimum per model. */
  cacheMinTokens?: number;
}

export type GeminiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export const DEFAULT_EMULATED_MODELS = [
  'gemini-flash-latest',
  'gemini-2.5-flash',
  'gemini-2.5-flash-lite',
  'gemini-3-flash-preview',
  'gemini-2.5-pro',
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

/** A handler that never rejects: whatever goes wrong is answered as Google's 500, or cuts a started stream. */
export function geminiHandler(options: GeminiHandlerOptions = {}): GeminiHandler {
  const models = options.models ?? DEFAULT_EMULATED_MODELS;
  const respond = options.respond ?? simulatedReply;
  const answer =
    options.answer ??
    (async (call: GenerateCall) => sendReply(call, withThinking(call.request.body, await respond(call.request))));
  let responseCount = 0;
  const cachedTokensOf = implicitPromptCache();
  const cachedContents = cachedContentStore(models, options.now, options.cacheMinTokens);

  /** `explicitTokens`: the tokens of the cachedContents entry the call named, which then stand for any implicit hit. */
  const contextOf = (request: EmulatorRequest, explicitTokens?: number): (() => ResponseContext) => {
    let context: ResponseContext | undefined;
    return () => {
      if (context) return context;
      responseCount += 1;
      context = {
        model: request.model ?? '',
        // Deterministic, so that two runs of a test or a demo log the same ids.
        responseId: `emu-${responseCount.toString().padStart(6, '0')}`,
        promptTokens: estimateTokens(promptChars(request.body)),
        cachedTokens: explicitTokens ?? cachedTokensOf(request),
      };
      return context;
    };
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const apiKey = firstHeader(req.headers['x-goog-api-key']) ?? url.searchParams.get('key') ?? undefined;
    const keyError = apiKeyError(options.apiKey, apiKey);
    const cacheCall = cachedContentsCall(req.method ?? 'GET', url.pathname);
    if (cacheCall) {
      const body: Body = req.method === 'POST' ? await readBody(req) : { value: undefined };
      const headers = { ...req.headers };
      options.onRequest?.({ method: cacheCall.method, model: undefined, apiKey, body: body.value, headers });
      if (keyError) return sendJson(res, keyError.status, keyError.body);
      if (body.problem !== undefined) return sendJson(res, 400, rpcError(400, body.problem));
      const answered = cachedContents.serve(cacheCall.method, cacheCall.id, body.value);
      return sendJson(res, answered.status, answered.body);
    }
    const route = matchRoute(req.method ?? 'GET', url.pathname);
    if (!route) return sendJson(res, 404, rpcError(404, 'Method not found.'));
    const body: Body = req.method === 'POST' ? await readBody(req) : { value: undefined };
    if (!route.method) {
      const refusal = keyError ?? { status: 404, body: unknownModel(route) };
      return sendJson(res, refusal.status, refusal.body);
    }
    const request: EmulatorRequest = {
      method: route.method,
      model: route.model,
      apiKey,
      body: body.value,
      headers: { ...req.headers },
    };
    options.onRequest?.(request);
    if (keyError) return sendJson(res, keyError.status, keyError.body);
    if (body.problem !== undefined) return sendJson(res, 400, rpcError(400, body.problem));
    if (route.method === 'list') return list(models, url, res);
    if (route.model === undefined || !models.includes(route.model)) return sendJson(res, 404, unknownModel(route));
    if (route.method === 'get') return sendJson(res, 200, modelResource(route.model));
    if (route.method === 'countTokens') return countTokens(request, res);
    const problem = generateBodyError(request.body) ?? thinkingBudgetError(route.model, request.body);
    if (problem !== undefined) return sendJson(res, 400, rpcError(400, problem));
    const resolved = cachedContents.resolve(route.model, request.body);
    if ('error' in resolved) return sendJson(res, resolved.error.status, resolved.error.body);
    // The model answers what the call stands for: the entry's instruction and tools, then the turns sent.
    const effective = { ...request, body: resolved.body };
    const streaming = request.method === 'streamGenerateContent';
    const sse = url.searchParams.get('alt') === 'sse';
    await answer({
      request: effective,
      response: res,
      streaming,
      sse,
      context: contextOf(effective, resolved.cachedTokens),
    });
  };

  return async (req, res) => {
    // A client that hangs up mid-request is normal (timeouts); it must never take the emulator down.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    try {
      await serve(req, res);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, rpcError(500, `An internal error has occurred (Gemini emulator: ${reason}).`));
    }
  };
}

/** Sends a reply as the call asked for it: one response, or the stream of its events. */
export async function sendReply(call: GenerateCall, reply: EmulatorReply): Promise<void> {
  if (!call.streaming) return sendJson(call.response, 200, generateResponse(reply, call.context()));
  await sendStream(call, streamResponses(reply, call.context()));
}

/**
 * Streams events, each written as soon as it is produced. Without alt=sse Google sends one JSON
 * array; the SDK always asks for SSE. An iterable that throws cuts the connection (see geminiHandler).
 */
export async function sendStream(
  call: GenerateCall,
  events: Iterable<JsonObject> | AsyncIterable<JsonObject>,
): Promise<void> {
  const res = call.response;
  if (!call.sse) {
    const all: JsonObject[] = [];
    for await (const event of events) all.push(event);
    return sendJson(res, 200, all);
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for await (const event of events) {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(event)}\r\n\r\n`);
  }
  res.end();
}

function apiKeyError(expected: string | undefined, apiKey: string | undefined) {
  if (expected === undefined) return undefined;
  if (apiKey === undefined || apiKey === '') return { status: 403, body: missingApiKeyError() };
  return apiKey === expected ? undefined : { status: 400, body: invalidApiKeyError() };
}

function unknownModel(route: Route): JsonObject {
  // As Google words it: countTokens (and other actions) name themselves, but a streamed call reports
  // generateContent, and a plain lookup, which calls nothing, reads the same.
  const generates = route.method === 'get' || route.method === 'streamGenerateContent';
  const method = generates ? 'generateContent' : route.action;
  return unknownModelError(route.resource, route.version, method);
}

function list(models: string[], url: URL, res: ServerResponse): void {
  const size = url.searchParams.get('pageSize');
  const pageSize = size === null ? DEFAULT_PAGE_SIZE : Math.min(Number(size), MAX_PAGE_SIZE);
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    return sendJson(res, 400, rpcError(400, `Invalid value at 'page_size' (TYPE_INT32), "${size}"`));
  }
  const token = url.searchParams.get('pageToken');
  const offset = token === null || token === '' ? 0 : decodePageToken(token);
  if (offset === undefined) return sendJson(res, 400, rpcError(400, 'Invalid page token.'));
  const end = offset + (pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize);
  const page: JsonObject = { models: models.slice(offset, end).map(modelResource) };
  if (end < models.length) page.nextPageToken = Buffer.from(`offset:${end}`).toString('base64url');
  sendJson(res, 200, page);
}

function countTokens(request: EmulatorRequest, res: ServerResponse): void {
  const problem = countTokensBodyError(request.body);
  if (problem !== undefined) return sendJson(res, 400, rpcError(400, problem));
  const totalTokens = estimateTokens(promptChars(request.body));
  sendJson(res, 200, {
    totalTokens,
    cachedContentTokenCount: 0,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: totalTokens }],
  });
}

/** `/{version}/cachedContents[/{id}]`: which call of `ai.caches` it is, and the entry it names. */
function cachedContentsCall(
  httpMethod: string,
  pathname: string,
): { method: CachedContentsMethod; id: string | undefined } | undefined {
  const match = /^\/v1(?:beta|alpha)?\/cachedContents(?:\/([^/:]+))?$/.exec(pathname);
  if (!match) return undefined;
  const id = match[1];
  const methods: Record<string, CachedContentsMethod> =
    id === undefined
      ? { POST: 'createCachedContent', GET: 'listCachedContents' }
      : { GET: 'getCachedContent', DELETE: 'deleteCachedContent' };
  const method = methods[httpMethod];
  // Anything else (an update, say) is a method the emulator does not offer.
  return method ? { method, id } : undefined;
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

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}
