import type { GoogleGenAI, GenerateContentConfig, GenerateContentResponse, Tool } from '@google/genai';
import {
  backoffDelay,
  type BusinessShare,
  DEFAULT_RETRY_POLICY,
  ModelError,
  type ModelErrorClass,
  type ModelInfo,
  type ModelProvider,
  type ModelRequest,
  type ModelResult,
  type ModelUsage,
  type RetryPolicy,
  type ToolDeclaration,
} from './model-provider.js';
import { keepAliveFetch } from '../kernel/keep-alive-fetch.js';
import { DEFAULT_429_BACKOFF_MS, type RateGate } from './rate-limit.js';

/**
 * Gemini through `@google/genai`: the only module that imports the SDK. The
 * SDK does not retry unless told to and ignores the server's RetryInfo, so
 * retries, per-attempt timeouts and the overall deadline live here.
 */
export interface GeminiOptions {
  apiKey: string;
  /** Root URL, e.g. an emulator's; Google's endpoint when undefined. */
  baseUrl?: string | undefined;
  policy?: Partial<RetryPolicy>;
  /** Injectable for tests of the retry schedule. */
  sleep?: (ms: number) => Promise<void>;
  /** The shared key's budget across processes: every attempt takes a slot, every 429 pauses everyone. */
  gate?: RateGate;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const BLOCKING_FINISH_REASONS = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'LANGUAGE',
]);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createGeminiProvider(options: GeminiOptions): ModelProvider {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const sleep = options.sleep ?? defaultSleep;
  // The SDK (with Google's auth library) is about 2 MB of code: loaded at the first call, not by an idle server.
  let sdk: Promise<GoogleGenAI> | undefined;
  const client = () =>
    (sdk ??= import('@google/genai').then(
      ({ GoogleGenAI }) =>
        new GoogleGenAI({
          apiKey: options.apiKey,
          httpOptions: { ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}), fetch: keepAliveFetch },
        }),
    ));

  /** Runs `attempt` until it succeeds, fails for good, or the deadline passes. */
  async function withRetries<T>(
    business: BusinessShare | undefined,
    attempt: (signal: AbortSignal, attemptNumber: number) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + policy.deadlineMs;
    for (let attemptNumber = 1; ; attemptNumber++) {
      if (options.gate) {
        try {
          await options.gate.acquire(deadline, business);
        } catch (error) {
          if (error instanceof ModelError) throw new ModelError(error.errorClass, error.message, attemptNumber - 1);
          throw error;
        }
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new ModelError('deadline_exceeded', `no answer within ${policy.deadlineMs} ms`, attemptNumber - 1);
      }
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.min(policy.timeoutMs, remaining));
      try {
        return await attempt(controller.signal, attemptNumber);
      } catch (error) {
        const failure = classify(error, attemptNumber, controller.signal.aborted);
        const { error: failed } = failure;
        if (failed.errorClass === 'rate_limited' && options.gate) {
          await options.gate.backOff(failure.retryAfterMs ?? DEFAULT_429_BACKOFF_MS).catch(() => undefined);
        }
        if (failed.final || !RETRYABLE_CLASSES.has(failed.errorClass) || attemptNumber > policy.retries) throw failed;
        const wait = failure.retryAfterMs ?? backoffDelay(policy, attemptNumber - 1);
        if (Date.now() + wait >= deadline) throw failure.error;
        await sleep(wait);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  function config(request: ModelRequest, signal: AbortSignal): GenerateContentConfig {
    const common = {
      temperature: request.temperature,
      maxOutputTokens: request.maxOutputTokens,
      abortSignal: signal,
      ...(request.thinkingBudget === undefined ? {} : { thinkingConfig: { thinkingBudget: request.thinkingBudget } }),
    };
    // The API refuses systemInstruction and tools next to cachedContent: the entry holds them.
    if (request.cachedContent) return { ...common, cachedContent: request.cachedContent };
    return { ...common, systemInstruction: request.systemInstruction, ...toolsOf(request.tools) };
  }

  const contents = (request: ModelRequest) => {
    const turns = request.contents.map((turn) => ({ role: turn.role, parts: [{ text: turn.text }] }));
    // With an entry, what varies (the local time) opens the customer's first turn instead, as a part
    // of its own: turns keep alternating, and the customer's own words stay the turn's last part.
    const first = turns[0];
    if (!request.cachedContent || !request.systemInstruction) return turns;
    if (first?.role !== 'user') return [{ role: 'user', parts: [{ text: request.systemInstruction }] }, ...turns];
    return [{ role: 'user', parts: [{ text: request.systemInstruction }, ...first.parts] }, ...turns.slice(1)];
  };

  return {
    name: 'gemini',

    generate(request) {
      return withRetries(request.business, async (signal, attempts) => {
        const ai = await client();
        const response = await ai.models.generateContent({
          model: request.model,
          contents: contents(request),
          config: config(request, signal),
        });
        return toResult(response, attempts);
      });
    },

    stream(request, onDelta) {
      let emitted = false;
      return withRetries(request.business, async (signal, attempts) => {
        try {
          const ai = await client();
          const chunks = await ai.models.generateContentStream({
            model: request.model,
            contents: contents(request),
            config: config(request, signal),
          });
          const merged: GenerateContentResponse[] = [];
          for await (const chunk of chunks) {
            merged.push(chunk);
            const text = visibleText(chunk);
            if (text) {
              emitted = true;
              onDelta(text);
            }
          }
          return toResult(mergeChunks(merged), attempts);
        } catch (error) {
          // Once text has reached the listener, a retry would repeat it: fail instead.
          if (!emitted) throw error;
          const { error: failed } = classify(error, attempts, signal.aborted);
          throw new ModelError(failed.errorClass, `${failed.message} (mid-answer)`, attempts, failed.status, true);
        }
      });
    },

    createCachedPrompt(request) {
      return withRetries(undefined, async (signal) => {
        const ai = await client();
        const entry = await ai.caches.create({
          model: request.model,
          config: {
            systemInstruction: request.systemInstruction,
            ...toolsOf(request.tools),
            ttl: `${request.ttlSeconds}s`,
            displayName: 'parley-prompt',
            abortSignal: signal,
          },
        });
        if (!entry.name) throw new ModelError('unknown', 'the cache entry came back without a name', 1);
        return { name: entry.name, tokens: entry.usageMetadata?.totalTokenCount };
      });
    },

    async deleteCachedPrompt(name) {
      await withRetries(undefined, async (signal) =>
        (await client()).caches.delete({ name, config: { abortSignal: signal } }),
      );
    },

    async describeModel(model) {
      try {
        const info = await withRetries(undefined, async (signal) =>
          (await client()).models.get({ model, config: { abortSignal: signal } }),
        );
        const described: ModelInfo = {
          name: (info.name ?? model).replace(/^models\//, ''),
          inputTokenLimit: info.inputTokenLimit,
          outputTokenLimit: info.outputTokenLimit,
        };
        return described;
      } catch (error) {
        if (error instanceof ModelError && error.errorClass === 'model_not_found') return undefined;
        throw error;
      }
    },
  };
}

function toolsOf(tools: ToolDeclaration[] | undefined): { tools?: Tool[] } {
  if (!tools?.length) return {};
  const functionDeclarations = tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    parametersJsonSchema: tool.parameters,
  }));
  return { tools: [{ functionDeclarations }] };
}

