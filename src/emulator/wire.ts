/**
 * Response bodies of the generativelanguage v1beta API as the Gemini emulator
 * sends them (docs/external-apis.md §1.3–1.5).
 */
import { STATUS_CODES } from 'node:http';
import { estimateTokens, type EmulatorRequest, type JsonObject } from './request.js';

/** What the model answers to one generate call; the emulator turns it into Google's response bodies. */
export interface EmulatorReply {
  /** Answer text (candidate 0, role model). */
  text?: string;
  /** A thought summary (`thought: true`), sent before everything else. */
  thought?: string;
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
    /** Prompt tokens served from the prompt cache; part of promptTokenCount. */
    cachedContentTokenCount?: number;
  };
  /** streamGenerateContent: the text deltas, one event each (default: the text split into about 3). */
  chunks?: string[];
}

export type EmulatorResponder = (request: EmulatorRequest) => EmulatorReply | Promise<EmulatorReply>;

/**
 * google.rpc.Code names by the HTTP code Google maps each to. HTTP codes with no
 * google.rpc.Code of their own (408, 502, ...) become UNKNOWN, which is also what
 * the gRPC HTTP mapping uses for them; a reply may name another with `statusName`.
 */
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

// The wording the Gemini API uses, so that logs and user-facing fallbacks look as they will in production.
const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  403: 'The caller does not have permission',
  404: 'Requested entity was not found.',
  429:
    'You exceeded your current quota, please check your plan and billing details. ' +
    'For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
  504: 'Deadline expired before operation could complete.',
};

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? 'UNKNOWN';
}

/** Google's wording for an HTTP code, when the error names no message of its own. */
export function defaultMessage(code: number): string {
  return DEFAULT_MESSAGES[code] ?? STATUS_CODES[code] ?? 'Error';
}

export interface RpcErrorOptions {
  statusName?: string;
  details?: JsonObject[];
}

/** A Google RPC error body: `{"error":{"code","message","status","details"?}}`. */
export function rpcError(code: number, message: string | undefined, options: RpcErrorOptions = {}): JsonObject {
  const error: JsonObject = {
    code,
    message: message ?? defaultMessage(code),
    status: options.statusName ?? statusName(code),
  };
  if (options.details !== undefined && options.details.length > 0) error.details = options.details;
  return { error };
}

export function invalidApiKeyError(): JsonObject {
  const message = 'API key not valid. Please pass a valid API key.';
  return rpcError(400, message, {
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
    ],
  });
}

export function missingApiKeyError(): JsonObject {
  return rpcError(
    403,
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  );
}

export function unknownModelError(name: string, version: string, method: string): JsonObject {
  return rpcError(
    404,
    `${name} is not found for API version ${version}, or is not supported for ${method}. ` +
      'Call ListModels to see the list of available models and their supported methods.',
  );
}

/** What one response is about: the request's model, id and prompt size. */
export interface ResponseContext {
  model: string;
  responseId: string;
  promptTokens: number;
  /** Prompt tokens the emulator treats as served from its prompt cache. */
  cachedTokens?: number;
}

/** The tokens the answer costs when the reply does not script them. */
export function candidateTokens(reply: EmulatorReply): number {
  const call = reply.functionCall ? JSON.stringify(reply.functionCall) : '';
  return estimateTokens(replyText(reply).length + call.length);
}

export function replyText(reply: EmulatorReply): string {
  return reply.text ?? reply.chunks?.join('') ?? '';
}

export function usageMetadata(reply: EmulatorReply, context: ResponseContext, candidates: number): JsonObject {
  const scripted = reply.usage ?? {};
  const prompt = scripted.promptTokenCount ?? context.promptTokens;
  const answer = scripted.candidatesTokenCount ?? candidates;
  const thoughts = scripted.thoughtsTokenCount;
  const usage: JsonObject = { promptTokenCount: prompt };
  // Google leaves out counts that are zero, e.g. candidates of a blocked prompt.
  if (answer > 0 || scripted.candidatesTokenCount !== undefined) usage.candidatesTokenCount = answer;
  usage.totalTokenCount = scripted.totalTokenCount ?? prompt + answer + (thoughts ?? 0);
  if (thoughts !== undefined) usage.thoughtsTokenCount = thoughts;
  // Cached tokens are part of the prompt, whatever a script says the prompt was.
  const cached = Math.min(scripted.cachedContentTokenCount ?? context.cachedTokens ?? 0, prompt);
  if (cached > 0) {
    usage.cachedContentTokenCount = cached;
    usage.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: cached }];
  }
  usage.promptTokensDetails = [{ modality: 'TEXT', tokenCount: prompt }];
  return usage;
}

