import type { Server } from 'node:http';
import { geminiHandler, sendReply, sendStream, type GenerateCall } from '../../src/emulator/handler.js';
import type { EmulatorRequest, JsonObject } from '../../src/emulator/request.js';
import { simulatedReply } from '../../src/emulator/simulated.js';
import { withThinking } from '../../src/emulator/thinking.js';
import { defaultMessage, rpcError, streamResponses, type EmulatorReply } from '../../src/emulator/wire.js';
import { close, listen, pause, sendJson, sendText, type ListenOptions } from './http.js';

/**
 * The Gemini emulator of src/emulator, scriptable for tests: replies queued one by one, every request
 * recorded, and the failures a real API has (errors with Google's details, slow answers, streams
 * that break). Point the SDK's `httpOptions.baseUrl` (GEMINI_BASE_URL) at `url`.
 */

export interface ScriptedReply extends EmulatorReply {
  /** Wait this long before answering, without holding up other requests. */
  delayMs?: number;
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

export type ScriptedResponder = (request: EmulatorRequest) => ScriptedReply | Promise<ScriptedReply>;

export interface GeminiFakeOptions extends ListenOptions {
  /** Known model ids; default the emulator's. */
  models?: string[];
  /** When set, other keys get 400 API_KEY_INVALID and a missing key 403, as Google answers. */
  apiKey?: string;
  /** Answers generate calls nothing was enqueued for, even after reset(); default simulatedReply. */
  responder?: ScriptedResponder;
  /** The clock cachedContents entries expire by; default Date.now. */
  now?: () => number;
  /** Tokens a cachedContents entry needs whatever its model; default Google's minimum per model. */
  cacheMinTokens?: number;
}

const JSON_TYPE = { 'content-type': 'application/json; charset=UTF-8' };

export class GeminiFake {
  readonly requests: EmulatorRequest[] = [];
  private readonly queue: (ScriptedReply | ScriptedResponder)[] = [];
  private responder: ScriptedResponder;
  private readonly shutdown = new AbortController();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly defaultResponder: ScriptedResponder,
  ) {
    this.responder = defaultResponder;
  }

  static async start(options: GeminiFakeOptions = {}): Promise<GeminiFake> {
    const holder: { fake?: GeminiFake } = {};
    const handler = geminiHandler({
      models: options.models,
      apiKey: options.apiKey,
      now: options.now,
      cacheMinTokens: options.cacheMinTokens,
      onRequest: (request) => holder.fake?.requests.push(request),
      answer: (call) => holder.fake?.answer(call) ?? Promise.resolve(),
    });
    // The handler answers its own failures in Google's shape; what still escapes can only cut the socket.
    const { server, origin } = await listen(handler, (response) => response.destroy(), options);
    holder.fake = new GeminiFake(server, origin, options.responder ?? simulatedReply);
    return holder.fake;
  }

  /** Scripts the next generate/stream calls, first in first out, ahead of the responder. */
  enqueue(...replies: (ScriptedReply | ScriptedResponder)[]): void {
    this.queue.push(...replies);
  }

  setResponder(responder: ScriptedResponder): void {
    this.responder = responder;
  }

  /** Forgets requests and queued replies, and goes back to the responder given at start. */
  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
    this.responder = this.defaultResponder;
  }

  async close(): Promise<void> {
    this.shutdown.abort();
    if (this.server.listening) await close(this.server);
  }

  private async answer(call: GenerateCall): Promise<void> {
    const next = this.queue.shift() ?? this.responder;
    const scripted = typeof next === 'function' ? await next(call.request) : next;
    // Pacing stays the script's; what the answer holds is the thinking model's.
    const { delayMs, chunkDelayMs, streamErrorAfterChunks } = scripted;
    const reply: ScriptedReply = scripted.error
      ? scripted
      : { delayMs, chunkDelayMs, streamErrorAfterChunks, ...withThinking(call.request.body, scripted) };
    if (!(await pause(reply.delayMs, call.response, this.shutdown.signal))) return;
    const error = reply.error;
    if (error && !(call.streaming && reply.streamErrorAfterChunks !== undefined)) {
      if (error.rawBody !== undefined) {
        return sendText(call.response, error.status, error.rawBody, { 'content-type': 'text/html; charset=UTF-8' });
      }
      return sendJson(call.response, error.status, scriptedError(error, call.request.model), JSON_TYPE);
    }
    if (!call.streaming) return sendReply(call, reply);
    let events = streamResponses(reply, call.context());
    if (reply.streamErrorAfterChunks !== undefined) {
      const failure = reply.error ?? { status: 503 };
      events = [...events.slice(0, reply.streamErrorAfterChunks), rpcError(failure.status, failure.message)];
    }
    const paced = call.sse && reply.chunkDelayMs !== undefined && reply.chunkDelayMs > 0;
    await sendStream(call, paced ? this.paced(events, reply.chunkDelayMs, call) : events);
  }

  private async *paced(events: JsonObject[], ms: number | undefined, call: GenerateCall): AsyncGenerator<JsonObject> {
    for (const [index, event] of events.entries()) {
      // Throwing cuts the connection, as a real stream breaks off when the client or the server goes.
      if (index > 0 && !(await pause(ms, call.response, this.shutdown.signal))) throw new Error('stream abandoned');
      yield event;
    }
  }
}

/** An error body as Google words it, with the quota and retry details a 429 carries. */
function scriptedError(error: NonNullable<ScriptedReply['error']>, model = 'gemini-flash-latest'): JsonObject {
  const details: JsonObject[] = error.status === 429 ? quotaDetails(model) : [];
  let message = error.message;
  if (error.retryDelay !== undefined) {
    message ??= `${defaultMessage(error.status)} Please retry in ${error.retryDelay}.`;
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: error.retryDelay });
  }
  return rpcError(error.status, message, { statusName: error.statusName, details });
}

function quotaDetails(model: string): JsonObject[] {
  return [
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [
        { description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' },
      ],
    },
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
          quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          quotaDimensions: { model, location: 'global' },
        },
      ],
    },
  ];
}
