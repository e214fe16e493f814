/**
 * Thinking as Gemini 2.5 does it: thinkingConfig.thinkingBudget checked against the
 * model's range, thoughts sent as `thought: true` parts and counted in
 * thoughtsTokenCount, and thoughts using up maxOutputTokens before the answer does
 * (fixtures generate_content_max_tokens_thinking_budget / _only_thought_part).
 */
import { isRecord, maxOutputTokens } from './request.js';
import type { EmulatorReply } from './wire.js';

interface BudgetRange {
  min: number;
  max: number;
  canTurnOff: boolean;
}

// Google's documented ranges (ai.google.dev/gemini-api/docs/thinking); -1 (dynamic) is allowed on all.
const RANGES: Record<string, BudgetRange> = {
  'gemini-2.5-pro': { min: 128, max: 32_768, canTurnOff: false },
  'gemini-2.5-flash': { min: 1, max: 24_576, canTurnOff: true },
  'gemini-2.5-flash-lite': { min: 512, max: 24_576, canTurnOff: true },
};

/** Thoughts the emulator writes: the whole budget, up to this, so that a budget visibly costs room. */
const MAX_THOUGHT_TOKENS = 1_024;
const DYNAMIC_THOUGHT_TOKENS = 256;
const THOUGHT = '**Working out the answer**\n\nReading the question against what the business told me.\n';

/** thinkingConfig.thinkingBudget of a generate body, if it sets one. */
export function thinkingBudget(body: unknown): number | undefined {
  const config = isRecord(body) && isRecord(body.generationConfig) ? body.generationConfig : undefined;
  const thinking = config && isRecord(config.thinkingConfig) ? config.thinkingConfig : undefined;
  return typeof thinking?.thinkingBudget === 'number' ? thinking.thinkingBudget : undefined;
}

/** Google's 400 message for a budget the model cannot take, or undefined. */
export function thinkingBudgetError(model: string | undefined, body: unknown): string | undefined {
  const budget = thinkingBudget(body);
  const range = model === undefined ? undefined : RANGES[model];
  if (budget === undefined || budget === -1 || !range) return undefined;
  if (budget === 0)
    return range.canTurnOff ? undefined : 'Budget 0 is invalid. This model only works in thinking mode.';
  if (budget < range.min || budget > range.max) return `The thinking budget (${budget}) is invalid.`;
  return undefined;
}

/**
 * The reply as a thinking model gives it: thoughts first, taken from maxOutputTokens, the
 * answer cut to what is left (MAX_TOKENS), or only a thought when nothing is left.
 */
export function withThinking(body: unknown, reply: EmulatorReply): EmulatorReply {
  const budget = thinkingBudget(body);
  if (budget === undefined || budget === 0 || reply.blockReason !== undefined) return reply;
  // A scripted thought or count is kept; the room it takes is the model's rule all the same.
  const wanted =
    reply.usage?.thoughtsTokenCount ?? (budget === -1 ? DYNAMIC_THOUGHT_TOKENS : Math.min(budget, MAX_THOUGHT_TOKENS));
  const thought = reply.thought ?? THOUGHT;
  const limit = maxOutputTokens(body) ?? Number.POSITIVE_INFINITY;
  const thoughts = Math.min(wanted, limit);
  const usage = { ...reply.usage, thoughtsTokenCount: thoughts };
  const room = limit - thoughts;
  if (room <= 0) return { thought, finishReason: 'MAX_TOKENS', usage };
  const text = reply.text ?? reply.chunks?.join('');
  if (text === undefined || text.length <= room * 4) return { ...reply, thought, usage };
  const { chunks: _chunks, functionCall: _call, ...rest } = reply;
  return { ...rest, text: cutToTokens(text, room), finishReason: 'MAX_TOKENS', thought, usage };
}

/** The first `tokens` of a text at four characters a token, never ending on half of a surrogate pair. */
export function cutToTokens(text: string, tokens: number): string {
  const cut = text.slice(0, tokens * 4);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