/** The complete GenerateContentResponse for a unary call. */
export function generateResponse(reply: EmulatorReply, context: ResponseContext): JsonObject {
  if (reply.blockReason !== undefined) return blockedResponse(reply, context);
  const parts: JsonObject[] = reply.thought === undefined ? [] : [{ text: reply.thought, thought: true }];
  const text = replyText(reply);
  if (text.length > 0) parts.push({ text });
  if (reply.functionCall) parts.push({ functionCall: reply.functionCall });
  return {
    candidates: [finishedCandidate(reply, parts)],
    usageMetadata: usageMetadata(reply, context, candidateTokens(reply)),
    modelVersion: context.model,
    responseId: context.responseId,
  };
}

function blockedResponse(reply: EmulatorReply, context: ResponseContext): JsonObject {
  return {
    promptFeedback: { blockReason: reply.blockReason },
    usageMetadata: usageMetadata(reply, context, 0),
    modelVersion: context.model,
    responseId: context.responseId,
  };
}

function finishedCandidate(reply: EmulatorReply, parts: JsonObject[]): JsonObject {
  const finishReason = reply.finishReason ?? 'STOP';
  // A candidate stopped before producing anything carries no `content` at all, as Google sends it.
  const candidate: JsonObject = parts.length > 0 ? { content: { role: 'model', parts } } : {};
  candidate.finishReason = finishReason;
  candidate.index = 0;
  if (finishReason === 'SAFETY') {
    candidate.safetyRatings = [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }];
  }
  return candidate;
}

/**
 * The events of a streamed answer: one text delta each, with finishReason and any
 * function call on the last (external-apis.md §1.4). Every event carries usageMetadata
 * counted so far, as recorded Gemini streams do, so that a client adding them up is caught.
 */
export function streamResponses(reply: EmulatorReply, context: ResponseContext): JsonObject[] {
  if (reply.blockReason !== undefined) return [blockedResponse(reply, context)];
  const deltas = reply.chunks ?? splitText(reply.text ?? '', 3);
  const thought = reply.thought === undefined ? [] : [{ text: reply.thought, thought: true }];
  // Nothing to stream as text still ends with one event carrying any thought, call and the finish.
  if (deltas.length === 0) return [lastEvent(reply, context, thought)];
  // As recorded streams do, thoughts arrive in events of their own before the answer.
  const thinking = thought.map((part): JsonObject => ({
    candidates: [{ content: { role: 'model', parts: [part] }, index: 0 }],
    usageMetadata: usageSoFar(reply, context, ''),
    modelVersion: context.model,
    responseId: context.responseId,
  }));
  const answer = deltas.map((delta, index): JsonObject => {
    const parts: JsonObject[] = [{ text: delta }];
    if (index === deltas.length - 1) return lastEvent(reply, context, parts);
    const candidate = { content: { role: 'model', parts }, index: 0 };
    const usage = usageSoFar(reply, context, deltas.slice(0, index + 1).join(''));
    return {
      candidates: [candidate],
      usageMetadata: usage,
      modelVersion: context.model,
      responseId: context.responseId,
    };
  });
  return [...thinking, ...answer];
}

/** Usage while the answer is still arriving: the prompt and thoughts in full, the answer as far as sent. */
function usageSoFar(reply: EmulatorReply, context: ResponseContext, sent: string): JsonObject {
  const answer = reply.usage?.candidatesTokenCount ?? candidateTokens(reply);
  const { promptTokenCount, thoughtsTokenCount, cachedContentTokenCount } = reply.usage ?? {};
  const partial = { usage: { promptTokenCount, thoughtsTokenCount, cachedContentTokenCount } };
  return usageMetadata(partial, context, Math.min(estimateTokens(sent.length), answer));
}

function lastEvent(reply: EmulatorReply, context: ResponseContext, textParts: JsonObject[]): JsonObject {
  const parts = reply.functionCall ? [...textParts, { functionCall: reply.functionCall }] : textParts;
  return {
    candidates: [finishedCandidate(reply, parts)],
    usageMetadata: usageMetadata(reply, context, candidateTokens(reply)),
    modelVersion: context.model,
    responseId: context.responseId,
  };
}

/** Splits text at word boundaries into about `pieces` deltas that concatenate back to it exactly. */
export function splitText(text: string, pieces: number): string[] {
  if (text.length === 0) return [];
  const words = text.split(/(?<=\s)(?=\S)/);
  const perPiece = Math.ceil(words.length / pieces);
  const deltas: string[] = [];
  for (let start = 0; start < words.length; start += perPiece) {
    deltas.push(words.slice(start, start + perPiece).join(''));
  }
  return deltas;
}

/** A Model resource as models.get and models.list return it; limits are those of the 2.5/3 Flash family. */
export function modelResource(id: string): JsonObject {
  const displayName = id
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
  return {
    name: `models/${id}`,
    version: '001',
    displayName,
    description: `${displayName}, served by Parley's Gemini emulator.`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
    temperature: 1,
    maxTemperature: 2,
    topP: 0.95,
    topK: 64,
    thinking: true,
  };
}