const RETRYABLE_CLASSES = new Set<ModelErrorClass>(['timeout', 'rate_limited', 'server_error', 'network']);

interface Failure {
  error: ModelError;
  /** The server's own RetryInfo delay, when it sent one. */
  retryAfterMs?: number;
}

function classify(error: unknown, attempts: number, timedOut: boolean): Failure {
  if (error instanceof ModelError) return { error };
  const status =
    typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (status !== undefined && (error as Error).name === 'ApiError') {
    const body = parseErrorBody(message);
    const detail = body?.message ?? message;
    if (status === 429) {
      const retryAfterMs = retryDelayMs(body);
      return {
        error: new ModelError('rate_limited', `rate limited: ${detail}`, attempts, status),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    if (status === 408) return { error: new ModelError('timeout', detail, attempts, status) };
    if (RETRYABLE_STATUS.has(status)) return { error: new ModelError('server_error', detail, attempts, status) };
    if (status === 404) return { error: new ModelError('model_not_found', detail, attempts, status) };
    if (status === 401 || status === 403 || message.includes('API_KEY_INVALID')) {
      return { error: new ModelError('auth', detail, attempts, status) };
    }
    return { error: new ModelError('invalid_request', detail, attempts, status) };
  }
  if (timedOut || (error as Error).name === 'AbortError') {
    return { error: new ModelError('timeout', 'the model did not answer in time', attempts) };
  }
  if (error instanceof TypeError || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|socket|fetch failed/i.test(message)) {
    return { error: new ModelError('network', `cannot reach the model: ${message}`, attempts) };
  }
  return { error: new ModelError('unknown', message, attempts) };
}

interface RpcErrorBody {
  message?: string;
  details?: { '@type'?: string; retryDelay?: string }[];
}

function parseErrorBody(message: string): RpcErrorBody | undefined {
  try {
    return (JSON.parse(message) as { error?: RpcErrorBody }).error;
  } catch {
    return undefined;
  }
}

/** `RetryInfo.retryDelay` is a protobuf Duration in JSON: "47s", "1.5s". */
function retryDelayMs(body: RpcErrorBody | undefined): number | undefined {
  const info = body?.details?.find((detail) => detail['@type']?.endsWith('google.rpc.RetryInfo'));
  const match = /^(\d+(?:\.\d+)?)s$/.exec(info?.retryDelay ?? '');
  return match ? Math.ceil(Number(match[1]) * 1000) : undefined;
}

function visibleText(response: GenerateContentResponse): string {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts
    .filter((part) => typeof part.text === 'string' && !part.thought)
    .map((part) => part.text)
    .join('');
}

/** One response out of a stream's chunks: their text joined, the last chunk's finish reason and usage. */
function mergeChunks(chunks: GenerateContentResponse[]): GenerateContentResponse {
  const last = chunks.at(-1);
  const text = chunks.map(visibleText).join('');
  const functionParts = chunks.flatMap((chunk) =>
    (chunk.candidates?.[0]?.content?.parts ?? []).filter((part) => part.functionCall),
  );
  const usageMetadata = [...chunks].reverse().find((chunk) => chunk.usageMetadata)?.usageMetadata;
  const finishReason = [...chunks].reverse().find((chunk) => chunk.candidates?.[0]?.finishReason)
    ?.candidates?.[0]?.finishReason;
  const merged = {
    candidates: last?.candidates
      ? [{ content: { role: 'model', parts: [...(text ? [{ text }] : []), ...functionParts] }, finishReason }]
      : undefined,
    promptFeedback: chunks.find((chunk) => chunk.promptFeedback)?.promptFeedback,
    usageMetadata,
    modelVersion: last?.modelVersion,
  };
  return merged as GenerateContentResponse;
}

function usageOf(response: GenerateContentResponse): ModelUsage {
  const meta = response.usageMetadata;
  const promptTokens = meta?.promptTokenCount ?? 0;
  const completionTokens = meta?.candidatesTokenCount ?? 0;
  const thoughtTokens = meta?.thoughtsTokenCount ?? 0;
  const totalTokens = meta?.totalTokenCount ?? promptTokens + completionTokens + thoughtTokens;
  // Part of promptTokenCount, not on top of it; Google leaves it out when nothing was cached.
  const cachedTokens = Math.min(meta?.cachedContentTokenCount ?? 0, promptTokens);
  return { promptTokens, completionTokens, thoughtTokens, totalTokens, cachedTokens };
}

function toResult(response: GenerateContentResponse, attempts: number): ModelResult {
  const base = { usage: usageOf(response), attempts, modelVersion: response.modelVersion };
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason) return { ...base, kind: 'blocked', reason: String(blockReason) };
  const candidate = response.candidates?.[0];
  if (!candidate) return { ...base, kind: 'empty', finishReason: 'NO_CANDIDATES' };
  const finishReason = String(candidate.finishReason ?? 'STOP');
  if (BLOCKING_FINISH_REASONS.has(finishReason)) return { ...base, kind: 'blocked', reason: finishReason };
  const text = visibleText(response).trim();
  const call = (candidate.content?.parts ?? []).find((part) => part.functionCall)?.functionCall;
  if (call?.name) return { ...base, kind: 'function_call', name: call.name, args: call.args ?? {}, text };
  if (!text) return { ...base, kind: 'empty', finishReason };
  return { ...base, kind: 'text', text, finishReason, truncated: finishReason === 'MAX_TOKENS' };
}
