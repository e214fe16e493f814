/**
 * What the reply pipeline needs from a language model. Gemini implements it
 * (gemini.client.ts); another provider only has to implement this interface.
 */

export interface Turn {
  role: 'user' | 'model';
  text: string;
}

export interface ToolDeclaration {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

/** The business a call is made for, and its weight in the turns taken when the shared key's budget is contended. */
export interface BusinessShare {
  /** The business's user id. */
  id: string;
  /** Relative to other businesses' (default 1): a business of weight 2 gets twice the slots of one of weight 1. */
  weight: number;
}

export interface ModelRequest {
  model: string;
  systemInstruction: string;
  contents: Turn[];
  temperature: number;
  /** Thinking and answer together: Gemini 2.5 counts thoughts inside this limit. */
  maxOutputTokens: number;
  /** thinkingConfig.thinkingBudget; undefined sends none (the model's own default). */
  thinkingBudget?: number | undefined;
  tools?: ToolDeclaration[];
  /** Who the call is for, so that the shared key's budget is shared fairly; calls without one share one turn. */
  business?: BusinessShare;
  /**
   * An explicit cache entry (createCachedPrompt) holding the stable instruction and the tools:
   * those are then not sent, and `systemInstruction` carries only what varies, as the first turn.
   */
  cachedContent?: string | undefined;
}

/** What goes into an explicit cache entry: the part of the prompt every reply of a business repeats. */
export interface CachedPromptRequest {
  model: string;
  systemInstruction: string;
  tools?: ToolDeclaration[];
  ttlSeconds: number;
}

export interface CachedPrompt {
  /** e.g. 'cachedContents/abc123', for ModelRequest.cachedContent. */
  name: string;
  /** Tokens the entry holds, as the provider counted them; undefined when it did not say. */
  tokens: number | undefined;
}

export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
  thoughtTokens: number;
  totalTokens: number;
  /** The part of `promptTokens` Gemini served from its prompt cache (`cachedContentTokenCount`). */
  cachedTokens: number;
}

export const NO_USAGE: ModelUsage = {
  promptTokens: 0,
  completionTokens: 0,
  thoughtTokens: 0,
  totalTokens: 0,
  cachedTokens: 0,
};

interface ResultBase {
  usage: ModelUsage;
  /** Attempts made, the successful one included. */
  attempts: number;
  modelVersion?: string | undefined;
}

export type ModelResult = ResultBase &
  (
    | { kind: 'text'; text: string; finishReason: string; truncated: boolean }
    | { kind: 'function_call'; name: string; args: Record<string, unknown>; text: string }
    /** The model (or its safety filter) refused; `reason` is the block or finish reason. */
    | { kind: 'blocked'; reason: string }
    /** The model answered nothing usable. */
    | { kind: 'empty'; finishReason: string }
  );

export type ModelErrorClass =
  | 'timeout'
  | 'rate_limited'
  | 'server_error'
  | 'network'
  | 'invalid_request'
  | 'auth'
  | 'model_not_found'
  | 'deadline_exceeded'
  | 'unknown';

/** A model call that failed for good (after any retries). */
export class ModelError extends Error {
  constructor(
    readonly errorClass: ModelErrorClass,
    message: string,
    readonly attempts: number,
    readonly status?: number,
    /** Set when retrying would do harm (part of a streamed answer was already delivered). */
    readonly final = false,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export interface ModelInfo {
  name: string;
  inputTokenLimit?: number | undefined;
  outputTokenLimit?: number | undefined;
}

export interface ModelProvider {
  readonly name: string;
  generate(request: ModelRequest): Promise<ModelResult>;
  /** Like generate, calling `onDelta` with each piece of text as it arrives. */
  stream(request: ModelRequest, onDelta: (text: string) => void): Promise<ModelResult>;
  /** The model's description, or undefined when the provider does not know it. */
  describeModel(model: string): Promise<ModelInfo | undefined>;
  /** Explicit prompt caching, for providers that offer it; a refusal throws ModelError. */
  createCachedPrompt?(request: CachedPromptRequest): Promise<CachedPrompt>;
  deleteCachedPrompt?(name: string): Promise<void>;
}

export interface RetryPolicy {
  /** Per attempt. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** For the whole call, retries and waits included. */
  deadlineMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  timeoutMs: 30_000,
  retries: 3,
  deadlineMs: 60_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
};

/** "Full jitter" exponential backoff: spreads retries of many workers hitting one rate limit. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(ceiling * random());
}
